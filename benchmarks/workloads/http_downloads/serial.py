"""Download pages 1..COUNT of a web site and print each page's size and one digest of them all.

Usage:
    python serial.py COUNT BASE_URL
"""

import hashlib
import sys
import urllib.request


def download(url: str) -> bytes:
    """Fetch one URL and return the response body."""
    with urllib.request.urlopen(url, timeout=30) as response:
        return response.read()


def main(argv: list[str]) -> int:
    count, base_url = int(argv[1]), argv[2].rstrip("/")
    urls = [f"{base_url}/page/{n}" for n in range(1, count + 1)]

    pages = []
    for url in urls:
        pages.append(download(url))

    digest = hashlib.sha256()
    for url, page in zip(urls, pages, strict=True):
        digest.update(page)
        print(f"{url.removeprefix(base_url)} {len(page)}")
    print(f"{len(pages)} pages, {sum(map(len, pages))} bytes, sha256 {digest.hexdigest()[:16]}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv))
