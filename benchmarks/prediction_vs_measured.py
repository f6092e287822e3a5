"""Predicted vs measured whole-run speedup of `concadvise profile --apply` on the fixtures whose
hot loop has a rewrite (thread pool: the I/O fixtures and the native one; a pool's tasks
collected after all are submitted: check_links.py).

Each workload is copied to a temporary directory; then, RUNS rounds of: profile it (default
profiler, py-spy, with the bootstrap's loop counts and this machine's measured pool overheads:
one prediction), then time the serial script and its rewrite alternately (the verifier of
`--apply`: a warm-up pair and a timed pair). Predicted = the median of the rounds' predictions,
measured = the median of the rounds' serial/rewrite ratios.

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
from dataclasses import replace
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "fixtures"))

from advisor.advice.decision import available_cores, choose_io_workers  # noqa: E402
from advisor.codemods.apply import fixed_file_bytes  # noqa: E402
from advisor.model import Finding, Report  # noqa: E402
from advisor.pipeline import ProfileRequest, profile_script  # noqa: E402
from advisor.verify.verifier import verify_rewrite  # noqa: E402
from latency_server import start_server  # noqa: E402

WORKLOADS = [
    ("HTTP downloads (20 x 100 ms)", "download_pages.py", True),
    ("slow service records, `+=` (20 x 100 ms)", "fetch_records.py", True),
    ("external command per file (16 x `sleep 0.1; cksum`)", "checksum_files.py", False),
    ("SHA-256 of 40 x 1 MB blocks (GIL released)", "hash_blocks.py", False),
    # a pool already there, its tasks waited for one by one (CA205): collected after all submits
    ("pool tasks waited for one by one (30 x 100 ms, 8 workers)", "check_links.py", True),
]
# the findings whose rewrite runs a loop's items together: a serial loop, or a pool's tasks
# submitted and waited for in the same iteration
_LOOP_RULES = ("CA101", "CA102", "CA103", "CA104", "CA205")
_SUGGESTED = ("thread_pool", "bounded_pool")


def hot_loop(report: Report) -> Finding:
    """The finding of the workload's hot loop: the one suggestion, or, when the model predicts
    too little gain to suggest anything (e.g. native work with no free core), the hottest loop
    (the outer one of two nested loops: it ran fewer times)."""
    loops = [f for f in report.findings if f.evidence is not None and f.rule in _LOOP_RULES]
    suggested = [f for f in loops if f.suggestion in _SUGGESTED and f.predicted_speedup]
    if suggested:
        return suggested[0]
    hottest = max(f.evidence.wall_s for f in loops)  # type: ignore[union-attr]
    hot = [f for f in loops if f.evidence.wall_s >= 0.95 * hottest]  # type: ignore[union-attr]
    return min(hot, key=lambda f: f.evidence.executions or 0)  # type: ignore[union-attr]


def measure(name: str, script: str, needs_server: bool, url: str, rounds: int) -> dict:
    """``rounds`` rounds of: profile (a prediction), then one warm-up and one timed pair of
    serial and rewritten runs. On a shared machine the load drifts within minutes; rounds give
    each prediction and each measurement the same conditions, and the medians compare."""
    predictions: list[tuple[Report, Finding]] = []
    before: list[float] = []
    after: list[float] = []
    ratios: list[float] = []
    same_output = True
    with tempfile.TemporaryDirectory(prefix="concadvise-bench-") as tmp:
        for file in (script, "latency_server.py"):
            shutil.copy(ROOT / "fixtures" / file, Path(tmp) / file)
        previous = os.getcwd()
        os.chdir(tmp)
        try:
            request = ProfileRequest(
                script=script, args=(url,) if needs_server else (), timeout=300
            )
            original = Path(script).read_bytes()
            rewritten = None
            for _ in range(rounds):
                report = profile_script(request)
                finding = hot_loop(report)
                predictions.append((report, finding))
                if rewritten is None:
                    # the rewrite `--apply` makes, also for a loop the model advised against:
                    # the prediction of no gain is checked as well
                    evidence = finding.evidence
                    assert evidence is not None
                    workers = finding.workers or choose_io_workers(evidence, available_cores())
                    # marked safe here only to get the rewrite the fix table makes for it
                    rewrite = replace(finding, workers=workers, fix_safety="safe")
                    rewritten = fixed_file_bytes(script, original, rewrite)
                check = verify_rewrite(
                    script,
                    original,
                    rewritten,
                    [sys.executable, script, *request.args],
                    cwd=None,
                    runs=1,
                    timeout=300,
                )
                Path(script).write_bytes(original)  # the next round profiles the serial script
                before += check.before_s
                after += check.after_s
                ratios.append(check.speedup)
                same_output = same_output and check.same_output
        finally:
            os.chdir(previous)
    report, finding = predictions[0]
    evidence = finding.evidence
    assert evidence is not None
    predicted = [f.predicted_speedup or 1.0 for _, f in predictions]
    return {
        "workload": name,
        "loop": f"{script}:{finding.line}",
        "kind": finding.kind,
        "suggested": finding.suggestion in _SUGGESTED,
        "waiting_share": evidence.waiting,
        "native_share": evidence.cpu_native,
        "items": evidence.iterations,
        "workers": workers,
        "predictions": predicted,
        "predicted": statistics.median(predicted),
        "before_s": before,
        "after_s": after,
        "before_median_s": statistics.median(before),
        "after_median_s": statistics.median(after),
        "ratios": ratios,
        "measured": round(statistics.median(ratios), 3),
        "same_output": same_output,
    }


def markdown(rows: list[dict]) -> str:
    lines = [
        "| workload | loop | kind (waiting) | items | workers | serial | rewritten | measured "
        "| predicted | prediction error | output |",
        "|---|---|---|---:|---:|---:|---:|---:|---:|---:|---|",
    ]
    for r in rows:
        error = (r["predicted"] - r["measured"]) / r["measured"]
        lines.append(
            f"| {r['workload']} | `{r['loop']}` | {r['kind']} ({r['waiting_share']:.0%}) "
            f"| {r['items']} | {r['workers']} | {r['before_median_s']:.2f} s "
            f"| {r['after_median_s']:.2f} s "
            f"| {r['measured']:.2f}x | {r['predicted']:.2f}x"
            f"{'' if r['suggested'] else ' (not suggested)'} | {error:+.0%} "
            f"| {'identical' if r['same_output'] else 'CHANGED'} |"
        )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--json", type=Path, default=None)
    options = parser.parse_args()
    server, url = start_server(latency=0.1)
    load_before = os.getloadavg()[0]
    try:
        rows = [
            measure(name, script, needs, url, options.runs) for name, script, needs in WORKLOADS
        ]
    finally:
        server.shutdown()
    load_after = os.getloadavg()[0]
    print(
        f"{platform.python_implementation()} {platform.python_version()}, "
        f"{available_cores()} cores, load average {load_before:.1f} -> {load_after:.1f}, "
        f"{options.runs} rounds (medians)\n"
    )
    print(markdown(rows))
    worst = max(abs(r["predicted"] - r["measured"]) / r["measured"] for r in rows)
    print(f"\nlargest prediction error: {worst:.0%}")
    if options.json:
        options.json.parent.mkdir(parents=True, exist_ok=True)
        document = {"load_average": [load_before, load_after], "rows": rows}
        options.json.write_text(json.dumps(document, indent=2) + "\n")


if __name__ == "__main__":
    main()
