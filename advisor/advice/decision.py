"""The decision for one loop: its kind, the pool and worker count, and the whole-run speedup.

Thresholds are stated here once, with why. The cost model:

- a loop of N items per execution on W workers takes about ceil(N / W) item-times (the items
  are the unit of work: 20 items of 0.1 s on 32 threads still take 0.1 s, not 2 s / 32);
- no faster than its GIL-holding Python time, which threads run one at a time, nor than its
  running time (Python and native) spread over the cores;
- plus the pool's own costs, measured on this machine (advisor/advice/calibration.py): a start
  per thread and a hand-off per item, or a process pool's start and a pickling round trip per item.

Without a count of the items (a run that ended by os._exit, a `while` loop) the loop's time is
treated as divisible: waiting and native time over W, Python time serial.
"""

from __future__ import annotations

import math
import os

from advisor.config import MAX_IO_WORKERS
from advisor.model import Evidence, Kind, Overheads

# A loop is of one kind when that kind holds most of its time; 0.6 leaves room for the few percent
# of bookkeeping every I/O loop does in Python and for sampling noise (~1/sample count).
DOMINANT_SHARE = 0.6


# Typical figures of a 2-core Linux VM (fork), for advice computed without a calibration.
DEFAULT_OVERHEADS = Overheads(
    thread_start_s=0.0005,
    thread_handoff_s=0.00003,
    process_start_s=0.02,
    process_task_s=0.0003,
    cores=2,
    thread_import_s=0.01,
    process_import_s=0.03,
)


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
    """cores x (1 + wait/compute): enough threads that someone is always computing; never more
    than the cap, nor than the items of one execution of the loop (extra threads would idle).

    With counted items, the fewest threads that take as few rounds: 70 items on 64 threads take
    two rounds, as on 35, which start half the threads."""
    compute = evidence.cpu_python + evidence.cpu_native
    ideal = cap if compute <= 0 else min(cap, round(cores * (1 + evidence.waiting / compute)))
    if evidence.iterations is not None:
        items = max(1, evidence.iterations)
        workers = max(1, min(ideal, items))
        return math.ceil(items / math.ceil(items / workers))
    return max(2, ideal)


def choose_process_workers(evidence: Evidence, cores: int) -> int:
    """One process per core; no more than the items of one execution."""
    if evidence.iterations is not None:
        return max(1, min(cores, evidence.iterations))
    return cores


def _counted(evidence: Evidence) -> tuple[int, int] | None:
    """(items per execution, executions) when the run counted them."""
    if evidence.iterations and evidence.executions:
        return evidence.iterations, evidence.executions
    return None


def predict_thread_pool_loop_time(
    evidence: Evidence, workers: int, cores: float = 1, overheads: Overheads = DEFAULT_OVERHEADS
) -> float:
    """The loop's time over the run on ``workers`` threads: waiting overlaps, Python holds the
    GIL (one thread at a time), running code (native, and the CPU of the child processes the
    items wait for) shares at most ``cores`` cores."""
    python_s = evidence.wall_s * evidence.cpu_python
    children_s = evidence.children_cpu_s or 0.0
    running_s = evidence.wall_s * (evidence.cpu_python + evidence.cpu_native) + children_s
    counted = _counted(evidence)
    if counted is None:
        overlappable = evidence.wall_s - python_s
        return python_s + overlappable / workers + workers * overheads.thread_start_s
    items, executions = counted
    per_item = evidence.wall_s / (items * executions)
    # what an item waits for besides its commands' CPU, which the cores must do anyway
    waits = max(0.0, per_item * evidence.waiting - children_s / (items * executions))
    busy = max(python_s, running_s / max(1.0, min(cores, workers))) / executions
    per_execution = max(
        math.ceil(items / workers) * per_item,  # each worker's share, one item after another
        # all items start at once: their running parts queue for the GIL or the cores, and the
        # last one to get through still has its wait ahead of it
        waits + busy,
    )
    pool = workers * overheads.thread_start_s + items * overheads.thread_handoff_s
    takeback = items * gil_takeback_s(evidence, workers, overheads)
    return executions * (per_execution + pool + takeback)


