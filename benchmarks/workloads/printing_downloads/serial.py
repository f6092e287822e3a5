"""Download pages 1..COUNT of a web site, printing each page's size as it arrives, then a total.

The commonest shape of a real download loop: the blocking call, then a `print` and a running
total in the same loop body.

Usage:
    python serial.py COUNT BASE_URL
"""

import sys
import urllib.request


def main(argv: list[str]) -> int:
    count, base_url = int(argv[1]), argv[2].rstrip("/")
    urls = [f"{base_url}/page/{n}" for n in range(1, count + 1)]

    total = 0
    for url in urls:
        with urllib.request.urlopen(url, timeout=30) as response:
            page = response.read()
        print(f"{url.removeprefix(base_url)} {len(page)} bytes")
        total += len(page)
    print(f"{len(urls)} pages, {total} bytes")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv))
