"""What `concadvise profile` costs on top of the script: a fixed part and a proportional part.

    python benchmarks/profiling_overhead.py --rounds 5 \
        --json benchmarks/results/profiling_overhead.json

For a CPU-bound fixture (word_scores.py, pure Python), an I/O-bound one (checksum_files.py, an
external command per file) and one whose children keep every core busy (encode_clips.py, an encoder
per clip; `--only encode_clips` runs it alone), each round runs, one after another: the bare script
(`python SCRIPT`), `concadvise profile --profiler py-spy SCRIPT --format json`, the same with
scalene, and `concadvise version` (the CLI's own start-up). One warm-up round is not counted;
medians of the rest. From each profiled run's report:

* in-run slowdown (proportional): the program's own wall time under the profiler (`run.wall_s`:
  the launcher's clock for py-spy, scalene's elapsed time for scalene) over the bare wall time;
* fixed: everything else `profile` spends — the CLI's start-up, the profiler's start and wind-down,
  the analysis after the run (`run.analysis_s`, also shown alone) and the report.

Default sampling settings throughout; the pool overheads are measured before the first round, so
no round pays for the calibration.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from advisor.advice.calibration import load_overheads  # noqa: E402
from advisor.advice.decision import available_cores  # noqa: E402

FIXTURES = [
    ("CPU-bound: word scores (pure Python)", "word_scores.py"),
    ("I/O-bound: external command per file", "checksum_files.py"),
    # children that keep every core busy: the samplers compete with them for the CPU
    ("CPU-heavy children: an encoder on both cores per clip", "encode_clips.py"),
]
PROFILERS = ("py-spy", "scalene")


def timed(argv: list[str], cwd: Path) -> tuple[float, str]:
    started = time.perf_counter()
    done = subprocess.run(argv, cwd=cwd, capture_output=True, text=True, timeout=600)
    wall = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(argv)} failed ({done.returncode}): {done.stderr[-500:]}")
    return wall, done.stdout


def one_round(script: str, cwd: Path) -> dict[str, float]:
    python = sys.executable
    cli = [python, "-m", "advisor.cli"]
    row: dict[str, float] = {}
    row["bare_s"], _ = timed([python, script], cwd)
    for profiler in PROFILERS:
        wall, out = timed(
            [*cli, "profile", "--profiler", profiler, script, "--format", "json"], cwd
        )
        run = json.loads(out)["run"]
        row[f"{profiler}_total_s"] = wall
        row[f"{profiler}_in_run_s"] = run["wall_s"]
        row[f"{profiler}_analysis_s"] = run.get("analysis_s") or 0.0
    row["cli_start_s"], _ = timed([*cli, "version"], cwd)
    return row


def measure(name: str, script: str, rounds: int) -> dict:
    with tempfile.TemporaryDirectory(prefix="concadvise-overhead-") as tmp:
        (Path(tmp) / script).write_bytes((ROOT / "fixtures" / script).read_bytes())
        one_round(script, Path(tmp))  # warm-up: file caches, py-spy's first attach
        runs = [one_round(script, Path(tmp)) for _ in range(rounds)]
    median = {key: statistics.median(r[key] for r in runs) for key in runs[0]}
    result: dict = {"workload": name, "script": script, "rounds": runs, "median": median}
    for profiler in PROFILERS:
        bare, in_run = median["bare_s"], median[f"{profiler}_in_run_s"]
        total = median[f"{profiler}_total_s"]
        result[profiler] = {
            "in_run_slowdown": in_run / bare - 1,
            "fixed_s": total - in_run,
            "cli_start_s": median["cli_start_s"],
            "analysis_s": median[f"{profiler}_analysis_s"],
            "total_over_bare": total / bare - 1,
        }
    return result


def markdown(results: list[dict]) -> str:
    lines = [
        "| workload | profiler | bare | `profile` total | program under profiler "
        "| in-run slowdown | fixed part | of which CLI start-up | analysis after the run |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in results:
        m = r["median"]
        for profiler in PROFILERS:
            p = r[profiler]
            lines.append(
                f"| {r['workload']} | {profiler} | {m['bare_s']:.2f} s "
                f"| {m[f'{profiler}_total_s']:.2f} s | {m[f'{profiler}_in_run_s']:.2f} s "
                f"| {p['in_run_slowdown']:+.0%} | {p['fixed_s']:.2f} s "
                f"| {p['cli_start_s']:.2f} s | {p['analysis_s'] * 1000:.0f} ms |"
            )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--json", type=Path, default=None)
    parser.add_argument("--only", help="the fixtures whose file name contains this", default="")
    options = parser.parse_args()
    load_overheads()  # once per machine; not part of any timed round
    load_before = os.getloadavg()[0]
    chosen = [(name, script) for name, script in FIXTURES if options.only in script]
    results = [measure(name, script, options.rounds) for name, script in chosen]
    load_after = os.getloadavg()[0]
    print(
        f"{platform.python_implementation()} {platform.python_version()}, "
        f"{available_cores()} cores, load average {load_before:.1f} -> {load_after:.1f}, "
        f"{options.rounds} rounds (medians)\n"
    )
    print(markdown(results))
    analysis = [r[p]["analysis_s"] for r in results for p in PROFILERS]
    print(f"\nanalysis after the run: at most {max(analysis) * 1000:.0f} ms")
    if options.json:
        options.json.parent.mkdir(parents=True, exist_ok=True)
        document = {"load_average": [load_before, load_after], "results": results}
        options.json.write_text(json.dumps(document, indent=2) + "\n")


if __name__ == "__main__":
    main()
