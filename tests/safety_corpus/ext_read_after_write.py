# Class: external-effects
# Hazard: chapter n's build reads the page count chapter n-1 wrote to disk: a dependency carried
#   through the file system, invisible in the loop's names.
# Prints: the first page of each of five chapters: 1, 11, 21, 31, 41.
import os
import time


def build_chapter(number: int) -> int:
    time.sleep(0.02 * (6 - number))  # renders the chapter
    previous = f"chapter{number - 1}.end"
    first = 1
    if os.path.exists(previous):
        with open(previous) as handle:
            first = int(handle.read()) + 1
    with open(f"chapter{number}.end", "w") as handle:
        handle.write(str(first + 9))
    return first


def main() -> None:
    firsts = [build_chapter(number) for number in range(1, 6)]
    print(firsts)


if __name__ == "__main__":
    main()
