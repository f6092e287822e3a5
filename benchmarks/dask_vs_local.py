"""The same CPU-bound loop serial, on a local process pool and on Dask: what each costs here.

    python benchmarks/dask_vs_local.py [--runs 5] [--items 48] [--json benchmarks/results/dask.json]

The rewrites are made by concadvise itself (the CA102 process-pool fixer and the Dask fixer) from
fixtures/factorial_digits.py. The Dask version runs twice: against a LocalCluster of 2 worker
processes started once by this script (DASK_SCHEDULER_ADDRESS, what a user with a cluster does),
and with no address, so the script starts and stops its own LocalCluster every run. Each pair is
timed alternately against the serial script (advisor.verify.bench), medians and pairwise ratios.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from advisor.codemods.dask_executor import rewrite_loop_to_dask  # noqa: E402
from advisor.codemods.process_pool import fix_process_pool_loop  # noqa: E402
from advisor.fix import FixRequest, fix_paths  # noqa: E402
from advisor.verify.bench import Version, run_alternating  # noqa: E402

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

    def argv(name: str) -> tuple[str, ...]:
        return (sys.executable, str(work / name), str(options.items))

    rows = []
    env_before = os.environ.pop("DASK_SCHEDULER_ADDRESS", None)
    try:
        with LocalCluster(
            n_workers=2,
            threads_per_worker=1,
            processes=True,
            host="127.0.0.1",
            dashboard_address=None,
        ) as cluster:
            for label, name, address in (
                ("ProcessPoolExecutor (2 cores)", "processes.py", None),
                (
                    "Dask, running LocalCluster (2 worker processes)",
                    "on_dask.py",
                    cluster.scheduler_address,
                ),
                ("Dask, no address: own LocalCluster per run", "on_dask.py", None),
            ):
                if address is None:
                    os.environ.pop("DASK_SCHEDULER_ADDRESS", None)
                else:
                    os.environ["DASK_SCHEDULER_ADDRESS"] = address
                result = run_alternating(
                    Version(argv("serial.py")), Version(argv(name)), runs=options.runs
                )
                rows.append({"version": label, **result.to_dict()})
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


if __name__ == "__main__":
    raise SystemExit(main())
