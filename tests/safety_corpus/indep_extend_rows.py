# Class: independent
# Independent: each page's rows are parsed alone and the list is extended in page order.
# Prints: the number of rows of four pages and the first three row ids.
import os
import re
import urllib.request

BASE = os.environ.get("CORPUS_BASE_URL", "http://127.0.0.1:9")


def row_ids(number: int) -> list[str]:
    with urllib.request.urlopen(f"{BASE}/page/{number}") as response:
        return re.findall(r'id="(row-\d+)"', response.read().decode())


def main() -> None:
    rows = []
    for number in [7, 8, 9, 10]:
        rows.extend(row_ids(number))
    print(len(rows), rows[:3])


if __name__ == "__main__":
    main()
