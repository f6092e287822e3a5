"""Predicted vs measured whole-run speedup of `concadvise profile --apply` on the I/O fixtures.

Each workload is copied to a temporary directory, profiled under scalene, rewritten, and timed
before/after alternately (the verifier of `--apply`); ratios come from one run on one machine.

    python benchmarks/prediction_vs_measured.py --runs 5 --json benchmarks/results/prediction.json
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "fixtures"))

from advisor.advice.decision import available_cores  # noqa: E402
from advisor.pipeline import ProfileRequest, apply_and_verify, profile_script  # noqa: E402
from latency_server import start_server  # noqa: E402

WORKLOADS = [
    ("HTTP downloads (20 x 100 ms)", "download_pages.py", True),
    ("slow service records, `+=` (20 x 100 ms)", "fetch_records.py", True),
    ("external command per file (16 x `sleep 0.1; cksum`)", "checksum_files.py", False),
]


def measure(name: str, script: str, needs_server: bool, url: str, runs: int) -> dict:
    with tempfile.TemporaryDirectory(prefix="concadvise-bench-") as tmp:
        for file in (script, "latency_server.py"):
            shutil.copy(ROOT / "fixtures" / file, Path(tmp) / file)
        previous = os.getcwd()
        os.chdir(tmp)
        try:
            request = ProfileRequest(
                script=script, args=(url,) if needs_server else (), timeout=300
            )
            report = profile_script(request)
            report = apply_and_verify(report, request, runs)
        finally:
            os.chdir(previous)
    [finding] = [f for f in report.findings if f.suggestion == "thread_pool"]
    [check] = report.verification
    return {
        "workload": name,
        "loop": f"{script}:{finding.line}",
        "kind": finding.kind,
        "waiting_share": finding.evidence.waiting if finding.evidence else None,
        "workers": finding.workers,
        "predicted": finding.predicted_speedup,
        "before_median_s": statistics.median(check.before_s),
        "after_median_s": statistics.median(check.after_s),
        "measured": check.speedup,
        "same_output": check.same_output,
        "kept": check.kept,
    }


def markdown(rows: list[dict]) -> str:
    lines = [
        "| workload | loop | kind (waiting) | workers | serial | rewritten | measured | predicted "
        "| prediction error | output |",
        "|---|---|---|---:|---:|---:|---:|---:|---:|---|",
    ]
    for r in rows:
        error = (r["predicted"] - r["measured"]) / r["measured"]
        lines.append(
            f"| {r['workload']} | `{r['loop']}` | {r['kind']} ({r['waiting_share']:.0%}) "
            f"| {r['workers']} | {r['before_median_s']:.2f} s | {r['after_median_s']:.2f} s "
            f"| {r['measured']:.2f}x | {r['predicted']:.2f}x | {error:+.0%} "
            f"| {'identical' if r['same_output'] else 'CHANGED'} |"
        )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--json", type=Path, default=None)
    options = parser.parse_args()
    server, url = start_server(latency=0.1)
    try:
        rows = [
            measure(name, script, needs, url, options.runs) for name, script, needs in WORKLOADS
        ]
    finally:
        server.shutdown()
    print(
        f"{platform.python_implementation()} {platform.python_version()}, "
        f"{available_cores()} cores, {options.runs} timed runs per version (medians)\n"
    )
    print(markdown(rows))
    if options.json:
        options.json.parent.mkdir(parents=True, exist_ok=True)
        options.json.write_text(json.dumps(rows, indent=2) + "\n")


if __name__ == "__main__":
    main()
