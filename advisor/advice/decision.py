"""The decision for one loop: its kind, the pool and worker count, and the whole-run speedup.

Thresholds are stated here once, with why.
"""

from __future__ import annotations

import os

from advisor.model import Evidence, Kind

# A loop is of one kind when that kind holds most of its time; 0.6 leaves room for the few percent
# of bookkeeping every I/O loop does in Python and for sampling noise (~1/sample count).
DOMINANT_SHARE = 0.6
# ThreadPoolExecutor's own default cap; more threads than this mostly add contention.
MAX_IO_WORKERS = 32
# Starting a worker thread and handing it one task costs ~0.1 ms here; per-item cost, in seconds.
THREAD_HANDOFF_S = 0.0001


def classify_loop(evidence: Evidence) -> Kind:
    if evidence.wall_s <= 0:
        return "unknown"
    if evidence.waiting >= DOMINANT_SHARE:
        return "io"
    if evidence.cpu_python >= DOMINANT_SHARE:
        return "cpu"
    if evidence.cpu_native >= DOMINANT_SHARE:
        return "native"
    return "mixed"


def available_cores() -> int:
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return max(1, os.cpu_count() or 1)


def choose_io_workers(evidence: Evidence, cores: int, cap: int = MAX_IO_WORKERS) -> int:
    """cores x (1 + wait/compute): enough threads that someone is always computing."""
    compute = evidence.cpu_python + evidence.cpu_native
    if compute <= 0:
        return cap
    return max(2, min(cap, round(cores * (1 + evidence.waiting / compute))))


def predict_thread_pool_loop_time(evidence: Evidence, workers: int) -> float:
    """Waiting overlaps across threads; Python time stays serial under the GIL."""
    serial_python = evidence.wall_s * evidence.cpu_python
    overlappable = evidence.wall_s * (evidence.waiting + evidence.cpu_native)
    return serial_python + overlappable / workers + workers * THREAD_HANDOFF_S


def predict_whole_run_speedup(
    run_wall_s: float, loop_wall_s: float, new_loop_wall_s: float
) -> float:
    """Amdahl: only the loop's part of the run gets faster."""
    new_wall = run_wall_s - loop_wall_s + new_loop_wall_s
    if new_wall <= 0:
        return 1.0
    return run_wall_s / new_wall
