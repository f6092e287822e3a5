"""`profile --apply` (apply_and_verify): each safe finding rewritten and verified by real timed
runs; a failure on one file is that file's error and the other files still go through."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from advisor.check import CheckRequest, check_paths
from advisor.model import ErrorEntry, Evidence
from advisor.pipeline import ProfileRequest, apply_and_verify
from conftest import SAFE_IO_LOOP


def test_a_fixer_crash_on_one_file_is_its_error_and_the_other_file_is_verified(
    crash_tree: Path,
) -> None:
    # the findings as the profile would give them (same rules, files, lines and safety, and
    # measured: --apply tries only what the run measured)
    checked = check_paths(CheckRequest(paths=(".",), use_cache=False, jobs=1))
    measured = Evidence(wall_s=1.0, share_of_run=0.9, cpu_python=0.0, cpu_native=0.0, waiting=1.0)
    report = replace(
        checked, findings=tuple(replace(f, evidence=measured) for f in checked.findings)
    )
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


def test_a_finding_the_run_did_not_measure_is_left_to_fix(crash_tree: Path) -> None:
    """Timed runs can prove a rewrite faster only where the run spent its time."""
    report = check_paths(CheckRequest(paths=("fixes.py",), use_cache=False, jobs=1))
    assert [f.fix_safety for f in report.findings] == ["safe"]
    (crash_tree / "main.py").write_text("print('done')\n")
    applied = apply_and_verify(report, ProfileRequest(str(crash_tree / "main.py")), runs=1)
    assert applied.verification == () and applied.errors == ()
    assert (crash_tree / "fixes.py").read_text() == SAFE_IO_LOOP


NOISY_LOOP = """\
import time

start = time.perf_counter()
pages = []
for n in range(8):
    time.sleep(0.02)
    pages.append(n * n)
print(sum(pages), f"en {time.perf_counter() - start:.6f} segundos")
"""


def test_the_users_masks_let_a_rewrite_of_a_noisy_program_be_verified(
    tmp_path: Path, monkeypatch
) -> None:
    """The program prints its own time in words the duration rule does not know: every run
    differs, so --apply keeps nothing, unless the user's mask hides it; the report lists it."""
    from advisor.model import RunInfo

    monkeypatch.chdir(tmp_path)
    (tmp_path / "noisy.py").write_text(NOISY_LOOP)
    checked = check_paths(CheckRequest(paths=("noisy.py",), use_cache=False, jobs=1))
    measured = Evidence(wall_s=0.16, share_of_run=0.9, cpu_python=0.0, cpu_native=0.0, waiting=1.0)
    report = replace(
        checked,
        findings=tuple(replace(f, evidence=measured) for f in checked.findings),
        run=RunInfo(wall_s=0.2, profiler="py-spy", exit_code=0),
    )
    plain = apply_and_verify(report, ProfileRequest("noisy.py"), runs=1)
    [refused] = plain.verification
    assert not refused.same_output and not refused.kept
    assert plain.run is not None and plain.run.output_masks is None
    assert (tmp_path / "noisy.py").read_text() == NOISY_LOOP
    masks = (r"[\d.]+ segundos",)
    masked = apply_and_verify(report, ProfileRequest("noisy.py", output_masks=masks), runs=1)
    [verified] = masked.verification
    assert verified.same_output
    assert masked.run is not None and masked.run.output_masks == masks
