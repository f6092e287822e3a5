# Class: independent
# Independent: a new pool per batch (CA206); hoisting one pool out changes nothing observable.
# Prints: the sizes of three batches of pages.
import os
import urllib.request
from concurrent.futures import ThreadPoolExecutor

BASE = os.environ.get("CORPUS_BASE_URL", "http://127.0.0.1:9")


def size(number: int) -> int:
    with urllib.request.urlopen(f"{BASE}/page/{number}") as response:
        return len(response.read())


def main() -> None:
    batches = [[1, 2], [3, 4], [5, 6]]
    for batch in batches:
        with ThreadPoolExecutor(max_workers=2) as pool:
            print(list(pool.map(size, batch)))


if __name__ == "__main__":
    main()
