"""How fast concadvise starts, against the floor of any typer + rich command line.

    python benchmarks/startup.py [--runs 9] [--json benchmarks/results/startup.json]

The floor is a two-command typer app that prints one line with a rich Console: what every CLI
built on typer and rich pays before doing anything (Python itself, typer, rich, and the pydantic
that typer loads to run a command). Each command below runs `--runs` times, alternating with the
floor, in fresh processes; the table gives medians and each command's ratio to the floor's median
(for `--help`, to the floor's own `--help`). The bars (issue 19): `--help`, `--version` and
`rules` within 2x, `check` of one small file (no cache) within 3x.
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

FLOOR = '''
import typer
from rich.console import Console

app = typer.Typer(add_completion=False)


@app.command()
def hello(name: str = "world") -> None:
    """Say hello."""
    Console().print(f"hello {name}")


@app.command()
def bye() -> None:
    """Say bye."""


if __name__ == "__main__":
    app()
'''


def _seconds(argv: list[str], env: dict[str, str]) -> float:
    started = time.perf_counter()
    subprocess.run(argv, capture_output=True, env=env, check=False)
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=9)
    parser.add_argument("--json", type=Path, default=None)
    options = parser.parse_args()
    concadvise = shutil.which("concadvise", path=str(Path(sys.executable).parent))
    command = [concadvise] if concadvise else [sys.executable, "-m", "advisor.cli"]
    with tempfile.TemporaryDirectory() as work:
        floor = Path(work, "floor.py")
        floor.write_text(FLOOR, encoding="utf-8")
        small = Path(work, "small.py")
        small.write_text("import time\n\nfor x in range(10):\n    time.sleep(0)\n")
        env = {
            "CONCADVISE_CACHE_DIR": str(Path(work, "cache")),
            "PATH": str(Path(sys.executable).parent),
        }
        cases = [
            (
                "concadvise --help",
                [*command, "--help"],
                [sys.executable, str(floor), "--help"],
                2.0,
            ),
            (
                "concadvise --version",
                [*command, "--version"],
                [sys.executable, str(floor), "hello"],
                2.0,
            ),
            ("concadvise rules", [*command, "rules"], [sys.executable, str(floor), "hello"], 2.0),
            (
                "concadvise check small.py (no cache)",
                [*command, "check", "--no-cache", str(small)],
                [sys.executable, str(floor), "hello"],
                3.0,
            ),
        ]
        rows = []
        for name, argv, floor_argv, bar in cases:
            ours, base = [], []
            for _ in range(options.runs):
                base.append(_seconds(floor_argv, env))
                ours.append(_seconds(argv, env))
            ratio = statistics.median(ours) / statistics.median(base)
            rows.append(
                {
                    "command": name,
                    "seconds": round(statistics.median(ours), 3),
                    "floor_seconds": round(statistics.median(base), 3),
                    "ratio": round(ratio, 2),
                    "bar": bar,
                    "meets_bar": ratio <= bar,
                }
            )
    print("| command | median | typer+rich floor | ratio | bar |")
    print("|---|---:|---:|---:|---|")
    for row in rows:
        verdict = "✓" if row["meets_bar"] else "✗"
        print(
            f"| `{row['command']}` | {row['seconds']:.3f} s | {row['floor_seconds']:.3f} s | "
            f"{row['ratio']:.2f}x | ≤ {row['bar']:.0f}x {verdict} |"
        )
    if options.json is not None:
        options.json.write_text(json.dumps(rows, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
