"""Running a command the way the user would, with a timeout that kills its whole process group."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import time
from collections.abc import Sequence
from dataclasses import dataclass

# After the timeout the group first gets SIGINT, so a profiler can still write what it measured.
_GRACE_S = 5.0


@dataclass(frozen=True, slots=True)
class CompletedRun:
    argv: tuple[str, ...]
    exit_code: int
    stdout: bytes
    stderr: bytes
    wall_s: float
    timed_out: bool = False
    pgid: int = 0  # the process group that was run (and killed at the end)


def _signal_group(pgid: int, signum: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pgid, signum)


def run_in_process_group(
    argv: Sequence[str],
    *,
    cwd: str | None = None,
    timeout: float | None = None,
    env: dict[str, str] | None = None,
    stdin: int | None = subprocess.DEVNULL,
) -> CompletedRun:
    """Run ``argv`` in a new session; on timeout interrupt, then kill, every process in it."""
    started = time.perf_counter()
    process = subprocess.Popen(
        list(argv),
        cwd=cwd,
        env=env,
        stdin=stdin,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        start_new_session=True,
    )
    timed_out = False
    try:
        stdout, stderr = process.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        timed_out = True
        _signal_group(process.pid, signal.SIGINT)
        try:
            stdout, stderr = process.communicate(timeout=_GRACE_S)
        except subprocess.TimeoutExpired:
            _signal_group(process.pid, signal.SIGKILL)
            stdout, stderr = process.communicate()
    except BaseException:
        _signal_group(process.pid, signal.SIGKILL)
        process.wait()
        raise
    finally:
        # children that outlived their parent (daemons, orphans) go with the group
        _signal_group(process.pid, signal.SIGKILL)
    return CompletedRun(
        argv=tuple(argv),
        exit_code=process.returncode,
        stdout=stdout,
        stderr=stderr,
        wall_s=time.perf_counter() - started,
        timed_out=timed_out,
        pgid=process.pid,
    )
