# Class: independent
# Independent: hashing in-memory blobs; hashlib works on each blob alone.
# Prints: the first 12 hex digits of six SHA-256 digests.
import hashlib


def digest(blob: bytes) -> str:
    return hashlib.sha256(blob).hexdigest()[:12]


def main() -> None:
    blobs = [bytes([n]) * 4096 for n in range(6)]
    digests = []
    for blob in blobs:
        digests.append(digest(blob))
    print(digests)


if __name__ == "__main__":
    main()
