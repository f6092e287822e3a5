"""From samples to findings on recorded profiles: real py-spy runs of the fixtures, saved by
tests/record_profiles.py, advised again with nothing run. The findings are stated exactly; the
real-profiler runs that record them are in test_pipeline_profile.py (slow)."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from advisor.advice.findings import AdviceSettings
from advisor.model import Finding, Report, UncountedFile, plain, report_to_dict
from advisor.pipeline import ProfileRequest, advise_profile, profile_script
from advisor.profiling.session import load_session
from advisor.report.formats import render_text
from advisor.report.load import report_from_dict
from conftest import FIXTURES
from record_profiles import PINNED, PROFILES, RECORDINGS


def replayed_report(name: str) -> Report:
    """The report of the recorded run ``name``, as `profile --load-profile` makes it."""
    fixture, _args = RECORDINGS[name]
    request = ProfileRequest(str(FIXTURES / fixture), load_profile=str(PROFILES / f"{name}.json"))
    return profile_script(request)


def replayed(name: str) -> tuple[Finding, ...]:
    return replayed_report(name).findings


def rows(findings: tuple[Finding, ...]) -> list[tuple[object, ...]]:
    return [
        (f.rule, f.line, f.kind, f.suggestion, f.fix_safety, f.workers, f.predicted_speedup)
        for f in findings
    ]


# (rule, line, kind, suggestion, fix safety, workers, predicted speedup), then the messages
EXPECTED: dict[str, tuple[list[tuple[object, ...]], list[str]]] = {
    "download_pages": (
        [("CA101", 44, "io", "thread_pool", "safe", 20, 6.84)],
        [
            "serial loop (91% of the run, 20 items) waits on I/O 99% of its time "
            "(`urllib.request.urlopen`): 20 threads would make the whole run ~6.8x faster"
        ],
    ),
    # the digit loop inside each item's work (line 21, 48 runs) is part of the finding, no row
    "factorial_digits": (
        [("CA102", 29, "cpu", "process_pool", "unsafe", 2, 1.58)],
        [
            "serial loop (94% of the run, 48 items) runs Python 100% of its time: threads "
            "cannot help under the GIL; 2 processes would make the whole run ~1.6x faster",
        ],
    ),
    "hash_blocks": (
        [("CA103", 38, "native", "thread_pool", "safe", 2, 1.87)],
        [
            "serial loop (95% of the run, 160 items) runs native code 100% of its time "
            "(`hashlib._Hash().update`, `hashlib.sha256`): 2 threads would make the whole run "
            "~1.9x faster"
        ],
    ),
    # the pinned machine's default overheads (slow process start): threads, but the GIL taken back
    # after each 4 KB chunk makes them ~1.6x, not ~1.9x (measured: threads 1.50x, processes 1.88x)
    "checksum_chunks": (
        [("CA103", 31, "native", "thread_pool", "safe", 2, 1.56)],
        [
            "serial loop (93% of the run, 12 items) runs native code 86% of its time "
            "(`builtins.open`): 2 threads would make the whole run ~1.6x faster"
        ],
    ),
    "async_fetch_prices": (
        [("CA104", 28, "io", "asyncio_gather", "safe", 24, 14.01)],
        [
            "`await fetch_price(...)` one item at a time inside `async def price_list` (97% of "
            "the run, 24 items) waits 100% of its time: gathered, at most 24 at once, the whole "
            "run would be ~14.0x faster"
        ],
    ),
    "pool_threads_over_cpu": (
        [("CA203", 37, "cpu", "process_pool", "unsafe", 2, 1.38)],
        [
            "ThreadPoolExecutor (94% of the run): a worker held the GIL 77% of the pool's time, "
            "so its threads ran Python one at a time; 2 processes would make the whole run "
            "~1.4x faster"
        ],
    ),
    "pool_processes_over_io": (
        [("CA204", 43, "io", "thread_pool", "unsafe", 64, 9.14)],
        [
            "ProcessPoolExecutor (93% of the run): its workers waited 100% of their time; 64 "
            "threads would overlap more of the waits than 2 processes, without starting any: "
            "the whole run ~9.1x faster"
        ],
    ),
    "crashes_midway": (
        [("CA101", 24, "io", "thread_pool", "safe", 10, 5.29)],
        [
            "serial loop (93% of the run, 10 items) waits on I/O 100% of its time "
            "(`time.sleep`): 10 threads would make the whole run ~5.3x faster"
        ],
    ),
    # one report: the static finding of the profiled file whose line took most of the run ranks
    # first, the unbounded gather that no sample saw comes last, unmeasured
    "async_build_watch": (
        [
            ("CA301", 20, "io", "asyncio_sleep", "safe", None, None),
            ("CA101", 19, "io", "none", "none", None, None),
            ("CA303", 25, "io", "bounded_pool", "safe", None, None),
        ],
        [
            "blocking call `time.sleep` inside `async def watch_job`: use "
            "`await asyncio.sleep(...)`",
            "serial loop (84% of the run, 3 items per run of the loop, 3 runs) has too few items "
            "to be worth a pool (3 per run of the loop, ~0.32 s of the run to save)",
            "`asyncio.gather` starts `watch_job(...)` for every item of an iterable of unknown "
            "size at once: bound how many run together with an `asyncio.Semaphore`",
        ],
    ),
    # the plan: the scoring loop alone is not worth a pool (1.07x); on what the threaded
    # downloads leave, it is, and the two fixes are worth more together
    "fetch_and_score": (
        [
            ("CA101", 52, "io", "thread_pool", "safe", 20, 3.63),
            ("CA102", 55, "cpu", "process_pool", "unsafe", 2, 1.32),
        ],
        [
            "serial loop (78% of the run, 20 items) waits on I/O 99% of its time "
            "(`urllib.request.urlopen`): 20 threads would make the whole run ~3.6x faster",
            "serial loop (18% of the run, 20 items) runs Python 100% of its time: threads "
            "cannot help under the GIL; 2 processes would make the whole run ~1.3x faster once "
            "plan step 1 is applied; alone, ~1.07x",
        ],
    ),
    # concurrency already there, judged with what the run started: the pool's tasks ran one at
    # a time (the loop around them is CA205's, no CA101 of its own), the threads all at once
    "check_links": (
        [
            ("CA205", 74, "io", "bounded_pool", "safe", 8, 4.35),
            ("CA201", 63, "io", "bounded_pool", "unsafe", 60, None),
        ],
        [
            "`future.result()` waits for `pool.submit(...)` in the same iteration of the loop at "
            "line 73, so the tasks run one at a time: submit all, then collect (measured: 30 "
            "tasks, never more than one running at once on a pool of 8 workers; the loop took "
            "89% of the run, 30 items: run 8 at a time, the whole run would be ~4.4x faster)",
            "`threading.Thread(...)` starts a new thread for every item of the loop at line 62, "
            "with no bound on how many run at once: use a ThreadPoolExecutor with bounded "
            "`max_workers` (measured: 60 threads started, up to 60 running at once)",
        ],
    ),
}


def test_the_plan_orders_the_fixes_and_predicts_them_together() -> None:
    report = replayed_report("fetch_and_score")
    assert report.plan is not None
    assert [(s.finding, s.predicted_speedup) for s in report.plan.steps] == [(0, 3.63), (1, 1.32)]
    assert report.plan.predicted_speedup == 4.79  # 3.63 x 1.32: each on what the last left
    # the JSON report keeps it, and reads back
    assert report_from_dict(report_to_dict(report)).plan == report.plan
    line = "Plan: fix #0 (~3.6x), then #1 (~1.3x on what is left): the whole run ~4.8x faster"
    assert f"**{line}**" in render_text(report, "markdown")
    assert f'<p class="plan" data-plan><strong>{line}</strong></p>' in render_text(report, "html")


def test_no_plan_for_a_single_fix() -> None:
    assert replayed_report("download_pages").plan is None


def test_static_findings_carry_the_share_their_lines_took() -> None:
    blocking, loop, gather = replayed("async_build_watch")
    assert blocking.evidence is not None and loop.evidence is not None
    assert blocking.evidence.share_of_run >= loop.evidence.share_of_run > 0.8
    assert blocking.evidence.waiting > 0.9 and blocking.evidence.iterations is None
    assert gather.evidence is None


def test_every_recording_has_its_expected_findings() -> None:
    assert set(EXPECTED) == set(RECORDINGS)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_a_recorded_profile_gives_exactly_its_findings(name: str) -> None:
    findings = replayed(name)
    expected_rows, messages = EXPECTED[name]
    assert rows(findings) == expected_rows
    assert [f.message for f in findings] == messages
    fixture = RECORDINGS[name][0]
    assert {Path(f.path).name for f in findings} == {fixture}


def test_the_evidence_is_what_the_samples_and_counts_say() -> None:
    (finding,) = replayed("download_pages")
    assert plain(finding.evidence) == {
        "wall_s": 2.057,
        "share_of_run": 0.913,
        "cpu_python": 0.0,
        "cpu_native": 0.0106,
        "waiting": 0.9894,
        "iterations": 20,
        "executions": 1,
    }


def test_a_safe_finding_carries_the_diff_of_its_rewrite() -> None:
    (finding,) = replayed("hash_blocks")
    assert finding.diff is not None
    assert "+    with ThreadPoolExecutor(max_workers=2) as executor:\n" in finding.diff


def test_a_run_that_failed_reports_why_beside_what_it_measured() -> None:
    report = replayed_report("crashes_midway")
    [error] = report.errors
    assert (Path(error.path).name, error.kind) == ("crashes_midway.py", "script")
    assert error.message == (
        "the script exited with code 1: RuntimeError: could not save 10 results: no space left "
        "on device; the findings cover what ran before"
    )
    assert report.run is not None
    assert (report.run.exit_code, report.run.timed_out, report.run.profiler) == (1, False, "py-spy")


def test_the_recorded_machine_is_the_pinned_one() -> None:
    """record_profiles.py pins the machine so that a busy host does not change the advice."""
    for name, (fixture, _args) in RECORDINGS.items():
        session = load_session(PROFILES / f"{name}.json", FIXTURES / fixture)
        assert (session.machine.cores, session.machine.free_cores) == (
            PINNED.cores,
            PINNED.free_cores,
        )


def test_the_machine_in_the_profile_wins_over_the_one_advising() -> None:
    """A saved run is judged on the machine it ran on, whatever the settings say of cores."""
    session = load_session(PROFILES / "hash_blocks.json", FIXTURES / "hash_blocks.py")
    more_cores = advise_profile(session, AdviceSettings(cores=16, free_cores=16.0))
    assert rows(more_cores.findings) == EXPECTED["hash_blocks"][0]


def test_a_contended_run_gets_the_same_advice_and_says_it_was_contended() -> None:
    """Another program held a core while the run was measured: the verdict stays the one for
    the machine's two cores (four runs once flipped from 1.9x to 'too small'), and says so."""
    session = load_session(PROFILES / "factorial_digits.json", FIXTURES / "factorial_digits.py")
    busy = dataclasses.replace(
        session, machine=dataclasses.replace(session.machine, free_cores=1.0)
    )
    notices: list[str] = []
    report = advise_profile(busy, AdviceSettings(), notices.append)
    assert rows(report.findings) == EXPECTED["factorial_digits"][0]
    assert notices == [
        "the machine was busy while the script ran: about 1.0 of its 2 cores were free, so the "
        "measured times may be longer than on a quiet machine; the advice is for 2 free cores "
        "(--cores sets the count)"
    ]
    assert report.run is not None and (report.run.cores, report.run.free_cores) == (2, 1.0)
    quiet = advise_profile(session, AdviceSettings())
    assert quiet.run is not None and (quiet.run.cores, quiet.run.free_cores) == (2, 2.0)


