"""Serial vs concadvise's rewrite vs an expert's version vs the physical limit, per workload.

    python benchmarks/run_all.py            # ~5 min: full sizes, 5 timed rounds
    python benchmarks/run_all.py --quick    # ~2 min: half sizes, 3 timed rounds

For each workload in benchmarks/workloads/<name>/ (serial.py, expert*.py): copy it to a
temporary directory, let concadvise produce the rewrite there (`concadvise profile --format
json` for the loop rules CA101-CA103, whose verdict needs a measurement, and `concadvise check
--format json` for the other rules; each finding that is safe goes through the fixer of its rule
in advisor.codemods.fixers.FIXERS, exactly what `profile --apply` / `fix` would write), then time
every version in alternating rounds (serial, rewrite, expert…, one warm-up round), check each
prints what serial prints, and compare with the ideal:

* I/O:    base + max(ceil(N / W) x item, child CPU / cores), where item = (serial - base) / N is
          the measured per-item time (latency plus its own work), W the rewrite's worker count;
* CPU:    base + (serial - base) / cores + the measured cost of a process pool doing N no-ops;
* native: base + (serial - base) / cores;

base being the same script run with 0 items (interpreter start, imports, setup, output).
Prints one Markdown table per workload and a summary, and writes JSON to benchmarks/results/.
"""

from __future__ import annotations

import argparse
import difflib
import json
import math
import os
import platform
import re
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Literal

ROOT = Path(__file__).resolve().parent.parent
WORKLOADS_DIR = Path(__file__).resolve().parent / "workloads"
RESULTS_DIR = Path(__file__).resolve().parent / "results"
sys.path.insert(0, str(ROOT / "fixtures"))

from advisor.advice.decision import available_cores  # noqa: E402
from advisor.analysis.loop_rules import PICKLE_REASON  # noqa: E402
from advisor.codemods.fixers import RewriteError, fixer_for  # noqa: E402
from advisor.model import Finding  # noqa: E402
from advisor.profiling.runner import CompletedRun, run_in_process_group  # noqa: E402
from advisor.report.load import report_from_dict  # noqa: E402
from advisor.verify.bench import Timing  # noqa: E402
from advisor.verify.equivalence import output_difference  # noqa: E402
from latency_server import start_server  # noqa: E402

# The loop rules: their verdict (is the loop hot, which kind, how many workers) is the profile's.
LOOP_RULES = frozenset({"CA101", "CA102", "CA103"})
LATENCY_S = 0.1  # the local HTTP server's latency per request
RUN_TIMEOUT_S = 300.0
# Targets of DESIGN.md: the rewrite reaches 90% of the ideal and the expert's speed.
TARGET_OF_IDEAL = 0.9
TARGET_OF_EXPERT = 1.0

Kind = Literal["io", "cpu", "native", "tiny"]


@dataclass(frozen=True)
class Workload:
    name: str  # folder under benchmarks/workloads/
    title: str
    kind: Kind
    items: int
    quick_items: int
    needs_server: bool = False


WORKLOADS = (
    Workload("http_downloads", "HTTP downloads, 100 ms latency", "io", 40, 20, True),
    Workload("external_commands", "slow external commands (0.1 s each)", "io", 24, 12),
    Workload("file_latency", "file I/O on a share, 2 x 20 ms per file", "io", 60, 30),
    Workload("cpu_pure_python", "pure-Python CPU (Collatz blocks)", "cpu", 16, 8),
    Workload("native_hashing", "GIL-releasing native (sha256, zlib)", "native", 24, 12),
    Workload("sequential_awaits", "sequential awaits, 100 ms service", "io", 40, 20, True),
    Workload("tiny_loop", "a loop too small to parallelize", "tiny", 6, 6),
)

# What a process pool costs before any work: start the workers, send N no-op tasks, collect.
POOL_NOOP = """\
import sys
from concurrent.futures import ProcessPoolExecutor


def noop(item):
    return item


if __name__ == "__main__":
    with ProcessPoolExecutor(max_workers=int(sys.argv[2])) as pool:
        list(pool.map(noop, range(int(sys.argv[1]))))
"""


# ----------------------------------------------------------------------------- the rewrite


@dataclass(frozen=True)
class Rewrite:
    text: str | None  # None: concadvise changed nothing
    applied: tuple[str, ...]  # "CA101 line 23 (32 workers)"
    notes: tuple[str, ...]  # why a finding was not rewritten
    workers: int | None  # the rewrite's worker count, None when unbounded or unknown
    profiled: bool  # False when `concadvise profile` failed: its silence proves nothing then
    suggested: tuple[str, ...]  # profile findings that suggest a change (suggestion != none)
    profile_findings: tuple[str, ...]
    check_findings: tuple[str, ...]


