"""Output equivalence: exit code and stdout, self-reported durations masked, nothing else."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from advisor.verify.equivalence import OutputRule, mask_durations, output_difference


@dataclass(frozen=True)
class Out:
    stdout: bytes
    exit_code: int = 0


def differs(before: str, after: str, **rule: object) -> str | None:
    return output_difference(Out(before.encode()), Out(after.encode()), OutputRule(**rule))  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("line", "masked"),
    [
        ("took 1.23 s", "took <duration>"),
        ("Elapsed: 0:00:01.2", "Elapsed: <duration>"),
        ("done in 350ms", "done in <duration>"),
        ("time: 2.1s", "time: <duration>"),
        ("time: 2.1", "time: <duration>"),
        ("Elapsed time (s): 12.5", "Elapsed time (s): <duration>"),
        ("wall=0.91, cpu 2", "wall=<duration>, cpu 2"),
        ("finished 20 pages in 2.43 seconds", "finished 20 pages in <duration>"),
        ("best of 3: 1.2e-05 s per loop", "best of 3: <duration> per loop"),
        ("lap 1:02.5", "lap <duration>"),
        ("timings 12 ms | 3 us | 4µs", "timings <duration> | <duration> | <duration>"),
        ("2 h 5 min", "<duration> <duration>"),
    ],
)
def test_durations_are_masked(line: str, masked: str) -> None:
    assert mask_durations(line) == masked


@pytest.mark.parametrize(
    "line",
    [
        "total 20 pages 61234 bytes",
        "took 42 tries",  # a count after "took", not a duration: followed by a word
        "score 3:2",  # not a clock: one colon, no fraction
        "version v2.1s",  # part of a word
        "5 sheep and 3 minimums",  # words that start like units
        "timeout 30",  # "timeout" is not the keyword "time"
        "sha256 0a1b2c3d 12s3",
        "x = 10.5 m",  # metres, not minutes
    ],
)
def test_results_that_are_not_durations_are_left_alone(line: str) -> None:
    assert mask_durations(line) == line


def test_an_elapsed_time_line_that_differs_counts_as_the_same_output() -> None:
    before = "page 1 2345\nfetched 20 pages in 2.43 s\nElapsed: 0:00:02.4\ntime: 2.4\n"
    after = "page 1 2345\nfetched 20 pages in 0.31 s\nElapsed: 0:00:00.3\ntime: 0.31\n"
    assert differs(before, after) is None


def test_a_result_number_on_a_line_with_a_duration_is_still_compared() -> None:
    before = "took 1.23 s to find 42 primes\n"
    after = "took 0.40 s to find 41 primes\n"
    assert differs(before, after) == (
        "standard output changed (line 1 was 'took <duration> to find 42 primes', "
        "is 'took <duration> to find 41 primes')"
    )


def test_a_count_after_a_time_keyword_is_still_compared() -> None:
    assert differs("time: 2.1, items 42\n", "time: 0.3, items 41\n") is not None
    assert differs("took 42 tries\n", "took 41 tries\n") is not None


def test_exact_comparison_does_not_mask() -> None:
    assert differs("took 1.2 s\n", "took 0.3 s\n", mask_durations=False) == (
        "standard output changed (line 1 was 'took 1.2 s', is 'took 0.3 s')"
    )


def test_a_changed_exit_code_is_reported_first() -> None:
    assert output_difference(Out(b"a\n", 0), Out(b"b\n", 3)) == "exit code changed from 0 to 3"


def test_a_death_by_signal_is_named() -> None:
    assert output_difference(Out(b"a\n", 0), Out(b"a\n", -9)) == (
        "killed by SIGKILL (as the out-of-memory killer does) instead of exit code 0"
    )


def test_missing_and_extra_lines_are_described() -> None:
    assert differs("a\nb\nc\n", "a\n") == "standard output changed (2 line(s) missing from line 2)"
    assert differs("a\n", "a\nz\n") == "standard output changed (1 extra line(s) from line 2)"


def test_a_missing_final_newline_is_a_difference() -> None:
    assert differs("a\n", "a") == "standard output changed (line 1 was 'a', is 'a')"


def test_completion_order_is_accepted_only_when_asked() -> None:
    before, after = "job 1 ok\njob 2 ok\njob 3 ok\n", "job 2 ok\njob 3 ok\njob 1 ok\n"
    assert differs(before, after) is not None
    assert differs(before, after, unordered=True) is None


def test_unordered_compares_the_multiset_of_lines() -> None:
    # same set of lines, different counts: a lost duplicate is a changed result
    assert differs("x\nx\ny\n", "x\ny\ny\n", unordered=True) == (
        "standard output changed (line 'x' missing)"
    )
    assert differs("x\n", "x\ny\n", unordered=True) == "standard output changed (extra line 'y')"


def test_unordered_still_masks_durations() -> None:
    before = "b done in 1.5 s\na done in 0.2 s\n"
    after = "a done in 0.1 s\nb done in 0.9 s\n"
    assert differs(before, after, unordered=True) is None


def test_undecodable_bytes_are_compared_exactly_without_raising() -> None:
    assert output_difference(Out(b"\xff\xfe 1\n"), Out(b"\xff\xfe 1\n")) is None
    assert output_difference(Out(b"\xff 1\n"), Out(b"\xfe 1\n")) is not None


def test_the_users_masks_hide_their_noise_in_stdout_stderr_and_files() -> None:
    from advisor.verify.equivalence import RunRecord, run_difference
    from advisor.verify.file_changes import FileEffect

    def record(seconds: str, address: str) -> RunRecord:
        line = f"listo en {seconds} segundos; {address}\n".encode()
        file = FileEffect.of_bytes("written", line)
        return RunRecord(0, line, line, {"out.txt": file})

    masks = OutputRule(ignore=(r"[\d.]+ segundos", r"0x[0-9a-f]+"))
    before, after = record("3.21", "0x7f00aa"), record("0.48", "0x7f11bb")
    assert run_difference(before, after, masks) is None
    assert run_difference(before, after) == (
        "standard output changed (line 1 was 'listo en 3.21 segundos; 0x7f00aa', "
        "is 'listo en 0.48 segundos; 0x7f11bb')"
    )
    # what the masks do not match is still compared, with the masks shown in its place
    assert differs(
        "listo en 3.2 segundos: 40\n", "listo en 0.4 segundos: 41\n", ignore=(r"[\d.]+ segundos",)
    ) == (
        "standard output changed (line 1 was 'listo en <ignored>: 40', is 'listo en <ignored>: 41')"
    )


def test_a_clusters_own_lines_are_left_out_and_a_workers_print_is_kept() -> None:
    from advisor.codemods.dask_executor import DASK_LOG_LINES
    from advisor.codemods.ray_executor import RAY_LOG_LINES
    from advisor.verify.equivalence import RunRecord, run_difference

    serial = RunRecord(0, b"48 runs\nchecksum 8\n", b"")
    on_ray = RunRecord(
        0,
        b"48 runs\nchecksum 8\n\x1b[33m(raylet)\x1b[0m A worker died or was killed while ...\n",
        b"2026-12-04 04:22:29,618\tINFO worker.py:2038 -- Started a local Ray instance.\n",
    )
    assert run_difference(serial, on_ray, OutputRule(drop_lines=RAY_LOG_LINES)) is None
    assert run_difference(serial, on_ray) is not None
    printing = RunRecord(0, b"48 runs\nchecksum 8\n\x1b[36m(digit_sum pid=7)\x1b[0m 3\n", b"")
    assert run_difference(serial, printing, OutputRule(drop_lines=RAY_LOG_LINES)) == (
        "standard output changed (1 extra line(s) from line 3)"
    )
    on_dask = RunRecord(
        0,
        b"48 runs\nchecksum 8\n",
        b"2026-12-04 04:31:10,123 - distributed.core - INFO - Event loop was unresponsive\n",
    )
    assert run_difference(serial, on_dask, OutputRule(drop_lines=DASK_LOG_LINES)) is None
