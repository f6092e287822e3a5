"""Running a command the way the user would, and ending with it everything it started.

The command runs under the reaper (advisor/profiling/reaper.py), in a session of its own: at a
timeout the session's group is interrupted first (SIGINT, so a profiler can still write what it
measured), then the reaper is told to stop, and it kills every process the run started, also
those that left the group (setsid) or outlived their parent; it does the same when the command
ends with processes of its own still running. Every process it killed is named in the result.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import IO

from advisor.profiling import reaper

REAPER = os.path.realpath(reaper.__file__)
# After the timeout the group first gets SIGINT, so a profiler can still write what it measured.
_GRACE_S = 5.0
# Seconds the reaper may take to kill the run once told to stop, before the group is killed
# without it (it kills with SIGKILL: this is only against a reaper that is itself stuck).
_STOP_GRACE_S = 3.0
# Seconds to finish reading the output once the run is gone: only a process that escaped the
# reaper (it was itself killed) could still hold the pipes open.
_DRAIN_GRACE_S = 2.0


@dataclass(frozen=True, slots=True)
class KilledProcess:
    """A process of the run that was still running when the run ended, and was killed."""

    pid: int
    command: str
    own_session: bool  # it had left the run's session (setsid): a group kill would miss it

    def __str__(self) -> str:
        where = ", in a session of its own" if self.own_session else ""
        return f"`{self.command}` (pid {self.pid}{where})"


@dataclass(frozen=True, slots=True)
class CompletedRun:
    argv: tuple[str, ...]
    exit_code: int
    stdout: bytes
    stderr: bytes
    wall_s: float
    timed_out: bool = False
    pgid: int = 0  # the process group that was run (and killed at the end)
    # processes of the run still alive when the command had ended (then killed with it)
    left_running: bool = False
    killed: tuple[KilledProcess, ...] = ()  # what was killed at the end: the first few
    killed_count: int = 0  # how many in all

    def killed_text(self) -> str:
        """The killed processes, e.g. "`sleep 300` (pid 42, in a session of its own)"."""
        named = ", ".join(str(process) for process in self.killed)
        more = self.killed_count - len(self.killed)
        return named + (f" and {more} more" if more > 0 else "")


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

    def text(self, timeout: float | None = None) -> bytes:
        self.join(timeout)
        return b"".join(list(self.chunks))


class _ExitWatch:
    """Notes the moment a process exits, from a thread blocked in ``wait()``."""

    def __init__(self, process: subprocess.Popen) -> None:
        self.started = time.perf_counter()
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
    """Run ``argv`` in a new session; on timeout interrupt it, then kill all it started.

    The run ends when ``argv``'s process does: descendants it leaves behind are killed then (and
    reported), rather than waited for because they still hold its stdout open. An interruption
    of ours (Ctrl-C, SIGTERM) kills the whole run before it propagates.
    """
    status_read, status_write = os.pipe()
    try:
        process = subprocess.Popen(
            [sys.executable, "-I", "-S", REAPER, str(os.getpid()), str(status_write), *argv],
            cwd=cwd,
            env=env,
            stdin=stdin,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            start_new_session=True,
            pass_fds=(status_write,),
        )
    except BaseException:
        os.close(status_read)
        raise
    finally:
        os.close(status_write)
    assert process.stdout is not None and process.stderr is not None
    status_pipe = _Drain(os.fdopen(status_read, "rb"))
    stdout, stderr = _Drain(process.stdout), _Drain(process.stderr)
    timed_out = False
    # `Popen.wait(timeout=...)` polls with sleeps of up to 50 ms; a thread blocked in a plain
    # wait sees the exit the moment it happens.
    exit_seen = _ExitWatch(process)
    try:
        if not exit_seen.wait(timeout):
            timed_out = True
            _signal_group(process.pid, signal.SIGINT)
            if not exit_seen.wait(_GRACE_S):
                _stop(process, exit_seen)
    except BaseException:
        _stop(process, exit_seen)
        raise
    finally:
        # nothing of the group outlives its reaper
        _signal_group(process.pid, signal.SIGKILL)
    status = _read_status(status_pipe.text())
    if "spawn_error" in status:
        number, message, filename = status["spawn_error"]
        raise OSError(number, message, filename)
    killed = tuple(
        KilledProcess(int(k["pid"]), str(k["command"]), bool(k["own_session"]))
        for k in status.get("killed", ())
    )
    return CompletedRun(
        argv=tuple(argv),
        exit_code=int(status.get("exit_code", process.returncode)),
        stdout=stdout.text(_DRAIN_GRACE_S),
        stderr=stderr.text(_DRAIN_GRACE_S),
        wall_s=float(status.get("wall_s", exit_seen.at - exit_seen.started)),
        timed_out=timed_out,
        pgid=process.pid,
        left_running=bool(killed) and not timed_out,
        killed=killed,
        killed_count=int(status.get("killed_count", len(killed))),
    )


def _stop(process: subprocess.Popen, exit_seen: _ExitWatch) -> None:
    """Tell the reaper to kill the whole run now; kill the group if it does not end."""
    with contextlib.suppress(ProcessLookupError):
        process.send_signal(signal.SIGTERM)
    if not exit_seen.wait(_STOP_GRACE_S):
        _signal_group(process.pid, signal.SIGKILL)
        exit_seen.wait(None)


def _read_status(text: bytes) -> dict:
    """The reaper's last words; empty when it was killed before it could say them."""
    try:
        status = json.loads(text)
    except ValueError:
        return {}
    return status if isinstance(status, dict) else {}
