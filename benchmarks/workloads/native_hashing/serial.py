"""Fingerprint generated data blocks: SHA-256 of each 2 MB block hashed 48 times over, then CRC
of its compressed form.

hashlib releases the GIL while it hashes a buffer larger than 2 KB, and zlib while it compresses,
so almost all of the run is native code that threads can spread over the cores.

Usage:
    python serial.py COUNT
"""

import hashlib
import sys
import zlib

BLOCK_SIZE = 2 * 1024 * 1024
ROUNDS = 48


def make_block(index: int) -> bytes:
    """A deterministic block: a short pattern repeated (cheap to build)."""
    pattern = f"block {index:04d} ".encode()
    return (pattern * (BLOCK_SIZE // len(pattern) + 1))[:BLOCK_SIZE]


def fingerprint(block: bytes) -> tuple[str, int]:
    """Hash the block ROUNDS times over, and the CRC of its compressed bytes."""
    digest = hashlib.sha256()
    for _ in range(ROUNDS):
        digest.update(block)
    return digest.hexdigest()[:16], zlib.crc32(zlib.compress(block, 6))


def main(argv: list[str]) -> int:
    blocks = [make_block(i) for i in range(int(argv[1]))]

    results = []
    for block in blocks:
        results.append(fingerprint(block))

    for index, (digest, crc) in enumerate(results):
        print(f"block {index:04d} {digest} {crc:08x}")
    overall = hashlib.sha256("".join(d for d, _ in results).encode()).hexdigest()
    print(f"{len(results)} blocks {overall[:16]}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv))
