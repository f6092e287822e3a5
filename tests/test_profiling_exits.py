"""How a run ended, in words; scalene's report of a program killed by a signal, undone."""

from __future__ import annotations

import pytest

from advisor.profiling.exits import killed_by
from advisor.profiling.runner import CompletedRun
from advisor.profiling.scalene_adapter import death_by_signal


def test_a_kill_names_its_signal_and_what_usually_sends_it() -> None:
    assert killed_by(9) == "killed by SIGKILL (as the out-of-memory killer does)"
    assert killed_by(15) == "killed by SIGTERM"
    assert killed_by(200) == "killed by signal 200"


def _scalene_run(stdout: bytes, exit_code: int) -> CompletedRun:
    return CompletedRun(argv=("scalene",), exit_code=exit_code, stdout=stdout, stderr=b"", wall_s=1)


@pytest.mark.parametrize(
    ("stdout", "exit_code", "program_stdout", "program_code"),
    [
        # scalene's child killed by SIGKILL: scalene exits with -9 as a byte
        (b"working\nScalene error: received signal SIGKILL\n", 247, b"working\n", -9),
        (b"Scalene error: received signal SIGTERM\n", 241, b"", -15),
    ],
)
def test_scalenes_report_of_a_killed_program_becomes_the_kill(
    stdout: bytes, exit_code: int, program_stdout: bytes, program_code: int
) -> None:
    run = death_by_signal(_scalene_run(stdout, exit_code))
    assert (run.stdout, run.exit_code) == (program_stdout, program_code)


@pytest.mark.parametrize(
    ("stdout", "exit_code"),
    [
        (b"working\n", 247),  # a program that exits 247 by itself
        # the words without the matching status, not last, or not a line of their own
        (b"Scalene error: received signal SIGKILL\n", 3),
        (b"Scalene error: received signal SIGKILL\nmore\n", 247),
        (b"xScalene error: received signal SIGKILL\n", 247),
    ],
)
def test_a_programs_own_ending_is_kept(stdout: bytes, exit_code: int) -> None:
    run = _scalene_run(stdout, exit_code)
    assert death_by_signal(run) == run
