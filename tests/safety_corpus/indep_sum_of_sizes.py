# Class: independent
# Independent: a `+=` reduction of ints returned by independent reads.
# Prints: the total size of five pages.
import os
import urllib.request

BASE = os.environ.get("CORPUS_BASE_URL", "http://127.0.0.1:9")


def size(number: int) -> int:
    with urllib.request.urlopen(f"{BASE}/page/{number}") as response:
        return len(response.read())


def main() -> None:
    total = 0
    for number in [2, 4, 6, 8, 10]:
        total += size(number)
    print(f"total {total} bytes")


if __name__ == "__main__":
    main()
