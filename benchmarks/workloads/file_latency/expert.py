"""Compress every file of a directory on a slow share into a `.z` file beside it, with threads.

An expert's multi-threaded version: each file's two round trips are waits that release the GIL,
so up to 32 files are in flight at once; results keep the input order.

Usage:
    python expert.py COUNT
"""

import sys
import tempfile
import zlib
from concurrent.futures import ThreadPoolExecutor
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

        with ThreadPoolExecutor(max_workers=max(1, min(32, len(paths)))) as pool:
            results = list(pool.map(archive, paths))

        for path, (size, packed, crc) in zip(paths, results, strict=True):
            print(f"{Path(path).name} {size} -> {packed} crc {crc:08x}")
        print(f"{len(results)} files, {sum(r[0] for r in results)} bytes")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv))
