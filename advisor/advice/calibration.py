"""What a pool costs on this machine, measured once and cached: the cost model's overheads.

A thread pool costs a thread start per worker and a hand-off per task (queue, wake-up, result);
a process pool costs its processes' start (fork or spawn, and their shutdown) and, per task, the
pickling of arguments and result through its queues. These differ by an order of magnitude
between machines and start methods, so they are measured here rather than assumed: ~0.05 s for
the threads, ~0.2 s for one small process pool, ~0.1 s for the imports (a fresh interpreter),
then read from the cache directory
(``$CONCADVISE_CACHE_DIR``, else the user's cache) under a key of machine, Python and cores.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import multiprocessing
import os
import platform
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor
from dataclasses import asdict, fields
from pathlib import Path

from advisor.advice.decision import Overheads, available_cores
from advisor.analysis.cache import default_cache_dir

CACHE_FILE = "overheads.json"
# Tasks timed per measurement: enough for a stable per-task figure, few enough to stay fast.
_THREAD_TASKS = 2000
_PROCESS_TASKS = 200
_REPEATS = 3  # the minimum of a few repeats: the machine is shared and noise only adds time


def _nothing(value: int) -> int:
    return value


def _best_of(measure: Callable[[], float]) -> float:
    return min(measure() for _ in range(_REPEATS))


def measure_thread_overheads(workers: int = 4) -> tuple[float, float]:
    """(start per thread, hand-off per task) of a ThreadPoolExecutor."""

    def start() -> float:
        # as many tasks as workers, each waiting for all the others: every thread is started
        barrier = threading.Barrier(workers)
        began = time.perf_counter()
        with ThreadPoolExecutor(max_workers=workers) as pool:
            list(pool.map(lambda _: barrier.wait(), range(workers)))
        return (time.perf_counter() - began) / workers

    def handoff() -> float:
        with ThreadPoolExecutor(max_workers=workers) as pool:
            list(pool.map(_nothing, range(workers)))
            began = time.perf_counter()
            list(pool.map(_nothing, range(_THREAD_TASKS)))
            return (time.perf_counter() - began) / _THREAD_TASKS

    return _best_of(start), _best_of(handoff)


def measure_process_overheads(cores: int) -> tuple[float, float]:
    """(start and shutdown of a pool of ``cores`` processes, cost per task) of a
    ProcessPoolExecutor with this platform's default start method."""
    began = time.perf_counter()
    with ProcessPoolExecutor(max_workers=cores) as pool:
        list(pool.map(_nothing, range(cores)))  # every worker has started
        ready = time.perf_counter()
        list(pool.map(_nothing, range(_PROCESS_TASKS)))
        per_task = (time.perf_counter() - ready) / _PROCESS_TASKS
        started = ready - began
    # the workers' shutdown is paid by every rewritten run too
    shutdown = time.perf_counter() - began - started - per_task * _PROCESS_TASKS
    return started + max(shutdown, 0.0), per_task


# Times the imports of a pool's modules in a fresh interpreter: "thread_s process_s".
_IMPORTS = """\
import time
began = time.perf_counter()
import concurrent.futures.thread
threads = time.perf_counter()
import concurrent.futures.process
print(threads - began, time.perf_counter() - began)
"""


def measure_import_costs() -> tuple[float, float]:
    """(thread pool, process pool) module imports, paid once by a rewritten program."""
    best = (float("inf"), float("inf"))
    # concadvise: ignore[CA101]: runs are timed: one at a time on purpose
    for _ in range(_REPEATS):
        out = subprocess.run(
            [sys.executable, "-c", _IMPORTS], capture_output=True, text=True, check=True
        ).stdout.split()
        best = (min(best[0], float(out[0])), min(best[1], float(out[1])))
    return best


# A file read in chunks and hashed, as a loop whose items give the GIL up in short calls does
_TAKEBACK_FILE_BYTES = 4 * 1024 * 1024
_TAKEBACK_CHUNK = 4096


def _hash_in_chunks(path: str) -> str:
    digest = hashlib.md5()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(_TAKEBACK_CHUNK), b""):
            digest.update(chunk)
    return digest.hexdigest()


def measure_gil_takeback() -> float:
    """What a thread pays, per chunk read and hashed, to take the GIL back while another thread
    wants it: 2 threads over 2 files against the same files one after the other, the time
    beyond half the serial time spread over the chunks (``decision.gil_takeback_s``)."""
    with tempfile.TemporaryDirectory(prefix="concadvise-gil-") as folder:
        paths = [os.path.join(folder, f"{n}.bin") for n in range(2)]
        # concadvise: ignore[CA101]: two files written once
        for path in paths:
            Path(path).write_bytes(b"\x01" * _TAKEBACK_FILE_BYTES)
        serial = _best_of(lambda: _timed(lambda: [_hash_in_chunks(p) for p in paths]))

        def threads() -> None:
            with ThreadPoolExecutor(max_workers=2) as pool:
                list(pool.map(_hash_in_chunks, paths))

        together = _best_of(lambda: _timed(threads))
    chunks = 2 * _TAKEBACK_FILE_BYTES // _TAKEBACK_CHUNK
    return max(0.0, together - serial / 2) / chunks


def _timed(work: Callable[[], object]) -> float:
    began = time.perf_counter()
    work()
    return time.perf_counter() - began


def measure_overheads(cores: int | None = None) -> Overheads:
    cores = cores or available_cores()
    thread_start, handoff = measure_thread_overheads()
    process_start, process_task = measure_process_overheads(cores)
    thread_import, process_import = measure_import_costs()
    return Overheads(
        thread_start_s=thread_start,
        thread_handoff_s=handoff,
        process_start_s=process_start,
        process_task_s=process_task,
        cores=cores,
        thread_import_s=thread_import,
        process_import_s=process_import,
        gil_takeback_s=measure_gil_takeback() if cores > 1 else 0.0,
    )


def machine_key(cores: int) -> str:
    """Overheads belong to a machine, an interpreter and a start method."""
    return "|".join(
        (
            platform.node(),
            platform.machine(),
            sys.implementation.name,
            platform.python_version(),
            multiprocessing.get_start_method(allow_none=False),
            f"{cores} cores",
        )
    )


def load_overheads(
    cache_dir: Path | None = None,
    cores: int | None = None,
    measure: Callable[[int], Overheads] = measure_overheads,
) -> Overheads:
    """This machine's overheads from the cache, measured (and cached) the first time."""
    cores = cores or available_cores()
    path = (cache_dir or default_cache_dir()) / CACHE_FILE
    key = machine_key(cores)
    cached = _read(path)
    if key in cached:
        with contextlib.suppress(TypeError, ValueError):
            return Overheads(**cached[key])
    overheads = measure(cores)
    cached[key] = asdict(overheads)
    _write(path, cached)
    return overheads


def _read(path: Path) -> dict[str, dict]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    if not isinstance(data, dict):
        return {}
    names = {f.name for f in fields(Overheads)}
    return {k: v for k, v in data.items() if isinstance(v, dict) and set(v) == names}


def _write(path: Path, data: dict[str, dict]) -> None:
    """Atomically (a concurrent run may read it); a cache that cannot be written only costs the
    next run another measurement."""
    with contextlib.suppress(OSError):
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".overheads-", suffix=".json")
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as out:
                json.dump(data, out, indent=1)
            os.replace(tmp, path)
        except OSError:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
