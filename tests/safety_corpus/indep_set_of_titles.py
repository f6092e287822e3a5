# Class: independent
# Independent: a set built with `.add` from independent reads; a set has no order to keep.
# Prints: the sorted distinct page titles.
import os
import re
import urllib.request

BASE = os.environ.get("CORPUS_BASE_URL", "http://127.0.0.1:9")


def title(number: int) -> str:
    with urllib.request.urlopen(f"{BASE}/page/{number}") as response:
        return re.search(r"<title>(.*)</title>", response.read().decode())[1]


def main() -> None:
    titles = set()
    for number in [1, 2, 3, 2, 1, 4]:
        titles.add(title(number))
    print(sorted(titles))


if __name__ == "__main__":
    main()
