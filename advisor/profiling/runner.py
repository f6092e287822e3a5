"""Running a command the way the user would, with a timeout that kills its whole process group."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import IO

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
    # processes of the group still alive when the command had ended (then killed with it)
    left_running: bool = False


def _signal_group(pgid: int, signum: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pgid, signum)


def group_alive(pgid: int) -> bool:
    """Does a process of the group still run? Zombies do not count: without an init process
    (in a container) nobody reaps the orphans that ended."""
    try:
        os.killpg(pgid, 0)
    except (ProcessLookupError, PermissionError):
        return False
    try:
        entries = [e for e in os.listdir("/proc") if e.isdigit()]
    except OSError:  # no /proc: a member exists, zombie or not
        return True
    # concadvise: ignore[CA101]: a search of /proc, stops at the first live member
    for entry in entries:
        try:
            with open(f"/proc/{entry}/stat", encoding="ascii", errors="replace") as stat:
                state, _ppid, group = stat.read().rsplit(")", 1)[1].split()[:3]
        except (OSError, ValueError):
            continue
        if int(group) == pgid and state != "Z":
            return True
    return False


class _Drain(threading.Thread):
    """Reads a pipe to its end, so a chatty process never blocks on a full pipe."""

    def __init__(self, pipe: IO[bytes]) -> None:
        super().__init__(daemon=True)
        self.pipe = pipe
        self.chunks: list[bytes] = []
        self.start()

    def run(self) -> None:
        with self.pipe:
            while chunk := self.pipe.read(65536):
                self.chunks.append(chunk)

    def text(self) -> bytes:
        self.join()
        return b"".join(self.chunks)


class _ExitWatch:
    """Notes the moment a process exits, from a thread blocked in ``wait()``."""

    def __init__(self, process: subprocess.Popen) -> None:
        self.at = 0.0
        self._done = threading.Event()
        self._process = process
        threading.Thread(target=self._watch, daemon=True).start()

    def _watch(self) -> None:
        self._process.wait()
        self.at = time.perf_counter()
        self._done.set()

    def wait(self, timeout: float | None) -> bool:
        return self._done.wait(timeout)


def run_in_process_group(
    argv: Sequence[str],
    *,
    cwd: str | None = None,
    timeout: float | None = None,
    env: dict[str, str] | None = None,
    stdin: int | None = subprocess.DEVNULL,
) -> CompletedRun:
    """Run ``argv`` in a new session; on timeout interrupt, then kill, every process in it.

    The run ends when ``argv``'s process does: descendants it leaves behind are killed then (and
    reported), rather than waited for because they still hold its stdout open.
    """
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
    assert process.stdout is not None and process.stderr is not None
    stdout, stderr = _Drain(process.stdout), _Drain(process.stderr)
    timed_out = False
    # `Popen.wait(timeout=...)` polls with sleeps of up to 50 ms, which would round every timing
    # to that step; a thread blocked in a plain wait sees the exit the moment it happens.
    exit_seen = _ExitWatch(process)
    try:
        if not exit_seen.wait(timeout):
            timed_out = True
            _signal_group(process.pid, signal.SIGINT)
            if not exit_seen.wait(_GRACE_S):
                _signal_group(process.pid, signal.SIGKILL)
                exit_seen.wait(None)
        wall_s = exit_seen.at - started
        left_running = not timed_out and group_alive(process.pid)
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
        stdout=stdout.text(),
        stderr=stderr.text(),
        wall_s=wall_s,
        timed_out=timed_out,
        pgid=process.pid,
        left_running=left_running,
    )
