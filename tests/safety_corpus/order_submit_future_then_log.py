# Class: output-order
# Hazard: submit then wait on the future in the same iteration, where the submitted task writes
#   its progress to stderr.
# Prints: "converted 5 files" on stdout; five "converting <name>" lines on stderr in order.
import sys
import time
from concurrent.futures import ThreadPoolExecutor


def convert(name: str) -> str:
    time.sleep(0.02 * (6 - len(name)))  # the converter
    sys.stderr.write(f"converting {name}\n")
    return name.upper()


def main() -> None:
    converted = []
    with ThreadPoolExecutor(max_workers=4) as pool:
        for name in ["a", "bb", "ccc", "dddd", "eeeee"]:
            future = pool.submit(convert, name)
            converted.append(future.result())
    print(f"converted {len(converted)} files")


if __name__ == "__main__":
    main()
