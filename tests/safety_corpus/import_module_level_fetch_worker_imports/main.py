# Class: import-time
# Hazard: a module-level dict comprehension runs at import time; its per-item function lazily
#   imports a module that imports the catalog back. In the importing thread that is a circular
#   import that works; in a pool's worker thread it waits on the catalog's import lock forever.
# Prints: the five catalog descriptions.
import catalog

for sku, text in catalog.DESCRIPTIONS.items():
    print(sku, text)
