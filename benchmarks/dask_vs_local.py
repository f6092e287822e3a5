"""The same CPU-bound loop serial, on a local process pool, on Dask and on Ray: what each costs.

    python benchmarks/dask_vs_local.py [--runs 5] [--items 48] [--json benchmarks/results/dask.json]

The rewrites are made by concadvise itself (the CA102 process-pool fixer, the Dask fixer and the
Ray fixer) from fixtures/factorial_digits.py. The Dask version runs twice: against a LocalCluster
of 2 worker processes started once by this script (DASK_SCHEDULER_ADDRESS, what a user with a
cluster does), and with no address, so the script starts and stops its own LocalCluster every run.
The Ray version likewise: against a local Ray head started once (`ray start --head`, RAY_ADDRESS),
and with none, so each run starts its own local Ray. Each pair is timed alternately against the
serial script (advisor.verify.bench), medians and pairwise ratios; Dask's and Ray's own log lines
are left out of the comparison, as `profile --apply` does.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from advisor.codemods.dask_executor import DASK_LOG_LINES, rewrite_loop_to_dask  # noqa: E402
from advisor.codemods.process_pool import fix_process_pool_loop  # noqa: E402
from advisor.codemods.ray_executor import RAY_LOG_LINES, rewrite_loop_to_ray  # noqa: E402
from advisor.fix import FixRequest, fix_paths  # noqa: E402
from advisor.verify.bench import Version, run_alternating  # noqa: E402
from advisor.verify.equivalence import OutputRule  # noqa: E402

FIXTURE = ROOT / "fixtures" / "factorial_digits.py"


def _loop_line(path: Path) -> int:
    report = fix_paths(FixRequest(paths=(str(path),), write=False, unsafe_fixes=True))
    [fixed] = report.files
    [finding] = fixed.applied
    return finding.line


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--items", type=int, default=48)
    parser.add_argument("--json", type=Path)
    options = parser.parse_args()
    from distributed import LocalCluster  # the `dask` extra

    work = Path(tempfile.mkdtemp(prefix="concadvise-dask-"))
    serial = work / "serial.py"
    shutil.copy(FIXTURE, serial)
    line = _loop_line(serial)
    text = serial.read_text()
    from advisor.model import Finding

    finding = Finding("CA102", str(serial), line, line + 1, "", "cpu", "process_pool", "unsafe")
    (work / "processes.py").write_text(fix_process_pool_loop(text, finding))
    # not "dask.py": that name would shadow the dask package for the script
    (work / "on_dask.py").write_text(rewrite_loop_to_dask(text, line))
    (work / "on_ray.py").write_text(rewrite_loop_to_ray(text, line))

    def argv(name: str) -> tuple[str, ...]:
        return (sys.executable, str(work / name), str(options.items))

    rows = []
    env_before = os.environ.pop("DASK_SCHEDULER_ADDRESS", None)

    def timed(label: str, name: str, address: str | None) -> None:
        if address is None:
            os.environ.pop("DASK_SCHEDULER_ADDRESS", None)
        else:
            os.environ["DASK_SCHEDULER_ADDRESS"] = address
        result = run_alternating(
            Version(argv("serial.py")),
            Version(argv(name)),
            runs=options.runs,
            rule=OutputRule(drop_lines=DASK_LOG_LINES),
        )
        rows.append({"version": label, **result.to_dict()})

    try:
        timed("ProcessPoolExecutor (2 cores)", "processes.py", None)
        with LocalCluster(
            n_workers=2,
            threads_per_worker=1,
            processes=True,
            host="127.0.0.1",
            dashboard_address=None,
        ) as cluster:
            label = "Dask, running LocalCluster (2 worker processes)"
            timed(label, "on_dask.py", cluster.scheduler_address)
        # after that cluster is gone: beside it, the script's own cluster finds the dashboard's
        # port taken and warns on stderr, which no user running one script would see
        timed("Dask, no address: own LocalCluster per run", "on_dask.py", None)
        rows += _ray_rows(argv, options.runs)
    finally:
        os.environ.pop("DASK_SCHEDULER_ADDRESS", None)
        if env_before is not None:
            os.environ["DASK_SCHEDULER_ADDRESS"] = env_before
        shutil.rmtree(work, ignore_errors=True)

    print(f"factorial_digits.py, {options.items} items, {options.runs} alternating pairs each\n")
    print("| version | serial | version | speedup (pairwise median, min-max) | same output |")
    print("|---|---:|---:|---:|---|")
    for row in rows:
        ratio = row["ratio"]
        before, after = row["before"]["median_s"], row["after"]["median_s"]
        speedup = f"{ratio['median']:.2f}x ({ratio['min']:.2f}-{ratio['max']:.2f})"
        same = "yes" if row["same_output"] else "NO"
        print(f"| {row['version']} | {before:.2f} s | {after:.2f} s | {speedup} | {same} |")
    for row in rows:
        if not row["same_output"]:
            print(f"\n{row['version']}: {row['difference']}")
    if options.json:
        environment = {
            "python": platform.python_version(),
            "cores": os.cpu_count(),
            "load": os.getloadavg(),
        }
        options.json.write_text(
            json.dumps({"environment": environment, "rows": rows}, indent=2) + "\n"
        )
    return 0


def _ray_rows(argv, runs: int) -> list[dict]:  # type: ignore[no-untyped-def]
    """Ray against a head started once (RAY_ADDRESS), then with none (a local Ray per run)."""
    ray = str(Path(sys.executable).parent / "ray")
    rule = OutputRule(drop_lines=RAY_LOG_LINES)
    rows = []
    before = os.environ.pop("RAY_ADDRESS", None)
    started = subprocess.run(
        [ray, "start", "--head", "--num-cpus", "2", "--include-dashboard=false"],
        capture_output=True,
        text=True,
    )
    try:
        if started.returncode != 0:
            raise SystemExit(f"ray start failed: {started.stderr[-500:]}")
        for label, address in (
            ("Ray, running local head (2 CPUs, RAY_ADDRESS=auto)", "auto"),
            ("Ray, no address: own local Ray per run", None),
        ):
            if address is None:
                subprocess.run([ray, "stop"], capture_output=True)
                os.environ.pop("RAY_ADDRESS", None)
            else:
                os.environ["RAY_ADDRESS"] = address
            result = run_alternating(
                Version(argv("serial.py")), Version(argv("on_ray.py")), runs=runs, rule=rule
            )
            rows.append({"version": label, **result.to_dict()})
    finally:
        subprocess.run([ray, "stop"], capture_output=True)
        os.environ.pop("RAY_ADDRESS", None)
        if before is not None:
            os.environ["RAY_ADDRESS"] = before
    return rows


if __name__ == "__main__":
    raise SystemExit(main())
