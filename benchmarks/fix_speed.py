"""How long `concadvise fix --diff` takes against a cold `concadvise check` of the same tree
(issue 21: within 1.5x).

    python benchmarks/fix_speed.py [TREE] [--rounds N] [--json PATH]

TREE defaults to the standard library of this Python. Both commands run in subprocesses, cold (no
findings cache), alternately for N rounds (default 3) so a busy machine slows both alike; the table
gives each round's seconds, the medians, and the median of the per-round ratios fix/check. Nothing
is written to the tree (`--diff`).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import sysconfig
import tempfile
import time
from pathlib import Path

BIN = Path(sys.executable).parent
RESULTS = Path(__file__).resolve().parent / "results" / "fix_speed.json"


def _timed(command: list[str], cache: str) -> float:
    environment = {**os.environ, "CONCADVISE_CACHE_DIR": cache}
    started = time.perf_counter()
    subprocess.run(command, capture_output=True, env=environment, check=False)
    return time.perf_counter() - started


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("tree", nargs="?", default=sysconfig.get_paths()["stdlib"])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--json", type=Path, default=RESULTS)
    arguments = parser.parse_args()
    concadvise = str(BIN / "concadvise")
    check = [concadvise, "check", "--no-cache", "--format", "json", arguments.tree]
    fix = [concadvise, "fix", "--diff", arguments.tree]
    rows = []
    # concadvise: ignore[CA101]: timed rounds must not overlap
    for index in range(arguments.rounds):
        with tempfile.TemporaryDirectory() as cache:
            check_s = _timed(check, cache)
        with tempfile.TemporaryDirectory() as cache:
            fix_s = _timed(fix, cache)
        rows.append({"round": index + 1, "check_s": check_s, "fix_s": fix_s})
        print(f"round {index + 1}: check {check_s:.1f} s, fix --diff {fix_s:.1f} s")
    ratios = [row["fix_s"] / row["check_s"] for row in rows]
    summary = {
        "tree": arguments.tree,
        "rounds": rows,
        "check_median_s": statistics.median(row["check_s"] for row in rows),
        "fix_median_s": statistics.median(row["fix_s"] for row in rows),
        "fix_over_check": statistics.median(ratios),
        "load_average": os.getloadavg()[0],
    }
    print(
        f"\n| tree | check (cold) | fix --diff | fix/check |\n|---|---:|---:|---:|\n"
        f"| {arguments.tree} | {summary['check_median_s']:.1f} s | "
        f"{summary['fix_median_s']:.1f} s | {summary['fix_over_check']:.2f}x |"
    )
    arguments.json.parent.mkdir(parents=True, exist_ok=True)
    arguments.json.write_text(json.dumps(summary, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
