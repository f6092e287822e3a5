# Class: hidden-state
# Hazard: each item puts its plugin folder first on sys.path, imports `plugin` from it and takes
#   it back out; sys.path and sys.modules are process-wide, so concurrent items load each other's
#   plugin.
# Prints: four lines naming the plugin loaded from each folder.
import importlib.util
import sys
import time


def load(folder: str) -> str:
    sys.path.insert(0, folder)
    try:
        time.sleep(0.02 * (ord(folder[-1]) - ord("a") + 1))  # unpacks the plugin first
        spec = importlib.util.find_spec("plugin")
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        return f"{folder}: {module.NAME}"
    finally:
        sys.path.remove(folder)


def main() -> None:
    folders = ["plugins_a", "plugins_b", "plugins_c", "plugins_d"]
    names = [load(folder) for folder in folders]
    print("\n".join(names))


if __name__ == "__main__":
    main()
