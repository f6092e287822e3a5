# Class: output-order
# Hazard: the per-item function reports progress with sys.stdout.write, not print.
# Prints: five "fetched page <n>" lines in page order, then the total size.
import os
import sys
import urllib.request

BASE = os.environ.get("CORPUS_BASE_URL", "http://127.0.0.1:9")


def fetch(number: int) -> int:
    with urllib.request.urlopen(f"{BASE}/page/{number}") as response:
        body = response.read()
    sys.stdout.write(f"fetched page {number}\n")
    return len(body)


def main() -> None:
    sizes = [fetch(number) for number in [3, 1, 4, 1, 5]]
    print(sum(sizes))


if __name__ == "__main__":
    main()
