"""Static `check` speed on a large real tree, beside ruff (ASYNC + PERF rules) and flake8-async.

    python benchmarks/check_speed.py [TREE] [--json benchmarks/results/check_speed.json]

TREE defaults to the installed standard library. Each tool runs once cold (concadvise with an empty
cache, 2 worker processes on this machine) and concadvise once more warm (unchanged tree, cache
hit). Lines are counted over the same files concadvise analyses. Wall-clock seconds of one run on
a shared 2-core machine: read the ratios, not the third digit.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import shutil
import subprocess
import sys
import sysconfig
import tempfile
import time
from pathlib import Path

BIN = Path(sys.executable).parent


def timed(argv: list[str], env: dict[str, str] | None = None) -> tuple[float, str]:
    started = time.perf_counter()
    result = subprocess.run(argv, capture_output=True, text=True, env=env)
    return time.perf_counter() - started, result.stdout


def count_lines(tree: str) -> tuple[int, int]:
    from advisor.analysis.discovery import discover
    from advisor.config import Config

    files, _ = discover([tree], Config())
    lines = 0
    for file in files:
        with contextlib.suppress(OSError):
            lines += Path(file).read_bytes().count(b"\n")
    return len(files), lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("tree", nargs="?", default=sysconfig.get_paths()["stdlib"])
    parser.add_argument("--json", type=Path, default=None)
    parser.add_argument(
        "--no-flake8", action="store_true", help="skip flake8-async (it takes ~30 min on 2 cores)"
    )
    options = parser.parse_args()
    files, lines = count_lines(options.tree)
    rows = []
    with tempfile.TemporaryDirectory() as cache:
        env = {"CONCADVISE_CACHE_DIR": cache, "PATH": str(BIN)}
        cold, out = timed([str(BIN / "concadvise"), "check", options.tree, "--format", "json"], env)
        findings = len(json.loads(out)["findings"])
        rows.append(("concadvise check (cold, all rules)", cold, findings))
        warm, _ = timed([str(BIN / "concadvise"), "check", options.tree, "--format", "json"], env)
        rows.append(("concadvise check (warm cache)", warm, findings))
    ruff = shutil.which("ruff", path=str(BIN))
    if ruff:
        for rules in ("ASYNC", "PERF", "ASYNC,PERF"):
            seconds, out = timed(
                [
                    ruff,
                    "check",
                    "--no-cache",
                    "--isolated",
                    "--select",
                    rules,
                    "--output-format",
                    "json",
                    "--exit-zero",
                    options.tree,
                ]
            )
            rows.append(
                (f"ruff --select {rules} (no cache)", seconds, len(json.loads(out or "[]")))
            )
    flake8 = shutil.which("flake8", path=str(BIN))
    if flake8 and not options.no_flake8:
        seconds, out = timed(
            # site-packages is skipped by concadvise and ruff by default; flake8 needs telling
            [
                flake8,
                "--isolated",
                "--select",
                "ASYNC",
                "--jobs",
                "2",
                "--extend-exclude",
                "site-packages",
                "--exit-zero",
                options.tree,
            ]
        )
        rows.append(("flake8-async (--select ASYNC, 2 jobs)", seconds, len(out.splitlines())))
    print(f"{options.tree}: {files} files, {lines:,} lines\n")
    print("| tool | wall s | lines/s | findings |")
    print("|---|---:|---:|---:|")
    for name, seconds, found in rows:
        print(f"| {name} | {seconds:.2f} | {lines / seconds:,.0f} | {found} |")
    if options.json:
        options.json.parent.mkdir(parents=True, exist_ok=True)
        options.json.write_text(
            json.dumps(
                {
                    "tree": options.tree,
                    "files": files,
                    "lines": lines,
                    "rows": [{"tool": n, "seconds": s, "findings": f} for n, s, f in rows],
                },
                indent=2,
            )
            + "\n"
        )


if __name__ == "__main__":
    main()
