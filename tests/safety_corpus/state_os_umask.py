# Class: hidden-state
# Hazard: each item sets the process umask for the file it creates (private keys 077, public ones
#   022); the umask is process-wide, so concurrent items create files with each other's modes.
# Prints: the permission bits of four files: 600 for the keys, 644 for the public files.
import os
import stat
import time


def create(name: str) -> str:
    os.umask(0o077 if name.endswith(".key") else 0o022)
    time.sleep(0.1)  # generates the content
    with open(name, "w") as handle:
        handle.write(name)
    return name


def main() -> None:
    names = [create(name) for name in ["a.key", "b.pub", "cc.key", "dd.pub"]]
    for name in names:
        print(name, oct(stat.S_IMODE(os.stat(name).st_mode)))


if __name__ == "__main__":
    main()
