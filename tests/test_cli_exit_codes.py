"""Exit codes of every command on a file that cannot be parsed, through the real CLI: a CI gate
must never pass broken code (as ruff: a file that cannot be analysed fails like a finding)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from conftest import run_cli

BROKEN = "def f(:\n    pass\n"
GOOD = "import time\nfor s in [1, 2]:\n    pass\n"


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    (tmp_path / "broken.py").write_text(BROKEN)
    (tmp_path / "good.py").write_text(GOOD)
    return tmp_path


def test_check_fails_on_a_file_it_cannot_parse_and_names_it(tree: Path) -> None:
    result = run_cli("check", "--no-cache", ".", cwd=tree)
    assert result.returncode == 1, result.stdout + result.stderr
    assert result.stdout.splitlines() == [
        "No findings in the files analysed; 1 file could not be analysed:",
        "syntax error broken.py: syntax error at line 1: invalid syntax",
    ]


def test_check_json_lists_the_error_and_fails(tree: Path) -> None:
    result = run_cli("check", "--no-cache", "broken.py", "-f", "json", cwd=tree)
    assert result.returncode == 1
    assert '"kind": "syntax"' in result.stdout


def test_check_of_a_clean_file_passes(tree: Path) -> None:
    assert run_cli("check", "--no-cache", "good.py", cwd=tree).returncode == 0


@pytest.mark.parametrize("diff", [False, True])
def test_fix_fails_the_same_way_and_writes_nothing(tree: Path, diff: bool) -> None:
    result = run_cli("fix", ".", *(["--diff"] if diff else []), cwd=tree)
    assert result.returncode == 1, result.stdout + result.stderr
    assert "broken.py: error (syntax): syntax error at line 1: invalid syntax" in (
        result.stdout + result.stderr
    )
    assert (tree / "broken.py").read_text() == BROKEN


def test_profile_of_a_script_that_cannot_parse_is_one_line_and_exit_2(tree: Path) -> None:
    result = run_cli("profile", "broken.py", cwd=tree)
    assert result.returncode == 2
    assert result.stderr.strip() == (
        "concadvise: error: broken.py: syntax error at line 1: invalid syntax"
    )
    assert "Traceback" not in result.stdout + result.stderr


def test_bench_of_two_scripts_that_cannot_parse_is_a_failure(tree: Path) -> None:
    result = run_cli("bench", "broken.py", "broken.py", "--runs", "1", "--warmup", "0", cwd=tree)
    assert result.returncode == 2
    assert "Both versions failed the same way (exit code 1: SyntaxError: invalid syntax)." in (
        result.stdout
    )


def test_report_of_a_file_that_is_not_a_report_is_one_line_and_exit_2(tree: Path) -> None:
    result = run_cli("report", "broken.py", cwd=tree)
    assert result.returncode == 2
    assert result.stderr.startswith("concadvise: error: ")
    assert len(result.stderr.splitlines()) == 1


def test_profile_for_more_cores_than_the_machine_has_is_a_usage_error(tree: Path) -> None:
    have = len(os.sched_getaffinity(0))
    result = run_cli("profile", "broken.py", "--cores", str(have + 1), cwd=tree)
    assert result.returncode == 2
    assert result.stderr.strip() == (
        f"concadvise: error: --cores {have + 1}: this machine lets the run use {have}"
    )
