# Class: hidden-state
# Hazard: each item changes the process's working directory to build in its own folder; the
#   cwd is process-wide, so concurrent items write into each other's folders.
# Prints: "built 4 packages"; writes build/<pkg>/VERSION for each package.
import os
import time


def build(package: str) -> str:
    os.makedirs(os.path.join("build", package), exist_ok=True)
    here = os.getcwd()
    os.chdir(os.path.join("build", package))
    try:
        time.sleep(0.05 * len(package))  # the compiler
        with open("VERSION", "w") as handle:
            handle.write(f"{package} 1.0\n")
    finally:
        os.chdir(here)
    return package


def main() -> None:
    built = [build(package) for package in ["a", "bb", "ccc", "dddd"]]
    print(f"built {len(built)} packages")


if __name__ == "__main__":
    main()