def gil_takeback_s(
    evidence: Evidence, workers: int, overheads: Overheads = DEFAULT_OVERHEADS
) -> float:
    """The GIL's cost per item on ``workers`` threads: each short native call or wait of an item
    gives the GIL up, and taking it back while another thread holds it costs
    ``overheads.gil_takeback_s`` (measured per machine: ~1 us on the 2-core development VM,
    where 2 threads hashing 4 KB chunks ran 1.42x, not 2x; benchmarks/gil_convoy.py). None for
    one thread, or when the item gives the GIL up rarely (one long native call, one long wait)."""
    if workers < 2 or not evidence.gil_releases:
        return 0.0
    return evidence.gil_releases * overheads.gil_takeback_s


# Items per worker below which one task per item is fine; above it the items go in chunks.
CHUNK_FROM_ITEMS_PER_WORKER = 16
# What a chunked ProcessPoolExecutor.map still costs per item, mostly in the parent (building
# the chunks, pickling items and results, unchaining the result lists): 0.32-0.36 us on the
# 2-core development VM (`list(ex.map(noop, range(1_500_000), chunksize=187_500))`, 0.36 us an
# item against 0.04 us for the call alone). Items of a microsecond or less cannot gain.
PROCESS_CHUNKED_ITEM_S = 0.35e-6


# An item this many times longer than a task's cost keeps one task each: chunks would only
# unbalance the workers (later items are often bigger) for a saving under a tenth.
CHUNK_BELOW_TASK_COSTS = 10


def choose_chunksize(
    evidence: Evidence, workers: int, overheads: Overheads = DEFAULT_OVERHEADS
) -> int | None:
    """Items per task for a process pool: about four tasks per worker (what
    ``multiprocessing.Pool.map`` picks) when there are many short items per worker, so the
    ~0.3 ms a task costs (pickling, a queue round trip) is paid per chunk, not per item; None
    for few items, or items long beside that cost."""
    counted = _counted(evidence)
    if counted is None:
        return None
    items, executions = counted
    per_item = evidence.wall_s / (items * executions)
    if items < workers * CHUNK_FROM_ITEMS_PER_WORKER:
        return None
    if per_item >= CHUNK_BELOW_TASK_COSTS * overheads.process_task_s:
        return None
    return math.ceil(items / (workers * 4))


def predict_process_pool_loop_time(
    evidence: Evidence,
    workers: int,
    cores: float | None = None,
    overheads: Overheads = DEFAULT_OVERHEADS,
    chunksize: int = 1,
) -> float:
    """The loop's time over the run on ``workers`` processes (one pool per execution), the
    running part spread over no more than ``cores`` cores (default: one per worker), its items
    sent ``chunksize`` at a time."""
    start = overheads.process_start_s * workers / max(1, overheads.cores)
    parallel = min(float(workers), cores if cores else float(workers))
    running_s = evidence.wall_s * (evidence.cpu_python + evidence.cpu_native)
    counted = _counted(evidence)
    if counted is None:
        return max(evidence.wall_s / workers, running_s / parallel) + start
    items, executions = counted
    per_item = evidence.wall_s / (items * executions)
    per_execution = max(math.ceil(items / workers) * per_item, running_s / executions / parallel)
    tasks = math.ceil(items / max(1, chunksize))
    chunked = items * PROCESS_CHUNKED_ITEM_S if chunksize > 1 else 0.0
    return executions * (per_execution + start + tasks * overheads.process_task_s + chunked)


def free_cores(cores: int, load_average: float, own_load: float = 1.0) -> float:
    """The cores other programs leave free: ``cores`` less their share of the load average.

    Measured on the 2-core development VM under a load of 3.5: hash_blocks.py's native loop on 3
    threads ran 0.98x the serial speed where an idle machine gives ~1.8x. The profiled run
    itself counted ``own_load`` in the average. Never below one core: the serial run had one.
    """
    others = max(0.0, load_average - own_load)
    return max(1.0, min(float(cores), cores - others))


def predict_whole_run_speedup(
    run_wall_s: float, loop_wall_s: float, new_loop_wall_s: float
) -> float:
    """Amdahl: only the loop's part of the run gets faster."""
    new_wall = run_wall_s - loop_wall_s + new_loop_wall_s
    if new_wall <= 0:
        return 1.0
    return run_wall_s / new_wall