def _notices_of(name: str, **changes: object) -> list[str]:
    fixture, _args = RECORDINGS[name]
    session = load_session(PROFILES / f"{name}.json", FIXTURES / fixture)
    session = dataclasses.replace(session, profile=dataclasses.replace(session.profile, **changes))
    notices: list[str] = []
    advise_profile(session, AdviceSettings(), notices.append)
    return notices


def test_counts_that_were_written_but_are_empty_are_not_a_killed_run() -> None:
    assert _notices_of("download_pages", loop_counts=()) == []
    assert _notices_of("download_pages", loop_counts=(), counts_written=False) == [
        "the run ended without writing its loop counts (os._exit or a kill): predictions treat "
        "each loop's time as divisible among the workers"
    ]


def test_a_file_that_could_not_be_counted_is_named_with_its_reason() -> None:
    path = str(FIXTURES / "download_pages.py")
    uncounted = (UncountedFile(path, "RecursionError: maximum recursion depth exceeded"),)
    [notice] = _notices_of("download_pages", uncounted=uncounted)
    assert notice.startswith("the loops of ")
    assert notice.endswith(
        "download_pages.py could not be counted (RecursionError: maximum recursion depth "
        "exceeded; please report it): predictions for them treat each loop's time as divisible "
        "among the workers"
    )


def test_the_recorded_chunked_hashing_counts_the_gil_taken_back_per_file() -> None:
    [finding] = replayed("checksum_chunks")
    assert finding.evidence is not None and finding.evidence.gil_releases == 4096.0
