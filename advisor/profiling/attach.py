"""Attach py-spy to a process that is already running (`profile --pid PID`): a service, a worker.

The same three samplers as a launched run (advisor/profiling/pyspy_adapter.py) read the process
for ``duration`` seconds, or until Ctrl-C; the process goes on untouched. What an attached profile
cannot know is said, not guessed: the loops were not counted (the bootstrap never ran), so each
loop's time is treated as divisible among the workers and its prediction is an upper bound; the
program's start-up and its end are not in the samples.

The program's code is found from the process itself: its interpreter (`/proc/PID/exe`), its
working directory and its command line (`python SCRIPT` or `python -m MODULE`); frames under the
script's directory (the working directory for `-c`) are the user's.
"""

from __future__ import annotations

import contextlib
import math
import os
import signal
import subprocess
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Sequence
from pathlib import Path

from advisor.errors import ProfilerUnavailable, UsageError
from advisor.interruption import Interrupted
from advisor.model import ProfileResult
from advisor.profiling.interpreter import describe_interpreter
from advisor.profiling.pyspy_adapter import (
    DEFAULT_RATE,
    NAME,
    SAMPLER_FLAGS,
    cannot_run_reason,
    combine_samplers,
    find_pyspy,
    read_raw,
    sampler_command,
)
from advisor.profiling.target import Target, module_target

# Options of `python` that take a value: the script comes after them, not as them.
_OPTIONS_WITH_VALUE = frozenset({"-W", "-X", "-Q", "--check-hash-based-pycs"})
# Seconds the samplers have after the duration (or Ctrl-C) to write what they read.
_WRITE_GRACE_S = 10.0


def process_target(pid: int) -> Target:
    """The program process ``pid`` runs, as a Target: its script (or module) and interpreter.

    UsageError when there is no such process, or it is not a Python this can profile."""
    proc = Path("/proc", str(pid))
    try:
        argv = proc.joinpath("cmdline").read_bytes().decode("utf-8", "surrogateescape")
        cwd = os.readlink(proc / "cwd")
        exe = os.readlink(proc / "exe")
    except FileNotFoundError:
        raise UsageError(f"--pid {pid}: no such process") from None
    except PermissionError:
        raise UsageError(
            f"--pid {pid}: not allowed to read the process (another user's?)"
        ) from None
    words = [word for word in argv.split("\0") if word]
    if not os.path.basename(exe).startswith(("python", "pypy")):
        # never run another program to ask what it is (`bash -c PROBE` would run it as shell)
        raise UsageError(f"--pid {pid}: {exe} is not a Python interpreter")
    try:
        interpreter = describe_interpreter(exe)
    except UsageError as exc:
        raise UsageError(f"--pid {pid}: not a Python concadvise can profile ({exc})") from None
    kind, value = _program_of(words[1:])
    if kind == "module":
        # a module of the venv the process runs in may not be on the base Python's path
        with contextlib.suppress(UsageError):
            return module_target(value, cwd=cwd, interpreter=interpreter)
    if kind == "script":
        path = os.path.join(cwd, value)
        if os.path.isfile(path):
            return Target(path=os.path.realpath(path), cwd=cwd, interpreter=interpreter)
    # `python -c CODE`, or an entry point whose script is gone: the working directory's code
    return Target(path=os.path.join(cwd, "-"), cwd=cwd, user_dir=cwd, interpreter=interpreter)


def _program_of(args: Sequence[str]) -> tuple[str, str]:
    """("script", path), ("module", name) or ("code", "") from the arguments after `python`."""
    index = 0
    while index < len(args):
        word = args[index]
        if word == "-m" and index + 1 < len(args):
            return "module", args[index + 1]
        if word.startswith("-m") and len(word) > 2:
            return "module", word[2:]
        if word == "-c" or (word.startswith("-c") and len(word) > 2):
            return "code", ""
        if word in _OPTIONS_WITH_VALUE:
            index += 2
            continue
        if word == "-" or not word.startswith("-"):
            return "script", word
        index += 1
    return "code", ""


def attach_with_pyspy(
    pid: int,
    duration: float,
    *,
    rate: int = DEFAULT_RATE,
    on_sampling: Callable[[], None] = lambda: None,
) -> tuple[ProfileResult, Target]:
    """Sample process ``pid`` for ``duration`` seconds (Ctrl-C ends it sooner); the profile and
    the program it runs. Raises ProfilerUnavailable when py-spy is missing or may not read it."""
    target = process_target(pid)
    pyspy = find_pyspy()
    if pyspy is None:
        raise ProfilerUnavailable("py-spy is not installed (not on PATH nor beside this Python)")
    probe = subprocess.run(
        [pyspy, "dump", "--nonblocking", "--pid", str(pid)],
        stdin=subprocess.DEVNULL,
        capture_output=True,
    )
    if probe.returncode != 0:
        raise ProfilerUnavailable(cannot_run_reason(probe.stderr or probe.stdout))
    seconds = max(1, math.ceil(duration))
    with tempfile.TemporaryDirectory(prefix="concadvise-attach-") as folder:
        state = Path(folder)
        started = time.perf_counter()
        samplers = _start_samplers(pyspy, pid, rate, seconds, state)
        on_sampling()
        _wait_for(samplers, seconds + _WRITE_GRACE_S)
        wall_s = min(time.perf_counter() - started, float(seconds))
        counts: dict[str, Counter[tuple[str, ...]]] = {}
        for name in SAMPLER_FLAGS:
            try:
                text = (state / f"{name}.txt").read_text(encoding="utf-8", errors="replace")
            except OSError:
                error = (state / f"{name}.err").read_bytes()
                raise ProfilerUnavailable(
                    f"the {name} sampler recorded nothing: {cannot_run_reason(error)}"
                ) from None
            counts[name] = read_raw(text)
    profile = ProfileResult(
        profiler=NAME,
        script=target.path,
        wall_s=wall_s,
        exit_code=0,
        stacks=combine_samplers(counts, target.code_dir, rate, target.interpreter.library_dirs),
        complete=True,
        counts_written=False,
        attached_pid=pid,
    )
    return profile, target


def _start_samplers(
    pyspy: str, pid: int, rate: int, seconds: int, state: Path
) -> list[subprocess.Popen[bytes]]:
    samplers = []
    # concadvise: ignore[CA101]: it starts the samplers (Popen); they run together
    for name, flags in SAMPLER_FLAGS.items():
        command = sampler_command(pyspy, pid, rate, flags, str(state / f"{name}.txt"), seconds)
        with open(state / f"{name}.err", "wb") as err:
            samplers.append(
                subprocess.Popen(
                    command,
                    stdin=subprocess.DEVNULL,
                    stdout=subprocess.DEVNULL,
                    stderr=err,
                    start_new_session=True,  # Ctrl-C reaches concadvise, which tells them
                )
            )
    return samplers


def _wait_for(samplers: Sequence[subprocess.Popen[bytes]], limit: float) -> None:
    """Until the samplers end; on Ctrl-C (or a stop signal) tell them to stop and write."""
    deadline = time.monotonic() + limit
    try:
        for sampler in samplers:
            sampler.wait(timeout=max(0.0, deadline - time.monotonic()))
    except (KeyboardInterrupt, Interrupted, subprocess.TimeoutExpired):
        for sampler in samplers:
            with contextlib.suppress(OSError):
                sampler.send_signal(signal.SIGINT)
        for sampler in samplers:
            try:
                sampler.wait(timeout=_WRITE_GRACE_S)
            except subprocess.TimeoutExpired:
                sampler.kill()
                sampler.wait()
