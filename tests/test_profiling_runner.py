"""Running a command in its own process group: the run ends when the command does."""

from __future__ import annotations

import subprocess
import sys

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
