"""The verifier keeps a rewrite only when output is the same and it is faster, and otherwise
restores the original bytes exactly, saying why. Real subprocesses, tiny scripts."""

from __future__ import annotations

import sys
from pathlib import Path

from advisor.verify.equivalence import OutputRule
from advisor.verify.verifier import VerificationRun, verify_rewrite

SLOW = b"import time\ntime.sleep(0.3)\nprint('result 42')\n"
FAST = b"import time\ntime.sleep(0.02)\nprint('result 42')\n"
WRONG = b"import time\ntime.sleep(0.02)\nprint('result 41')\n"
# prints its own elapsed time, as many real scripts do
TIMED = (
    b"import time\nstart = time.perf_counter()\ntime.sleep({delay})\nprint('result 42')\n"
    b"print(f'took {time.perf_counter() - start:.2f} s')\n"
)


def timed(delay: float, result: int = 42) -> bytes:
    return TIMED.replace(b"{delay}", str(delay).encode()).replace(b"42", str(result).encode())


def verify(
    tmp_path: Path, original: bytes, rewritten: bytes, **options
) -> tuple[VerificationRun, bytes]:
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
        **options,
    )
    return outcome, script.read_bytes()


def test_a_faster_rewrite_with_the_same_output_is_kept(tmp_path: Path) -> None:
    outcome, final = verify(tmp_path, SLOW, FAST)
    assert outcome.kept and outcome.same_output and outcome.reason == ""
    assert len(outcome.before_s) == len(outcome.after_s) == 2  # the warm-up pair is not counted
    assert outcome.ratio is not None and outcome.speedup == outcome.ratio.median > 1.05
    assert final == FAST


def test_a_rewrite_that_changes_output_is_rolled_back_byte_for_byte(tmp_path: Path) -> None:
    outcome, final = verify(tmp_path, SLOW, WRONG)
    assert not outcome.kept and not outcome.same_output
    assert outcome.reason == (
        "standard output changed (line 1 was 'result 42', is 'result 41') after the rewrite"
    )
    assert final == SLOW


def test_a_rewrite_that_is_not_faster_is_rolled_back(tmp_path: Path) -> None:
    outcome, final = verify(tmp_path, FAST, SLOW)
    assert not outcome.kept and outcome.same_output
    assert outcome.reason.startswith("not faster (0.")
    assert outcome.reason.endswith("x; needs 1.05x)")
    assert final == FAST


def test_a_changed_exit_code_is_caught(tmp_path: Path) -> None:
    outcome, final = verify(tmp_path, SLOW, FAST + b"raise SystemExit(3)\n")
    assert outcome.reason == "exit code changed from 0 to 3 after the rewrite"
    assert final == SLOW


def test_a_script_printing_its_own_elapsed_time_is_kept(tmp_path: Path) -> None:
    outcome, final = verify(tmp_path, timed(0.3), timed(0.02))
    assert outcome.kept, outcome.reason
    assert final == timed(0.02)


def test_a_changed_result_beside_an_elapsed_time_is_still_caught(tmp_path: Path) -> None:
    outcome, final = verify(tmp_path, timed(0.3), timed(0.02, result=41))
    assert not outcome.kept
    assert outcome.reason.startswith("standard output changed (line 1 was 'result 42'")
    assert final == timed(0.3)


def test_exact_comparison_rejects_the_elapsed_time_line(tmp_path: Path) -> None:
    outcome, _ = verify(tmp_path, timed(0.3), timed(0.02), rule=OutputRule(mask_durations=False))
    assert not outcome.kept and "line 2 was 'took 0.3" in outcome.reason


def test_completion_order_output_needs_unordered(tmp_path: Path) -> None:
    original = b"import time\ntime.sleep(0.3)\nprint('a')\nprint('b')\n"
    rewritten = b"print('b')\nprint('a')\n"
    outcome, final = verify(tmp_path, original, rewritten)
    assert not outcome.kept and final == original
    outcome, final = verify(tmp_path, original, rewritten, rule=OutputRule(unordered=True))
    assert outcome.kept and final == rewritten


def test_a_program_whose_output_always_changes_is_not_blamed_on_the_rewrite(
    tmp_path: Path,
) -> None:
    flaky = b"import os\nprint(os.urandom(8).hex())\n"
    outcome, final = verify(tmp_path, flaky, flaky + b"# rewritten\n")
    assert not outcome.kept
    assert outcome.reason.startswith("the before version's own output differs between runs")
    assert final == flaky


def test_a_timeout_rolls_back_and_says_which_version(tmp_path: Path) -> None:
    script = tmp_path / "job.py"
    script.write_bytes(FAST)
    outcome = verify_rewrite(
        str(script),
        FAST,
        b"import time\ntime.sleep(30)\n",
        [sys.executable, str(script)],
        cwd=str(tmp_path),
        runs=1,
        timeout=0.5,
    )
    assert outcome.reason == "the after version ran past the timeout of 0.5 s"
    assert not outcome.kept and script.read_bytes() == FAST


