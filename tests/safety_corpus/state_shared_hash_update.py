# Class: hidden-state
# Hazard: each downloaded chunk is fed to one running SHA-256 passed in; the digest depends on the
#   order of the updates.
# Prints: the digest of the five chunks in order.
import hashlib
import time


def fetch_chunk(index: int, digest) -> int:
    time.sleep(0.02 * (5 - index))  # the CDN
    chunk = f"chunk-{index}".encode()
    digest.update(chunk)
    return len(chunk)


def main() -> None:
    digest = hashlib.sha256()
    sizes = [fetch_chunk(index, digest) for index in range(5)]
    print(sum(sizes), digest.hexdigest()[:16])


if __name__ == "__main__":
    main()
