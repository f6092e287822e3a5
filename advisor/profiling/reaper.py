"""The first process of every run: it starts the command, and when the command ends (or when told
to stop) it kills every process the command started and is still running, wherever it went.

    python -I -S /path/to/reaper.py RUNNER_PID STATUS_FD COMMAND...

A process group is not enough: a child that calls setsid() (a daemon, `start_new_session=True`)
leaves the group, and one whose parent ended is adopted by init. This process declares itself a
*child subreaper* (Linux's PR_SET_CHILD_SUBREAPER), so every orphan of the run is adopted by it
instead of by init, and the run's live processes are exactly its descendants in /proc. It reaps
the orphans that end while the command runs, as init would.

SIGINT is left to the command (the runner interrupts the whole group at a timeout, so profilers
write what they have); SIGTERM means "stop now": everything the run started is killed with
SIGKILL. The kernel sends it SIGTERM too when the runner dies (PR_SET_PDEATHSIG), so even a
concadvise killed with SIGKILL leaves no run behind.

At the end it writes one JSON object to STATUS_FD: the command's exit code (negative when a
signal killed it), its wall seconds from start to exit, and what was killed. This file imports
only the standard library and runs with -I -S, so nothing of the user's can shadow it.
"""

import contextlib
import json
import os
import signal
import subprocess
import sys
import time

_PR_SET_CHILD_SUBREAPER = 36
_PR_SET_PDEATHSIG = 1
# A kill round finds the processes forked since the last one; a run that forks faster than it
# dies is still gone after this many rounds (each waits a moment for the kills to land).
_KILL_ROUNDS = 200
_ROUND_PAUSE_S = 0.005
_MAX_REPORTED = 20  # processes named in the status; the rest are counted
_COMMAND_CHARS = 120


class _Stop(Exception):
    """SIGTERM: the runner wants the run stopped now."""


def _stop(_signum, _frame):
    signal.signal(signal.SIGTERM, signal.SIG_IGN)  # once: nothing may interrupt the kill
    raise _Stop


def become_subreaper(runner: int) -> bool:
    """Adopt the run's orphans, and get SIGTERM (stop the run) if ``runner``, concadvise, dies
    without saying so (SIGKILL). Linux only; elsewhere the runner's group kill is all there is."""
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        adopted = libc.prctl(_PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) == 0
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGTERM, 0, 0, 0)
    except (OSError, AttributeError, ImportError):
        return False
    if os.getppid() != runner:  # it died before the line above
        os.kill(os.getpid(), signal.SIGTERM)
    return adopted


def _stat(pid: str) -> tuple[str, int, int] | None:
    """(state, parent pid, session id) from /proc/PID/stat."""
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii", errors="replace") as stat:
            fields = stat.read().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return None
    return fields[0], int(fields[1]), int(fields[3])


def live_descendants(root: int) -> list[tuple[int, int]]:
    """(pid, session id) of every process under ``root`` that has not ended yet."""
    children: dict[int, list[tuple[int, str, int]]] = {}
    try:
        entries = [entry for entry in os.listdir("/proc") if entry.isdigit()]
    except OSError:
        return []
    # concadvise: ignore[CA101]: a few hundred /proc reads of a few bytes, ~1 ms in all
    for entry in entries:
        found = _stat(entry)
        if found is not None:
            state, parent, session = found
            children.setdefault(parent, []).append((int(entry), state, session))
    live: list[tuple[int, int]] = []
    stack = [root]
    while stack:
        for pid, state, session in children.get(stack.pop(), ()):
            stack.append(pid)
            if state not in ("Z", "X"):
                live.append((pid, session))
    return live


def command_line(pid: int) -> str:
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as cmdline:
            words = cmdline.read().rstrip(b"\0").split(b"\0")
    except OSError:
        return "?"
    text = " ".join(word.decode("utf-8", "replace") for word in words)
    return text if len(text) <= _COMMAND_CHARS else text[: _COMMAND_CHARS - 3] + "..."


def reap_ended() -> None:
    """Collect the exit status of every child that ended (adopted orphans included)."""
    with contextlib.suppress(ChildProcessError):
        while os.waitpid(-1, os.WNOHANG)[0] > 0:
            pass


def kill_descendants() -> tuple[list[dict], int]:
    """SIGKILL every live descendant until none is left; returns what was killed (the first
    few, described) and how many in all."""
    me = os.getpid()
    own_session = os.getsid(0)
    killed: dict[int, dict] = {}
    # concadvise: ignore[CA101]: kills in rounds: each round sees what the one before left alive
    for _round in range(_KILL_ROUNDS):
        live = live_descendants(me)
        if not live:
            break
        # concadvise: ignore[CA101]: each kill recorded once, in the order found
        for pid, session in live:
            if pid not in killed:
                killed[pid] = {
                    "pid": pid,
                    "command": command_line(pid),
                    "own_session": session != own_session,
                }
            with contextlib.suppress(OSError):
                os.kill(pid, signal.SIGKILL)
        time.sleep(_ROUND_PAUSE_S)
        reap_ended()
    reap_ended()
    return list(killed.values())[:_MAX_REPORTED], len(killed)


def wait_for(child: subprocess.Popen) -> int:
    """The child's exit code, reaping the orphans that end meanwhile (they are ours now)."""
    while True:
        pid, status = os.waitpid(-1, 0)
        if pid == child.pid:
            child.returncode = os.waitstatus_to_exitcode(status)
            return child.returncode


def main(argv: list[str]) -> int:
    runner, status_fd, *command = argv
    status: dict = {}
    # at a timeout the whole group gets SIGINT; this process must outlive the command
    signal.signal(signal.SIGINT, lambda _signum, _frame: None)
    signal.signal(signal.SIGTERM, _stop)
    exit_code = 0
    try:
        status["subreaper"] = become_subreaper(int(runner))
        started = time.perf_counter()
        try:
            child = subprocess.Popen(command)
        except OSError as exc:
            status["spawn_error"] = [exc.errno, exc.strerror, exc.filename]
            exit_code = 127
        else:
            exit_code = wait_for(child)
            status["wall_s"] = time.perf_counter() - started
    except _Stop:
        status["stopped"] = True
        exit_code = -signal.SIGTERM
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    killed, count = kill_descendants()
    status.update(exit_code=exit_code, killed=killed, killed_count=count)
    with contextlib.suppress(OSError), os.fdopen(int(status_fd), "w") as out:
        json.dump(status, out)
    return exit_code


def exit_as(code: int) -> None:
    """End as the command did: with its exit code, or killed by the same signal."""
    if code < 0:
        with contextlib.suppress(OSError, ValueError):
            signal.signal(-code, signal.SIG_DFL)
        sys.stdout.flush()
        os.kill(os.getpid(), -code)
    sys.exit(code if code >= 0 else 128 - code)


if __name__ == "__main__":
    exit_as(main(sys.argv[1:]))
