# Class: external-effects
# Hazard: each item downloads into the same scratch file and reads it back; concurrently the
#   items overwrite each other's scratch file.
# Prints: the size of each of four downloaded pages.
import os
import time
import urllib.request

BASE = os.environ.get("CORPUS_BASE_URL", "http://127.0.0.1:9")


def page_size(number: int) -> int:
    with (
        urllib.request.urlopen(f"{BASE}/page/{number}") as response,
        open("scratch.tmp", "wb") as scratch,
    ):
        scratch.write(response.read())
    time.sleep(0.05)  # the virus scanner looks at the file first
    with open("scratch.tmp", "rb") as scratch:
        return len(scratch.read())


def main() -> None:
    sizes = []
    for number in [1, 5, 9, 12]:
        sizes.append(page_size(number))
    print(sizes)


if __name__ == "__main__":
    main()
