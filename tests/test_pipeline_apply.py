"""`profile --apply` (apply_and_verify): each safe finding rewritten and verified by real timed
runs; a failure on one file is that file's error and the other files still go through."""

from __future__ import annotations

from pathlib import Path

from advisor.check import CheckRequest, check_paths
from advisor.model import ErrorEntry
from advisor.pipeline import ProfileRequest, apply_and_verify
from conftest import SAFE_IO_LOOP


def test_a_fixer_crash_on_one_file_is_its_error_and_the_other_file_is_verified(
    crash_tree: Path,
) -> None:
    # the findings as the profile would give them (same rules, files, lines and safety)
    report = check_paths(CheckRequest(paths=(".",), use_cache=False, jobs=1))
    crashes = (crash_tree / "crashes.py").read_text()
    (crash_tree / "main.py").write_text("print('done')\n")
    applied = apply_and_verify(report, ProfileRequest(str(crash_tree / "main.py")), runs=1)
    assert applied.errors == (
        ErrorEntry(
            "crashes.py", "internal", "CA101 fixer failed on line 6: FixerBug: a deliberate bug"
        ),
    )
    [verified] = applied.verification
    assert report.findings[verified.finding].path == "fixes.py"
    assert verified.same_output and len(verified.before_s) == len(verified.after_s) == 1
    assert (crash_tree / "crashes.py").read_text() == crashes
    # main.py does not use the loop, so whether one timed pair calls the rewrite faster is noise
    fixed = (crash_tree / "fixes.py").read_text()
    assert (fixed != SAFE_IO_LOOP) is verified.kept
    assert verified.kept or verified.reason.startswith("not faster")
