"""CA201, CA202 and CA205 judged with the concurrency the run started at their lines."""

from __future__ import annotations

from dataclasses import replace

from advisor.advice.decision import (
    Overheads,
    predict_thread_pool_loop_time,
    predict_whole_run_speedup,
)
from advisor.advice.findings import AdviceSettings
from advisor.advice.started import waited_loops, with_started_work
from advisor.display import rounded
from advisor.model import Evidence, Finding, LoopSite, StartCounts, StartedWork

OVERHEADS = Overheads(0.001, 0.0001, 0.05, 0.002, 2, thread_import_s=0.02, process_import_s=0.04)
SETTINGS = AdviceSettings(cores=2, overheads=OVERHEADS, free_cores=2.0)

WAIT = Finding(
    "CA205",
    "s.py",
    29,
    30,
    "`future.result()` waits for `pool.submit(...)` in the same iteration of the loop at line "
    "28, so the tasks run one at a time: submit all, then collect",
    "unknown",
    "bounded_pool",
    "safe",
)
PER_ITEM = Finding(
    "CA201",
    "s.py",
    21,
    21,
    "`threading.Thread(...)` starts a new thread for every item of the loop at line 20",
    "io",
    "bounded_pool",
    "unsafe",
)
WAIT_LOOP = LoopSite("s.py", 28, 30, "for_append", "url", (), ())
THREAD_LOOP = LoopSite("s.py", 20, 23, "for_append", "url", (), ())
OTHER_LOOP = LoopSite("s.py", 40, 41, "for_append", "x", (), ())
LOOPS = [THREAD_LOOP, WAIT_LOOP, OTHER_LOOP]
# 40 items waited for one at a time: 2 s of a 2.5 s run, all waiting
WAITING = Evidence(2.0, 0.8, 0.0, 0.0, 1.0, iterations=40, executions=1)


def judged(findings: list[Finding], started: list[StartedWork]) -> list[Finding]:
    return with_started_work(findings, started, LOOPS, {WAIT_LOOP: WAITING}, 2.5, SETTINGS)


def test_the_loop_around_a_serial_wait_is_the_findings() -> None:
    assert waited_loops([WAIT, PER_ITEM], LOOPS) == {WAIT_LOOP}


def test_a_serial_wait_the_run_confirms_takes_its_loops_time_and_the_gain_on_its_pool() -> None:
    work = StartedWork("s.py", 29, StartCounts("thread_pool_task", 40, 1, workers=4))
    [finding] = judged([WAIT], [work])
    new_loop_s = predict_thread_pool_loop_time(WAITING, 4, 2.0, OVERHEADS)
    speedup = rounded(predict_whole_run_speedup(2.5, 2.0, new_loop_s), 2)
    assert (finding.workers, finding.predicted_speedup, finding.evidence) == (4, speedup, WAITING)
    assert (finding.kind, finding.started) == ("io", work.counts)
    assert finding.message == (
        f"{WAIT.message} (measured: 40 tasks, never more than one running at once on a pool of "
        f"4 workers; the loop took 80% of the run, 40 items: run 4 at a time, the whole run "
        f"would be ~{speedup:.1f}x faster)"
    )


def test_a_serial_wait_the_run_saw_overlap_is_no_finding() -> None:
    overlapping = StartedWork("s.py", 29, StartCounts("thread_pool_task", 40, 3, workers=4))
    assert judged([WAIT], [overlapping]) == []


def test_threads_per_item_say_how_many_ran_at_once_from_anywhere_in_their_loop() -> None:
    # `t.start()` is on the line after the `Thread(...)` the finding points at
    work = StartedWork("s.py", 22, StartCounts("thread", 120, 70))
    [finding] = judged([PER_ITEM], [work, StartedWork("s.py", 40, StartCounts("thread", 3, 3))])
    assert finding.message == (
        f"{PER_ITEM.message} (measured: 120 threads started, up to 70 running at once)"
    )
    assert (finding.started, finding.workers) == (work.counts, 64)  # as many as ran, within the cap


def test_processes_per_item_are_bounded_by_the_cores() -> None:
    per_item = replace(PER_ITEM, rule="CA202", kind="cpu", message="a process per item")
    work = StartedWork("s.py", 22, StartCounts("process", 6, 6))
    [finding] = judged([per_item], [work])
    assert (
        finding.message == "a process per item (measured: 6 processes started, up to 6 "
        "running at once on 2 cores)"
    )
    assert finding.workers == 2


def test_lines_that_started_nothing_keep_the_static_finding() -> None:
    assert judged([PER_ITEM, WAIT], []) == [PER_ITEM, WAIT]


def test_a_serial_wait_is_judged_by_its_own_lines_only() -> None:
    # threads the same loop starts elsewhere (line 28) overlap; the pool's tasks do not
    tasks = StartedWork("s.py", 29, StartCounts("thread_pool_task", 40, 1, workers=4))
    threads = StartedWork("s.py", 28, StartCounts("thread", 40, 5))
    [finding] = judged([WAIT], [tasks, threads])
    assert finding.started == tasks.counts
