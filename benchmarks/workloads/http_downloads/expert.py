"""Download pages 1..COUNT of a web site and print each page's size and one digest of them all.

An expert's version: the requests overlap on a thread pool sized to the work (one thread per
request, up to 32: beyond that a single server and the GIL gain little), order kept by map.

Usage:
    python expert.py COUNT BASE_URL
"""

import hashlib
import sys
import urllib.request
from concurrent.futures import ThreadPoolExecutor


def download(url: str) -> bytes:
    """Fetch one URL and return the response body."""
    with urllib.request.urlopen(url, timeout=30) as response:
        return response.read()


def main(argv: list[str]) -> int:
    count, base_url = int(argv[1]), argv[2].rstrip("/")
    urls = [f"{base_url}/page/{n}" for n in range(1, count + 1)]

    with ThreadPoolExecutor(max_workers=max(1, min(32, len(urls)))) as pool:
        pages = list(pool.map(download, urls))

    digest = hashlib.sha256()
    for url, page in zip(urls, pages, strict=True):
        digest.update(page)
        print(f"{url.removeprefix(base_url)} {len(page)}")
    print(f"{len(pages)} pages, {sum(map(len, pages))} bytes, sha256 {digest.hexdigest()[:16]}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv))
