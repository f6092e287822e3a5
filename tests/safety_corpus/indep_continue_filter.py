# Class: independent
# Independent: `if ...: continue` first, then an independent read per kept item.
# Prints: the sizes of the pages whose number is not a multiple of 3.
import os
import urllib.request

BASE = os.environ.get("CORPUS_BASE_URL", "http://127.0.0.1:9")


def size(number: int) -> int:
    with urllib.request.urlopen(f"{BASE}/page/{number}") as response:
        return len(response.read())


def main() -> None:
    sizes = []
    for number in range(1, 10):
        if number % 3 == 0:
            continue
        sizes.append(size(number))
    print(sizes)


if __name__ == "__main__":
    main()
