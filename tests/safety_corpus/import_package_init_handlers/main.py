# Class: import-time
# Hazard: the package's `__init__` builds its handler list with a module-level comprehension whose
#   items import format modules that import the package back for its base class; in the importing
#   thread that works, in a pool's worker the import waits on the package's import lock forever.
# Prints: the four handler descriptions.
import handlers

for handler in handlers.HANDLERS:
    print(handler.describe())
