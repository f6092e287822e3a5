# Class: independent
# Independent: each page is a GET of its own URL from the local server; nothing is shared.
# Prints: the sizes of eight pages in page order.
import os
import urllib.request

BASE = os.environ.get("CORPUS_BASE_URL", "http://127.0.0.1:9")


def main() -> None:
    sizes = []
    for number in range(1, 9):
        sizes.append(len(urllib.request.urlopen(f"{BASE}/page/{number}").read()))
    print(sizes)


if __name__ == "__main__":
    main()
