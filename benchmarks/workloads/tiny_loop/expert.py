"""Read a handful of small local settings files and print the merged settings, concurrently.

What an over-eager "expert" would write: the six reads on a thread pool. There is nothing to
overlap (each read takes microseconds from the page cache), so the pool's start-up is pure cost:
this version exists to show that the serial loop is the right code and that suggesting nothing
is the right advice.

Usage:
    python expert.py [COUNT]
"""

import sys
import zlib
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

SETTINGS = Path(__file__).resolve().parent / "settings"


def read_settings(path: Path) -> dict[str, str]:
    with open(path, encoding="utf-8") as handle:
        pairs = (line.split("=", 1) for line in handle if "=" in line)
        return {key.strip(): value.strip() for key, value in pairs}


def main(argv: list[str]) -> int:
    paths = sorted(SETTINGS.glob("*.ini"))

    with ThreadPoolExecutor(max_workers=len(paths) or 1) as pool:
        layers = list(pool.map(read_settings, paths))

    merged: dict[str, str] = {}
    for layer in layers:
        merged.update(layer)
    for key in sorted(merged):
        print(f"{key} = {merged[key]}")

    # the script's real work, one call that is not a loop: pack a 40 MB export
    export = "\n".join(f"{key}={value}" for key, value in sorted(merged.items())).encode()
    packed = zlib.compress(export * (40_000_000 // len(export)), 9)
    print(f"export packed to {len(packed)} bytes")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv))
