"""Compress every file of a directory on a slow share into a `.z` file beside it, one at a time.

Each file costs two operations on the share (read, then write the compressed copy), each with a
round-trip latency (see storage.py). COUNT sample files are created first.

Usage:
    python serial.py COUNT
"""

import sys
import tempfile
import zlib
from pathlib import Path

import storage


def make_samples(directory: Path, count: int) -> list[str]:
    paths = []
    for n in range(count):
        path = directory / f"report-{n:03d}.txt"
        path.write_text(f"line {n} of the quarterly report\n" * (200 + n))
        paths.append(str(path))
    return paths


def archive(path: str) -> tuple[int, int, int]:
    """Read one file, write its compressed copy; return (size, compressed size, crc)."""
    data = storage.read_bytes(path)
    packed = zlib.compress(data, 6)
    storage.write_bytes(path + ".z", packed)
    return len(data), len(packed), zlib.crc32(data)


def main(argv: list[str]) -> int:
    with tempfile.TemporaryDirectory(prefix="share-") as directory:
        paths = make_samples(Path(directory), int(argv[1]))

        results = []
        for path in paths:
            results.append(archive(path))

        for path, (size, packed, crc) in zip(paths, results, strict=True):
            print(f"{Path(path).name} {size} -> {packed} crc {crc:08x}")
        print(f"{len(results)} files, {sum(r[0] for r in results)} bytes")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv))
