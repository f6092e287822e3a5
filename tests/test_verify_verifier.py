"""The verifier keeps a rewrite only when output is identical and it is faster, and otherwise
restores the original bytes exactly. Real subprocesses, tiny scripts."""

from __future__ import annotations

import sys
from pathlib import Path

from advisor.verify.verifier import verify_rewrite

SLOW = b"import time\ntime.sleep(0.3)\nprint('result 42')\n"
FAST = b"import time\ntime.sleep(0.02)\nprint('result 42')\n"
WRONG = b"import time\ntime.sleep(0.02)\nprint('result 41')\n"


def verify(tmp_path: Path, original: bytes, rewritten: bytes):
    script = tmp_path / "job.py"
    script.write_bytes(original)
    outcome = verify_rewrite(
        str(script),
        original,
        rewritten,
        [sys.executable, str(script)],
        cwd=str(tmp_path),
        runs=2,
        timeout=30,
    )
    return outcome, script.read_bytes()


def test_a_faster_rewrite_with_the_same_output_is_kept(tmp_path: Path) -> None:
    outcome, final = verify(tmp_path, SLOW, FAST)
    assert outcome.kept and outcome.same_output
    assert len(outcome.before_s) == len(outcome.after_s) == 2  # the warm-up pair is not counted
    assert outcome.speedup > 1.05
    assert final == FAST


def test_a_rewrite_that_changes_output_is_rolled_back_byte_for_byte(tmp_path: Path) -> None:
    outcome, final = verify(tmp_path, SLOW, WRONG)
    assert not outcome.kept and not outcome.same_output
    assert outcome.reason == "standard output changed after the rewrite"
    assert final == SLOW


def test_a_rewrite_that_is_not_faster_is_rolled_back(tmp_path: Path) -> None:
    outcome, final = verify(tmp_path, FAST, SLOW)
    assert not outcome.kept and outcome.same_output
    assert outcome.reason.startswith("not faster")
    assert final == FAST


def test_a_changed_exit_code_is_caught(tmp_path: Path) -> None:
    outcome, final = verify(tmp_path, SLOW, FAST + b"raise SystemExit(3)\n")
    assert outcome.reason == "exit code changed from 0 to 3 after the rewrite"
    assert final == SLOW
