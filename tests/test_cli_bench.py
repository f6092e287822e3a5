"""`concadvise bench` end to end: the real CLI on tiny real scripts, few runs."""

from __future__ import annotations

import json
from pathlib import Path

from conftest import run_cli

SLOW = "import sys, time\ntime.sleep(0.2)\nprint('args', sys.argv[1:])\n"
FAST = "import sys\nprint('args', sys.argv[1:])\n"


def scripts(tmp_path: Path, before: str, after: str) -> tuple[str, str]:
    (tmp_path / "before.py").write_text(before)
    (tmp_path / "after.py").write_text(after)
    return str(tmp_path / "before.py"), str(tmp_path / "after.py")


def test_json_has_timings_ratio_and_same_output(tmp_path: Path) -> None:
    before, after = scripts(tmp_path, SLOW, FAST)
    result = run_cli("bench", before, after, "--runs", "2", "--format", "json", "--", "x", "-v")
    assert result.returncode == 0, result.stderr
    document = json.loads(result.stdout)  # stdout holds the result and nothing else
    assert document["same_output"] is True and document["difference"] is None
    assert len(document["before"]["runs"]) == len(document["after"]["runs"]) == 2
    assert document["before"]["min_s"] >= 0.2
    assert document["ratio"]["min"] > 1.0
    assert set(document) == {
        "before",
        "after",
        "ratio",
        "same_output",
        "difference",
        "noise_warning",
    }
    assert result.stderr == ""  # no progress display off a terminal


def test_the_table_and_exit_1_when_the_output_differs(tmp_path: Path) -> None:
    before, after = scripts(tmp_path, SLOW, FAST.replace("'args'", "'ARGS'"))
    result = run_cli("bench", before, after, "--runs", "1")
    assert result.returncode == 1, result.stderr
    assert "Alternating runs (wall time)" in result.stdout
    assert "after is" in result.stdout and "x faster" in result.stdout
    assert "Output differs: standard output changed (line 1 was" in result.stdout


def test_unordered_accepts_completion_order(tmp_path: Path) -> None:
    # without --unordered this is a difference: see tests/test_verify_equivalence.py
    before, after = scripts(tmp_path, "print('a')\nprint('b')\n", "print('b')\nprint('a')\n")
    result = run_cli("bench", before, after, "--runs", "1", "--warmup", "0", "--unordered")
    assert result.returncode == 0, result.stdout


def test_a_missing_script_is_one_line_and_exit_2(tmp_path: Path) -> None:
    before, _ = scripts(tmp_path, FAST, FAST)
    result = run_cli("bench", before, str(tmp_path / "missing.py"))
    assert result.returncode == 2
    assert result.stderr == f"concadvise: error: no such script: {tmp_path / 'missing.py'}\n"
    assert result.stdout == ""


def test_a_run_past_the_timeout_is_one_line_and_exit_2(tmp_path: Path) -> None:
    before, after = scripts(tmp_path, FAST, "import time\ntime.sleep(30)\n")
    result = run_cli("bench", before, after, "--runs", "1", "--timeout", "0.5")
    assert result.returncode == 2
    assert result.stderr == "concadvise: error: the after version ran past the timeout of 0.5 s\n"


def test_the_same_crash_on_both_sides_is_a_failure_not_same_output(tmp_path: Path) -> None:
    crash = "print('partial')\nraise SystemExit('disk full')\n"
    before, after = scripts(tmp_path, crash, crash)
    result = run_cli("bench", before, after, "--runs", "1", "--warmup", "0")
    assert result.returncode == 2, result.stdout
    assert "Both versions failed the same way (exit code 1: disk full)." in result.stdout
    assert "Same output" not in result.stdout
    document = json.loads(run_cli("bench", before, after, "--runs", "1", "-f", "json").stdout)
    assert document["failure"] == "exit code 1: disk full"


NOISY = (
    "import time\n"
    "start = time.perf_counter()\n"
    "print('total', sum(range(1000)))\n"
    "print(f'listo en {time.perf_counter() - start:.9f} segundos', object())\n"
)


def test_the_users_masks_make_noisy_output_the_same_and_are_listed(tmp_path: Path) -> None:
    before, after = scripts(tmp_path, NOISY, NOISY)
    unmasked = run_cli("bench", before, after, "--runs", "1", "--warmup", "0")
    assert unmasked.returncode == 1, unmasked.stdout
    masked = run_cli(
        "bench", before, after, "--runs", "1", "--warmup", "0", "--format", "json",
        "--ignore-output", r"[\d.]+ segundos", "--ignore-output", "0x[0-9a-f]+",
    )  # fmt: skip
    assert masked.returncode == 0, masked.stdout + masked.stderr
    document = json.loads(masked.stdout)
    assert document["same_output"] is True
    assert document["ignored_output"] == [r"[\d.]+ segundos", "0x[0-9a-f]+"]
    # the same masks from [tool.concadvise], listed under the table
    (tmp_path / "pyproject.toml").write_text(
        "[tool.concadvise]\n" r"ignore-output = ['[\d.]+ segundos', '0x[0-9a-f]+']" "\n"
    )
    configured = run_cli("bench", before, after, "--runs", "1", "--warmup", "0")
    assert configured.returncode == 0, configured.stdout + configured.stderr
    assert (
        r"Output compared ignoring what matches `[\d.]+ segundos`, `0x[0-9a-f]+` "
        "(--ignore-output)." in configured.stdout
    )


def test_a_mask_that_is_no_regular_expression_is_one_line(tmp_path: Path) -> None:
    before, after = scripts(tmp_path, FAST, FAST)
    result = run_cli("bench", before, after, "--ignore-output", "[")
    assert result.returncode == 2
    assert result.stderr == (
        "concadvise: error: --ignore-output '[' is not a regular expression: unterminated "
        "character set at position 0\n"
    )


def test_stdin_is_read_once_and_given_to_every_run(tmp_path: Path) -> None:
    reader = (
        "import sys\nwords = sys.stdin.read().split()\nprint(len(words))\n"
        "sys.exit(0 if words else 3)\n"
    )
    before, after = scripts(tmp_path, reader, reader.replace("len(", "0 + len("))
    result = run_cli(
        "bench", before, after, "--runs", "2", "--format", "json", "--stdin", input="a b c d\n"
    )
    assert result.returncode == 0, result.stdout + result.stderr
    document = json.loads(result.stdout)
    assert document["same_output"] is True and "failure" not in document
    # without --stdin every run reads nothing: both exit 3, a failure, not a comparison
    closed = run_cli("bench", before, after, "--runs", "1", "--format", "json", input="a b\n")
    assert closed.returncode == 2
    assert json.loads(closed.stdout)["failure"] == "exit code 3"
