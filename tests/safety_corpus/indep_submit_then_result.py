# Class: independent
# Independent: submit-then-result of a function that only reads its argument and the network.
# Prints: the sizes of six pages.
import os
import urllib.request
from concurrent.futures import ThreadPoolExecutor

BASE = os.environ.get("CORPUS_BASE_URL", "http://127.0.0.1:9")


def size(number: int) -> int:
    with urllib.request.urlopen(f"{BASE}/page/{number}") as response:
        return len(response.read())


def main() -> None:
    sizes = []
    with ThreadPoolExecutor(max_workers=6) as pool:
        for number in range(1, 7):
            future = pool.submit(size, number)
            sizes.append(future.result())
    print(sizes)


if __name__ == "__main__":
    main()
