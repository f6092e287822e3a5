"""Scalene behind our ProfileResult: the only module that knows scalene's command line and JSON.

Scalene (CPU-only mode) samples wall time per line and splits it into Python, native (C) and
"system" time; system time is wall time the process did not spend on a CPU, i.e. waiting. Time in
library code is charged to the innermost line of the profiled program, and its stacks tell which
user lines called that line, so a loop is charged for everything its iterations caused.
"""

from __future__ import annotations

import json
import os
import re
import signal
import tempfile
from collections import defaultdict
from dataclasses import replace
from pathlib import Path
from typing import Any

from advisor.errors import ProfilerUnavailable
from advisor.model import ProfileResult, StackSample
from advisor.profiling.counting import (
    COUNTS_FILE,
    counted_command,
    counting_env,
    read_counts,
)
from advisor.profiling.runner import CompletedRun, run_in_process_group
from advisor.profiling.target import Target, program_stdin

NAME = "scalene"
# Scalene runs the program in a child process of its own; when a signal kills that child, scalene
# prints this last on stdout and exits with the negative status as a byte (SIGKILL: 247).
_KILLED = re.compile(rb"(?:\A|(?<=\n))Scalene error: received signal (?P<name>SIG[A-Z0-9]+)\n\Z")


def scalene_command(target: Target, outfile: str) -> list[str]:
    """Scalene runs the loop-counting bootstrap, which runs the target; --program-path keeps
    scalene's attention on the user's code rather than on the bootstrap's directory."""
    python, bootstrap, *program = counted_command(target)
    return [
        python,
        "-m",
        "scalene",
        "run",
        "--cpu-only",  # we need time kinds, not memory; it also keeps scalene's overhead low
        "--program-path",
        target.code_dir,
        "--profile-exclude",
        bootstrap,
        "-o",
        outfile,
        bootstrap,
        "---",
        *program,
    ]


def _parse_frame(frame: str) -> tuple[str, int] | None:
    """Scalene writes a frame as ``"/path/to/file.py function:line;"``."""
    text = frame.rstrip(";")
    head, _, line = text.rpartition(":")
    path, _, _function = head.rpartition(" ")
    if not path or not line.isdigit():
        return None
    return path, int(line)


def stacks_from_scalene(data: dict[str, Any]) -> tuple[StackSample, ...]:
    """Charge each line's measured seconds to the user stacks that ended on it."""
    elapsed = float(data.get("elapsed_time_sec") or 0.0)
    line_seconds: dict[tuple[str, int], tuple[float, float, float]] = {}
    function_of: dict[tuple[str, int], tuple[int, int]] = {}  # line -> its function's span
    for path, file_data in (data.get("files") or {}).items():
        for line in file_data.get("lines", []):
            start = int(line.get("start_function_line") or 0)
            end = int(line.get("end_function_line") or 0)
            if 0 < start <= end:
                function_of[(os.path.realpath(path), int(line["lineno"]))] = (start, end)
            python = line.get("n_cpu_percent_python", 0.0) * elapsed / 100
            native = line.get("n_cpu_percent_c", 0.0) * elapsed / 100
            waiting = line.get("n_sys_percent", 0.0) * elapsed / 100
            if python + native + waiting > 0:
                line_seconds[(os.path.realpath(path), int(line["lineno"]))] = (
                    python,
                    native,
                    waiting,
                )

    weights: dict[tuple[str, int], list[tuple[tuple[tuple[str, int], ...], float]]] = defaultdict(
        list
    )
    for entry in data.get("stacks") or []:
        if not (isinstance(entry, list) and len(entry) == 2):
            continue
        frames = tuple(f for f in (_parse_frame(s) for s in entry[0]) if f is not None)
        frames = tuple((os.path.realpath(p), n) for p, n in frames)
        if not frames:
            continue
        stats = entry[1] if isinstance(entry[1], dict) else {}
        weight = float(stats.get("cpu_samples") or stats.get("count") or 0.0)
        if weight > 0:
            weights[frames[-1]].append((frames, weight))

    stacks: list[StackSample] = []
    for leaf, (python, native, waiting) in line_seconds.items():
        callers = weights.get(leaf) or _borrowed_callers(leaf, function_of, weights)
        total = sum(w for _, w in callers)
        for frames, weight in callers:
            share = weight / total
            stacks.append(StackSample(frames, python * share, native * share, waiting * share))
    return tuple(stacks)


def _borrowed_callers(
    leaf: tuple[str, int],
    function_of: dict[tuple[str, int], tuple[int, int]],
    weights: dict[tuple[str, int], list[tuple[tuple[tuple[str, int], ...], float]]],
) -> list[tuple[tuple[tuple[str, int], ...], float]]:
    """Scalene records stacks for only some samples; a line without one is called the way the
    other lines of its function were, so its time still reaches the loop that called it."""
    span = function_of.get(leaf)
    borrowed: list[tuple[tuple[tuple[str, int], ...], float]] = []
    if span is not None:
        for (path, line), callers in weights.items():
            if path == leaf[0] and span[0] <= line <= span[1] and line != leaf[1]:
                borrowed += [((*frames[:-1], leaf), weight) for frames, weight in callers]
    return borrowed or [((leaf,), 1.0)]


def not_installed(target: Target) -> str:
    return f"scalene is not installed in {target.interpreter.executable}, which runs the script"


def death_by_signal(run: CompletedRun) -> CompletedRun:
    """The run as the program ended it: killed by a signal (a negative exit code, as for a bare
    run) rather than scalene's exit status, and without scalene's line in its stdout."""
    found = _KILLED.search(run.stdout)
    if found is None:
        return run
    try:
        number = signal.Signals[found["name"].decode()].value
    except KeyError:
        return run
    if run.exit_code != -number & 0xFF:
        return run
    return replace(run, exit_code=-number, stdout=run.stdout[: found.start()])


def profile_with_scalene(
    target: Target, *, timeout: float | None
) -> tuple[ProfileResult | None, CompletedRun]:
    """Run ``target`` under scalene, in the target's Python (scalene runs the program in its own
    interpreter); the profile is None when scalene wrote none."""
    if not target.interpreter.has_scalene:
        raise ProfilerUnavailable(not_installed(target))
    with tempfile.TemporaryDirectory(prefix="concadvise-") as tmp:
        outfile = str(Path(tmp) / "profile.json")
        counts_file = Path(tmp) / COUNTS_FILE
        with program_stdin(target) as stdin:
            run = run_in_process_group(
                scalene_command(target, outfile),
                cwd=target.cwd,
                timeout=timeout,
                env=counting_env(target, counts_file),
                stdin=stdin,
            )
        run = death_by_signal(run)
        counts = read_counts(counts_file)
        try:
            data = json.loads(Path(outfile).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None, run
    if not isinstance(data, dict):
        return None, run
    profile = ProfileResult(
        profiler=NAME,
        script=os.path.realpath(target.path),
        wall_s=float(data.get("elapsed_time_sec") or run.wall_s),
        exit_code=run.exit_code,
        stacks=stacks_from_scalene(data),
        complete=run.exit_code == 0 and not run.timed_out,
        # scalene's elapsed time starts with the program's code: no start-up in it to subtract
        loop_counts=counts.loops,
        imported=counts.imported,
        counts_written=counts.written,
        uncounted=counts.uncounted,
        started=counts.started or None,
    )
    return profile, run
