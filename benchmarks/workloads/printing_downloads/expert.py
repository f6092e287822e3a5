"""Download pages 1..COUNT of a web site, printing each page's size in order, then a total.

An expert's version: the downloads overlap on a thread pool sized to the work (one thread per
request, up to 32), and a serial loop over the results, in order, prints and adds up.

Usage:
    python expert.py COUNT BASE_URL
"""

import sys
import urllib.request
from concurrent.futures import ThreadPoolExecutor


def download(url: str) -> bytes:
    with urllib.request.urlopen(url, timeout=30) as response:
        return response.read()


def main(argv: list[str]) -> int:
    count, base_url = int(argv[1]), argv[2].rstrip("/")
    urls = [f"{base_url}/page/{n}" for n in range(1, count + 1)]

    total = 0
    with ThreadPoolExecutor(max_workers=max(1, min(32, len(urls)))) as pool:
        for url, page in zip(urls, pool.map(download, urls), strict=True):
            print(f"{url.removeprefix(base_url)} {len(page)} bytes")
            total += len(page)
    print(f"{len(urls)} pages, {total} bytes")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv))
