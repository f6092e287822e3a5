"""The GIL convoy: threads over native work in short calls, measured beside the cost model.

fixtures/checksum_chunks.py's `md5_of` (the MD5 of a file read in CHUNK-byte chunks: a read
and a hash update per chunk, each releasing the GIL) runs over its sample files serially, on 2
threads and on 2 processes, for chunks of 4, 16 and 64 KB. The model's thread prediction
(`predict_thread_pool_loop_time`) is shown with and without the cost of taking the GIL back
after each chunk (this machine's calibrated `Overheads.gil_takeback_s`, one per chunk:
`with_gil_releases` counts the inner loop's iterations). Loop times are the best of RUNS rounds
in one run: read the ratios.

    python benchmarks/gil_convoy.py --runs 5 --json benchmarks/results/gil_convoy.json
"""

from __future__ import annotations

import argparse
import json
import platform
import sys
import tempfile
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor
from dataclasses import replace
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "fixtures"))

import checksum_chunks  # noqa: E402

from advisor.advice.calibration import load_overheads  # noqa: E402
from advisor.advice.decision import predict_thread_pool_loop_time  # noqa: E402
from advisor.model import Evidence  # noqa: E402

WORKERS = 2


def best_of(runs: int, work: Callable[[], object]) -> float:
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        work()
        times.append(time.perf_counter() - started)
    return min(times)


def md5_with(chunk: int, path: str) -> str:
    checksum_chunks.CHUNK_SIZE = chunk  # each process imports the module afresh: set it there
    return checksum_chunks.md5_of(path)


def row(paths: list[str], chunk: int, runs: int) -> dict[str, float]:
    checksum_chunks.CHUNK_SIZE = chunk
    serial = best_of(runs, lambda: [checksum_chunks.md5_of(p) for p in paths])

    def threads() -> None:
        with ThreadPoolExecutor(WORKERS) as pool:
            list(pool.map(checksum_chunks.md5_of, paths))

    def processes() -> None:
        with ProcessPoolExecutor(WORKERS) as pool:
            list(pool.map(md5_with, [chunk] * len(paths), paths))

    chunks = checksum_chunks.SAMPLE_SIZE // chunk
    # what a profile measures of this loop: native time, its items, its inner iterations
    plain = Evidence(serial, 1.0, 0.02, 0.95, 0.03, iterations=len(paths), executions=1)
    convoy = replace(plain, gil_releases=float(chunks))
    overheads = replace(load_overheads(cores=WORKERS), thread_start_s=0.0, thread_handoff_s=0.0)
    return {
        "chunk_bytes": chunk,
        "serial_s": round(serial, 4),
        "threads_x": round(serial / best_of(runs, threads), 2),
        "processes_x": round(serial / best_of(runs, processes), 2),
        "model_threads_x": round(
            serial / predict_thread_pool_loop_time(convoy, WORKERS, WORKERS, overheads), 2
        ),
        "model_threads_without_takeback_x": round(
            serial / predict_thread_pool_loop_time(plain, WORKERS, WORKERS, overheads), 2
        ),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        checksum_chunks.make_sample_files(folder)
        paths = sorted(str(p) for p in Path(folder).iterdir())
        rows = [row(paths, chunk, args.runs) for chunk in (4096, 16384, 65536)]
    takeback = load_overheads(cores=WORKERS).gil_takeback_s
    print(f"GIL taken back: {takeback * 1e6:.2f} us a chunk (calibrated); {WORKERS} workers")
    print("| chunk | serial s | threads | processes | model: threads | model without takeback |")
    print("|---:|---:|---:|---:|---:|---:|")
    for r in rows:
        print(
            f"| {r['chunk_bytes'] // 1024} KB | {r['serial_s']:.3f} | {r['threads_x']:.2f}x "
            f"| {r['processes_x']:.2f}x | {r['model_threads_x']:.2f}x "
            f"| {r['model_threads_without_takeback_x']:.2f}x |"
        )
    if args.json:
        args.json.write_text(
            json.dumps({"machine": platform.platform(), "rows": rows}, indent=2) + "\n",
            encoding="utf-8",
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