def test_an_imported_module_of_the_same_size_is_not_run_from_stale_bytecode(
    tmp_path: Path,
) -> None:
    # the rewrite changes the module but not its size: bytecode cached within the same second
    # would look valid by (mtime in seconds, size) and run the original
    (tmp_path / "main.py").write_text("import work\nwork.run()\n")
    module = tmp_path / "work.py"
    original = b"import time\ndef run():\n    time.sleep(0.30)\n    print(1)\n"
    rewritten = b"import time\ndef run():\n    time.sleep(0.01)\n    print(2)\n"
    assert len(original) == len(rewritten)
    module.write_bytes(original)
    outcome = verify_rewrite(
        str(module),
        original,
        rewritten,
        [sys.executable, str(tmp_path / "main.py")],
        cwd=str(tmp_path),
        runs=1,
        timeout=30,
    )
    assert outcome.reason.startswith("standard output changed (line 1 was '1', is '2')")


def test_on_run_hears_each_run_by_label(tmp_path: Path) -> None:
    heard: list[str] = []
    verify(tmp_path, SLOW, FAST, on_run=heard.append)
    assert heard == ["before", "after"] * 3  # warm-up pair + 2 counted pairs


# Writes one line per item into a file, in the order the items finish.
WRITES = b"""\
import sys, threading, time
lines = []
def item(number, delay):
    time.sleep(delay)
    lines.append(f"item {number}")
delays = {delays}
workers = [threading.Thread(target=item, args=(n, d)) for n, d in enumerate(delays)]
for worker in workers:
    worker.start()
    {join_each}
for worker in workers:
    worker.join()
with open(sys.argv[1], "a") as out:
    out.write("\\n".join(lines) + "\\n")
print("wrote", len(lines))
"""


def writes(*delays: float, serial: bool) -> bytes:
    join = b"worker.join()" if serial else b"pass"
    return WRITES.replace(b"{delays}", repr(delays).encode()).replace(b"{join_each}", join)


def verify_in(tmp_path: Path, original: bytes, rewritten: bytes, *args: str) -> VerificationRun:
    script = tmp_path / "job.py"
    script.write_bytes(original)
    outcome = verify_rewrite(
        str(script), original, rewritten, [sys.executable, str(script), *args],
        cwd=str(tmp_path), runs=1, timeout=30, expected_exit_code=0,
    )  # fmt: skip
    assert script.read_bytes() == (rewritten if outcome.kept else original)
    return outcome


def test_lines_reordered_in_a_file_the_script_writes_are_caught(tmp_path: Path) -> None:
    """stdout is the same ("wrote 2"); the file the script writes is not: the first differing
    line is named. The runs wrote in scratch copies: the user's directory got no file."""
    serial, concurrent = writes(0.3, 0.05, serial=True), writes(0.3, 0.05, serial=False)
    outcome = verify_in(tmp_path, serial, concurrent, "out.txt")
    assert outcome.reason == (
        "file out.txt changed (line 1 was 'item 0', is 'item 1') after the rewrite"
    )
    assert not (tmp_path / "out.txt").exists()
    assert outcome.runs_note is None


def test_a_file_outside_the_directory_named_by_an_argument_is_compared_by_what_was_appended(
    tmp_path: Path,
) -> None:
    """Outside the working directory the runs write in place: each appends to the same log,
    and what each appended is compared (the same lines: kept; reordered: named)."""
    work, elsewhere = tmp_path / "work", tmp_path / "elsewhere"
    work.mkdir()
    elsewhere.mkdir()
    log = elsewhere / "run.log"
    log.write_text("earlier line\n")
    kept = verify_in(
        work, writes(0.05, 0.3, serial=True), writes(0.05, 0.3, serial=False), str(log)
    )
    assert kept.kept, kept.reason
    assert log.read_text().startswith("earlier line\nitem 0\nitem 1\n")
    changed = verify_in(
        work, writes(0.3, 0.05, serial=True), writes(0.3, 0.05, serial=False), str(log)
    )
    assert changed.reason == (
        f"file {log} changed (line 1 was 'item 0', is 'item 1') after the rewrite"
    )


STDERR = b"import sys, time\ntime.sleep({delay})\nprint({message}, file=sys.stderr)\n"


def test_stderr_is_compared_with_the_durations_masked(tmp_path: Path) -> None:
    def job(delay: float, message: str) -> bytes:
        return STDERR.replace(b"{delay}", str(delay).encode()).replace(
            b"{message}", message.encode()
        )

    same = verify_in(
        tmp_path, job(0.3, "'warned after 0.30 s'"), job(0.02, "'warned after 0.02 s'")
    )
    assert same.kept, same.reason
    changed = verify_in(tmp_path, job(0.3, "'warning: a'"), job(0.02, "'warning: b'"))
    assert changed.reason == (
        "standard error changed (line 1 was 'warning: a', is 'warning: b') after the rewrite"
    )


def test_a_program_that_needs_more_than_its_directory_runs_in_place(tmp_path: Path) -> None:
    """In a scratch copy ../data.txt is not there: the program fails where it did not when
    profiled (exit code 0), so the runs happen in the directory itself, and say so."""
    (tmp_path / "data.txt").write_text("42\n")
    work = tmp_path / "work"
    work.mkdir()
    reads = b"import time\ntime.sleep({delay})\nprint(open('../data.txt').read())\n"
    outcome = verify_in(work, reads.replace(b"{delay}", b"0.3"), reads.replace(b"{delay}", b"0.02"))
    assert outcome.kept, outcome.reason
    assert outcome.runs_note == (
        f"the runs happened in {work}, not in a copy: in a copy the program exited with code 1, "
        "not 0 as when profiled"
    )
