"""Compress every file of a directory on a slow share into a `.z` file beside it, with asyncio.

An expert's asyncio version. Python has no asynchronous file API: like aiofiles, each file
operation is awaited through `asyncio.to_thread`, so asyncio file I/O is threads underneath. The
default executor has only min(32, cores + 4) threads (6 here), which would cap the overlap at 6
operations, so it is sized for the waits; all files are gathered at once, order kept.

Usage:
    python expert_asyncio.py COUNT
"""

import asyncio
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


async def archive(path: str) -> tuple[int, int, int]:
    """Read one file, write its compressed copy; return (size, compressed size, crc)."""
    data = await asyncio.to_thread(storage.read_bytes, path)
    packed = zlib.compress(data, 6)
    await asyncio.to_thread(storage.write_bytes, path + ".z", packed)
    return len(data), len(packed), zlib.crc32(data)


async def archive_all(paths: list[str]) -> list[tuple[int, int, int]]:
    asyncio.get_running_loop().set_default_executor(ThreadPoolExecutor(max_workers=32))
    return await asyncio.gather(*(archive(path) for path in paths))


def main(argv: list[str]) -> int:
    with tempfile.TemporaryDirectory(prefix="share-") as directory:
        paths = make_samples(Path(directory), int(argv[1]))

        results = asyncio.run(archive_all(paths))

        for path, (size, packed, crc) in zip(paths, results, strict=True):
            print(f"{Path(path).name} {size} -> {packed} crc {crc:08x}")
        print(f"{len(results)} files, {sum(r[0] for r in results)} bytes")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv))
