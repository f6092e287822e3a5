# Class: independent
# Independent: a filter in front of independent reads (`if` around the whole body).
# Prints: the sizes of the odd-numbered pages.
import os
import urllib.request

BASE = os.environ.get("CORPUS_BASE_URL", "http://127.0.0.1:9")


def size(number: int) -> int:
    with urllib.request.urlopen(f"{BASE}/page/{number}") as response:
        return len(response.read())


def main() -> None:
    sizes = []
    for number in range(1, 11):
        if number % 2:
            sizes.append(size(number))
    print(sizes)


if __name__ == "__main__":
    main()
