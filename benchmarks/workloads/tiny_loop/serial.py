"""Read a handful of small local settings files and print the merged settings.

The loop opens files, which source analysis knows as blocking I/O, but there are only six of
them on a local disk: the whole loop takes well under a millisecond, far less than starting a
single worker thread is worth. The run's time goes to one call that is not a loop (packing an
export). Profiling shows it; the right advice is none.

Usage:
    python serial.py [COUNT]    (COUNT is ignored: the settings are what they are)
"""

import sys
import zlib
from pathlib import Path

SETTINGS = Path(__file__).resolve().parent / "settings"


def read_settings(path: Path) -> dict[str, str]:
    with open(path, encoding="utf-8") as handle:
        pairs = (line.split("=", 1) for line in handle if "=" in line)
        return {key.strip(): value.strip() for key, value in pairs}


def main(argv: list[str]) -> int:
    paths = sorted(SETTINGS.glob("*.ini"))

    layers = []
    for path in paths:
        layers.append(read_settings(path))

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