def _concadvise(args: list[str], cwd: Path) -> tuple[dict | None, str]:
    """Run the real CLI; its JSON report, or None and the reason it failed."""
    result = subprocess.run(
        [sys.executable, "-m", "advisor.cli", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=RUN_TIMEOUT_S,
        env=dict(os.environ, PYTHONPATH=str(ROOT)),
    )
    try:
        return json.loads(result.stdout), ""
    except json.JSONDecodeError:
        last = (result.stderr.strip().splitlines() or ["no output"])[-1]
        return None, f"`concadvise {args[0]}` failed: {last}"


def _line_map(old: str, new: str) -> dict[int, int]:
    """Old line number → new line number, for every line the rewrite left as it was."""
    matcher = difflib.SequenceMatcher(None, old.splitlines(), new.splitlines(), autojunk=False)
    mapping: dict[int, int] = {}
    for tag, i1, i2, j1, _j2 in matcher.get_opcodes():
        if tag == "equal":
            mapping.update({i1 + k + 1: j1 + k + 1 for k in range(i2 - i1)})
    return mapping


def _describe(finding: Finding) -> str:
    workers = f", {finding.workers} workers" if finding.workers else ""
    return f"{finding.rule} line {finding.line} ({finding.kind}, {finding.fix_safety}{workers})"


def _workers_in(before: str, after: str) -> int | None:
    """The worker bound the rewrite wrote (max_workers=, Semaphore(), processes=)."""
    added = "\n".join(set(after.splitlines()) - set(before.splitlines()))
    match = re.search(r"(?:max_workers=|Semaphore\(|processes=)(\d+)", added)
    return int(match[1]) if match else None


def produce_rewrite(workdir: Path, args: list[str]) -> Rewrite:
    """What concadvise itself rewrites in serial.py, measured by its profile."""
    profile, profile_error = _concadvise(
        ["profile", "serial.py", "--format", "json", "--", *args], workdir
    )
    check, check_error = _concadvise(
        ["check", "serial.py", "--format", "json", "--no-cache"], workdir
    )
    notes = [error for error in (profile_error, check_error) if error]
    profiled = report_from_dict(profile).findings if profile else ()
    static = report_from_dict(check).findings if check else ()
    chosen = [f for f in profiled if f.rule in LOOP_RULES]
    chosen += [f for f in static if f.rule not in LOOP_RULES]
    source = original = (workdir / "serial.py").read_text()
    applied: list[str] = []
    workers: int | None = None
    pending = sorted(chosen, key=lambda f: -f.line)
    while pending:
        finding, pending = pending[0], pending[1:]
        fixer = fixer_for(finding)
        if finding.suggestion == "none":
            notes.append(f"{finding.rule} line {finding.line}: {finding.message}")
        elif finding.fix_safety != "safe" and finding.reasons != (PICKLE_REASON,):
            # unsafe only because pickling cannot be proven from source is what a user applies
            # with `fix --unsafe-fixes`; the run below checks the output is the same
            why = "; ".join(finding.reasons) or "not proven safe"
            notes.append(f"{finding.rule} line {finding.line} is {finding.fix_safety}: {why}")
        elif fixer is None:
            notes.append(f"{finding.rule} line {finding.line}: no fixer for {finding.rule} yet")
        else:
            try:
                rewritten = fixer(source, finding)
            except RewriteError as exc:
                notes.append(f"{finding.rule} line {finding.line}: rewrite refused: {exc}")
                continue
            applied.append(
                _describe(finding) + (" --unsafe-fixes" if finding.fix_safety != "safe" else "")
            )
            workers = finding.workers or _workers_in(source, rewritten) or workers
            # later findings sit above this one: follow them through the inserted imports
            moved = _line_map(source, rewritten)
            pending = [
                replace(f, line=moved[f.line], end_line=moved.get(f.end_line, f.end_line))
                for f in pending
                if f.line in moved
            ]
            source = rewritten
    return Rewrite(
        text=source if source != original else None,
        applied=tuple(applied),
        notes=tuple(notes),
        workers=workers,
        profiled=profile is not None,
        suggested=tuple(_describe(f) for f in profiled if f.suggestion != "none"),
        profile_findings=tuple(_describe(f) for f in profiled),
        check_findings=tuple(_describe(f) for f in static),
    )


# ----------------------------------------------------------------------------- timing


@dataclass
class Measured:
    wall: list[float] = field(default_factory=list)
    cpu: list[float] = field(default_factory=list)  # user + system seconds of the run's processes
    difference: str | None = None


def _timed_run(argv: list[str], cwd: Path) -> tuple[CompletedRun, float]:
    # the children's rusage grows when a run is reaped: its own and its reaped descendants' CPU
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    run = run_in_process_group(argv, cwd=str(cwd), timeout=RUN_TIMEOUT_S)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    if run.timed_out:
        raise SystemExit(f"run_all: {' '.join(argv)} ran past {RUN_TIMEOUT_S:g} s")
    return run, cpu


def time_round_robin(
    versions: dict[str, list[str]], compared: set[str], cwd: Path, runs: int, on_round
) -> dict[str, Measured]:
    """Rounds of every version in turn (one warm-up round not counted); the first version's
    first output is the reference the ``compared`` versions must print too."""
    measured = {name: Measured() for name in versions}
    reference: CompletedRun | None = None
    for round_index in range(runs + 1):
        for name, argv in versions.items():
            run, cpu = _timed_run(argv, cwd)
            if reference is None:
                if run.exit_code != 0:  # nothing to compare or time against
                    last = run.stderr.decode("utf-8", "replace").strip().splitlines()[-1:]
                    raise SystemExit(f"run_all: {' '.join(argv)} failed: {last}")
                reference = run
            elif name in compared and measured[name].difference is None:
                measured[name].difference = output_difference(reference, run)
            if round_index > 0:
                measured[name].wall.append(run.wall_s)
                measured[name].cpu.append(cpu)
        on_round(round_index, runs)
    return measured


def pairwise(numerator: list[float], denominator: list[float]) -> dict[str, float]:
    ratios = [n / d for n, d in zip(numerator, denominator, strict=True) if d > 0]
    return {"median": statistics.median(ratios), "min": min(ratios), "max": max(ratios)}


# ----------------------------------------------------------------------------- the ideal


def ideal_seconds(
    workload: Workload,
    items: int,
    measured: dict[str, Measured],
    workers: int | None,
    cores: int,
) -> tuple[float, str]:
    """The physical limit for this workload on this machine, and how it was computed."""
    serial = statistics.median(measured["serial"].wall)
    base = statistics.median(measured["base"].wall)
    work = max(0.0, serial - base)
    if workload.kind == "tiny":
        return serial, "serial: nothing to overlap"
    if workload.kind == "native":
        return base + work / cores, f"base + (serial - base) / {cores} cores"
    if workload.kind == "cpu":
        pool = statistics.median(measured["pool_noop"].wall) - statistics.median(
            measured["empty"].wall
        )
        return (
            base + work / cores + max(0.0, pool),
            f"base + (serial - base) / {cores} cores + pool of {items} no-ops {pool:.3f} s",
        )
    item = work / items
    width = min(items, workers or items)
    child_cpu = statistics.median(measured["serial"].cpu) - statistics.median(measured["base"].cpu)
    latency_bound = math.ceil(items / width) * item
    cpu_bound = max(0.0, child_cpu) / cores
    how = f"base + ceil({items}/{width}) x {item * 1000:.0f} ms per item"
    if cpu_bound > latency_bound:
        how = f"base + CPU {child_cpu:.2f} s / {cores} cores (above the latency bound)"
    return base + max(latency_bound, cpu_bound), how


# ----------------------------------------------------------------------------- one workload


def measure(workload: Workload, items: int, runs: int, url: str, cores: int) -> dict:
    with tempfile.TemporaryDirectory(prefix=f"concadvise-{workload.name}-") as tmp:
        workdir = Path(tmp) / workload.name
        shutil.copytree(WORKLOADS_DIR / workload.name, workdir)
        extra = [url] if workload.needs_server else []
        args = [str(items), *extra]
        print(f"  {workload.name}: concadvise profile + check …", file=sys.stderr, flush=True)
        rewrite = produce_rewrite(workdir, args)
        python = [sys.executable]
        versions = {"serial": [*python, "serial.py", *args]}
        if rewrite.text is not None:
            (workdir / "rewrite.py").write_text(rewrite.text)
            versions["rewrite"] = [*python, "rewrite.py", *args]
        experts = sorted(p.name for p in workdir.glob("expert*.py"))
        versions.update({Path(e).stem: [*python, e, *args] for e in experts})
        compared = set(versions) - {"serial"}
        versions["base"] = [*python, "serial.py", "0", *extra]
        if workload.kind == "cpu":
            (workdir / "pool_noop.py").write_text(POOL_NOOP)
            versions["pool_noop"] = [*python, "pool_noop.py", str(items), str(cores)]
            versions["empty"] = [*python, "-c", "pass"]

        def progress(round_index: int, total: int) -> None:
            label = "warm-up" if round_index == 0 else f"round {round_index}/{total}"
            print(f"  {workload.name}: {label}", file=sys.stderr, flush=True)

        measured = time_round_robin(versions, compared, workdir, runs, progress)
    ideal, ideal_how = ideal_seconds(workload, items, measured, rewrite.workers, cores)
    timings = {name: asdict(Timing.of(m.wall)) for name, m in measured.items()}
    serial_wall = measured["serial"].wall
    expert_names = [Path(e).stem for e in experts]
    best_expert = min(expert_names, key=lambda e: statistics.median(measured[e].wall))
    # "the rewrite" of a loop the tool leaves alone is the serial script itself
    rewrite_name = "rewrite" if rewrite.text is not None else "serial"
    rewrite_wall = measured[rewrite_name].wall
    return {
        "workload": workload.name,
        "title": workload.title,
        "kind": workload.kind,
        "items": items,
        "rewrite": {
            "changed": rewrite.text is not None,
            "applied": rewrite.applied,
            "notes": rewrite.notes,
            "workers": rewrite.workers,
            "profiled": rewrite.profiled,
            "suggested": rewrite.suggested,
            "profile_findings": rewrite.profile_findings,
            "check_findings": rewrite.check_findings,
        },
        "timings": timings,
        "cpu_s": {name: statistics.median(m.cpu) for name, m in measured.items()},
        "same_output": {name: measured[name].difference is None for name in compared},
        "differences": {n: measured[n].difference for n in compared if measured[n].difference},
        "ideal_s": ideal,
        "ideal_how": ideal_how,
        "best_expert": best_expert,
        "speedup": {
            name: pairwise(serial_wall, measured[name].wall)
            for name in [*(["rewrite"] if rewrite.text is not None else []), *expert_names]
        },
        "rewrite_of_ideal": ideal / statistics.median(rewrite_wall),
        "rewrite_vs_expert": pairwise(measured[best_expert].wall, rewrite_wall),
    }


# ----------------------------------------------------------------------------- tables


def _s(seconds: float) -> str:
    return f"{seconds:.2f} s"


def verdict(row: dict) -> str:
    if not row["rewrite"]["profiled"]:
        return "✗ profile failed"
    if row["kind"] == "tiny":
        found = row["rewrite"]["suggested"]
        return "✓ nothing suggested" if not found else f"✗ profile suggests {found[0]}"
    if not row["rewrite"]["changed"]:
        return "✗ no rewrite"
    if not row["same_output"]["rewrite"]:
        return "✗ the rewrite changed the output"
    of_ideal, vs_expert = row["rewrite_of_ideal"], row["rewrite_vs_expert"]
    misses = []
    if of_ideal < TARGET_OF_IDEAL:
        misses.append(f"{of_ideal:.0%} of ideal")
    if vs_expert["median"] < TARGET_OF_EXPERT:
        noisy = " (range spans 1.0)" if vs_expert["max"] >= TARGET_OF_EXPERT else ""
        misses.append(f"slower than expert{noisy}")
    return "✓ meets targets" if not misses else "✗ " + ", ".join(misses)


def summary_table(rows: list[dict]) -> str:
    lines = [
        "| workload | N | serial | concadvise rewrite | expert | ideal | rewrite/ideal "
        "| rewrite/expert | result |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---|",
    ]
    for row in rows:
        t = row["timings"]
        if row["rewrite"]["changed"]:
            speedup = row["speedup"]["rewrite"]["median"]
            rewrite = f"{_s(t['rewrite']['median_s'])} ({speedup:.1f}x)"
        else:
            rewrite = "unchanged" if row["kind"] == "tiny" else "no rewrite"
        expert = row["best_expert"]
        expert_cell = f"{_s(t[expert]['median_s'])} ({row['speedup'][expert]['median']:.1f}x)"
        if len([n for n in t if n.startswith("expert")]) > 1:
            expert_cell += f" `{expert}`"
        vs = row["rewrite_vs_expert"]
        lines.append(
            f"| {row['title']} | {row['items']} | {_s(t['serial']['median_s'])} | {rewrite} "
            f"| {expert_cell} | {_s(row['ideal_s'])} | {row['rewrite_of_ideal']:.0%} "
            f"| {vs['median']:.2f}x ({vs['min']:.2f}-{vs['max']:.2f}) | {verdict(row)} |"
        )
    return "\n".join(lines)


def workload_table(row: dict) -> str:
    lines = [
        f"### {row['workload']}: {row['title']} (N = {row['items']})",
        "",
        "| version | median | min-max | speedup vs serial (pairwise) | CPU | output |",
        "|---|---:|---:|---:|---:|---|",
    ]
    for name, timing in row["timings"].items():
        if name in ("base", "pool_noop", "empty"):
            continue
        speedup = row["speedup"].get(name)
        cell = (
            f"{speedup['median']:.2f}x ({speedup['min']:.2f}-{speedup['max']:.2f})"
            if speedup
            else "1.00x"
        )
        same = row["same_output"].get(name, True)
        lines.append(
            f"| {name} | {_s(timing['median_s'])} | {timing['min_s']:.2f}-{timing['max_s']:.2f} "
            f"| {cell} | {row['cpu_s'][name]:.2f} s | {'same' if same else 'DIFFERS'} |"
        )
    lines.append(f"| ideal | {_s(row['ideal_s'])} | | | | {row['ideal_how']} |")
    base = row["timings"]["base"]["median_s"]
    lines += ["", f"- base (0 items): {_s(base)}"]
    rewrite = row["rewrite"]
    lines.append(f"- concadvise profile: {', '.join(rewrite['profile_findings']) or 'no finding'}")
    lines.append(f"- concadvise check: {', '.join(rewrite['check_findings']) or 'no finding'}")
    lines.append(f"- rewritten: {', '.join(rewrite['applied']) or 'nothing'}")
    lines += [f"- not rewritten: {note}" for note in rewrite["notes"]]
    lines += [f"- output of {n}: {d}" for n, d in row["differences"].items()]
    return "\n".join(lines)


# ----------------------------------------------------------------------------- main


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="half sizes, 3 timed rounds")
    parser.add_argument("--runs", type=int, default=None, help="timed rounds (default 5, quick 3)")
    parser.add_argument("--only", action="append", default=None, help="a workload name")
    parser.add_argument("--json", type=Path, default=None, help="where to write the results")
    options = parser.parse_args()
    runs = options.runs or (3 if options.quick else 5)
    selected = [w for w in WORKLOADS if not options.only or w.name in options.only]
    if not selected:
        parser.error(f"no such workload; choose from {', '.join(w.name for w in WORKLOADS)}")
    output = options.json or RESULTS_DIR / (
        "run_all_quick.json" if options.quick else "run_all.json"
    )
    cores = available_cores()
    load_before = os.getloadavg()
    started = time.perf_counter()
    server, url = start_server(latency=LATENCY_S)
    try:
        rows = [
            measure(w, w.quick_items if options.quick else w.items, runs, url, cores)
            for w in selected
        ]
    finally:
        server.shutdown()
        server.server_close()
    environment = {
        "python": f"{platform.python_implementation()} {platform.python_version()}",
        "cores": cores,
        "load_average_before": [round(x, 2) for x in load_before],
        "load_average_after": [round(x, 2) for x in os.getloadavg()],
        "runs": runs,
        "quick": options.quick,
        "date": time.strftime("%Y-%m-%d"),
        "duration_s": round(time.perf_counter() - started, 1),
    }
    print(
        f"{environment['python']}, {cores} cores, {runs} timed rounds per version (medians; one "
        f"warm-up round), load average {load_before[0]:.2f} at start, "
        f"{environment['duration_s']:.0f} s in all\n"
    )
    if load_before[0] > cores / 2:
        print(
            f"**Busy machine**: load average {load_before[0]:.1f} on {cores} cores at the start, "
            f"{environment['load_average_after'][0]:.1f} at the end. The ideals assume free "
            "cores; CPU-bound and process-heavy rows cannot reach them while others compute.\n"
        )
    print(summary_table(rows))
    for row in rows:
        print()
        print(workload_table(row))
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(json.dumps({"environment": environment, "workloads": rows}, indent=2) + "\n")
    print(f"\nResults: {output.relative_to(ROOT) if output.is_relative_to(ROOT) else output}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
