"""Running a command in its own process group: the run ends when the command does."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from advisor.profiling.runner import group_alive, run_in_process_group


def test_descendants_left_behind_are_reported_and_stopped() -> None:
    # the child keeps stdout open: waiting for its end of file would take 30 s
    leaves = "import subprocess; subprocess.Popen(['sleep', '30']); print('parent done')"
    run = run_in_process_group([sys.executable, "-c", leaves], timeout=20)
    assert (run.exit_code, run.stdout, run.left_running) == (0, b"parent done\n", True)
    assert run.wall_s < 10
    assert not group_alive(run.pgid)


def test_a_command_that_cleans_up_after_itself_leaves_nothing() -> None:
    waits = "import subprocess; subprocess.run(['true']); print('x' * 200000)"
    run = run_in_process_group([sys.executable, "-c", waits], timeout=20)
    assert run.exit_code == 0 and not run.left_running
    assert run.stdout == b"x" * 200000 + b"\n"  # more than a pipe holds: read while it runs


def test_stdin_is_closed_unless_passed() -> None:
    reads = "import sys; print(repr(sys.stdin.read()))"
    assert run_in_process_group([sys.executable, "-c", reads]).stdout == b"''\n"
    with subprocess.Popen(["echo", "given"], stdout=subprocess.PIPE) as echo:
        run = run_in_process_group([sys.executable, "-c", reads], stdin=echo.stdout.fileno())
    assert run.stdout == b"'given\\n'\n"


def test_a_timeout_kills_children_that_left_the_session_and_names_them() -> None:
    detaches = (
        "import subprocess, time\n"
        "subprocess.Popen(['sleep', '30'], start_new_session=True)\n"  # holds stdout
        "subprocess.Popen(['sleep', '31'], start_new_session=True, stdout=subprocess.DEVNULL)\n"
        "print('started', flush=True)\n"
        "time.sleep(30)\n"
    )
    run = run_in_process_group([sys.executable, "-c", detaches], timeout=1)
    assert run.timed_out and run.stdout == b"started\n"
    assert sorted((k.command, k.own_session) for k in run.killed) == [
        ("sleep 30", True),
        ("sleep 31", True),
    ]
    assert run.killed_count == 2 and "`sleep 30` (pid " in run.killed_text()
    for killed in run.killed:
        assert not Path(f"/proc/{killed.pid}").exists() or _state(killed.pid) == "Z"


def test_a_command_that_cannot_start_raises_as_popen_does() -> None:
    with pytest.raises(FileNotFoundError, match="no-such-program"):
        run_in_process_group(["no-such-program"])


def _state(pid: int) -> str:
    return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
