# Class: output-order
# Hazard: the per-item function writes its progress straight to file descriptor 1 with os.write.
# Prints: five "uploaded <file>" lines in file order, then the total size.
import os
import time


def upload(name: str) -> int:
    time.sleep(0.02 * (6 - len(name)))  # the object store
    os.write(1, f"uploaded {name}\n".encode())
    return len(name)


def main() -> None:
    sizes = [upload(name) for name in ["a", "bb", "ccc", "dddd", "eeeee"]]
    print(sum(sizes))


if __name__ == "__main__":
    main()
