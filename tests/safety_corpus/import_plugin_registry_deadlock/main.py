# Class: import-time
# Hazard: the registry's module-level comprehension loads plugins that import the registry back;
#   in the importing thread that is a harmless circular import, but run in a thread pool at import
#   time the workers wait on the registry's import lock while it waits on them: a deadlock.
# Prints: the four plugin titles and the registration order.
import registry

print(registry.TITLES)
print(registry.REGISTERED)
