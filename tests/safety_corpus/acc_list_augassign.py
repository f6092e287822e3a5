# Class: accumulator
# Hazard: `rows += fetch_page(n)` where rows is a list and each page a list: list
#   concatenation, which `sum()` with its 0 start cannot do.
# Prints: the twelve row ids of four pages, then their count.
import time


def fetch_page(number: int) -> list[int]:
    time.sleep(0.01)  # one page of the API
    return [number * 10 + i for i in range(3)]


def main() -> None:
    rows = []
    for number in range(4):
        rows += fetch_page(number)
    print(rows, len(rows))


if __name__ == "__main__":
    main()
