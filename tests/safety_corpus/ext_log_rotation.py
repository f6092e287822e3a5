# Class: external-effects
# Hazard: each rotation step renames the file the next step renames again; run together, the
#   renames race and files are lost or misnamed.
# Prints: the rotated files and their contents.
import os
import time


def shift(index: int) -> str:
    time.sleep(0.03 * index)  # waits for the writer to close the file
    source, target = f"app.log.{index}", f"app.log.{index + 1}"
    if os.path.exists(source):
        os.replace(source, target)
    return target


def main() -> None:
    for index in range(4):
        with open(f"app.log.{index}", "w") as handle:
            handle.write(f"generation {index}\n")
    targets = [shift(index) for index in [3, 2, 1, 0]]
    print(targets)
    for name in sorted(os.listdir(".")):
        if name.startswith("app.log"):
            with open(name) as handle:
                print(name, handle.read().strip())


if __name__ == "__main__":
    main()
