"""How busy this machine's CPUs are right now, from /proc/stat, just before a profiled run.

The 1-minute load average lags: a CPU-bound program that ended seconds ago (the user's previous
run, a benchmark's serial round) still shows as a core's worth of load, and a profile taken then
would predict that a process pool finds no free core. Two /proc/stat snapshots a quarter of a
second apart say what other programs use *now*.
"""

from __future__ import annotations

import time
from pathlib import Path

SAMPLE_S = 0.25
_STAT = Path("/proc/stat")


def _cpu_times() -> tuple[int, int] | None:
    """(busy, total) jiffies over all CPUs, or None where /proc/stat is not there."""
    try:
        first = _STAT.read_text().split("\n", 1)[0].split()
    except OSError:
        return None
    if not first or first[0] != "cpu" or len(first) < 5:
        return None
    values = [int(v) for v in first[1:9]]
    idle = values[3] + (values[4] if len(values) > 4 else 0)  # idle + iowait
    total = sum(values)
    return total - idle, total


def busy_fraction(sample_s: float = SAMPLE_S) -> float | None:
    """The share of all CPUs busy over the next ``sample_s`` seconds (0..1), or None."""
    before = _cpu_times()
    if before is None:
        return None
    time.sleep(sample_s)
    after = _cpu_times()
    if after is None or after[1] <= before[1]:
        return None
    return min(1.0, max(0.0, (after[0] - before[0]) / (after[1] - before[1])))
