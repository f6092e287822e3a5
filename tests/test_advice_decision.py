"""The decision arithmetic: kind thresholds, worker counts, Amdahl."""

from __future__ import annotations

from dataclasses import replace

import pytest

from advisor.advice.decision import (
    MAX_IO_WORKERS,
    Overheads,
    choose_chunksize,
    choose_io_workers,
    choose_process_workers,
    classify_loop,
    free_cores,
    gil_takeback_s,
    predict_process_pool_loop_time,
    predict_thread_pool_loop_time,
    predict_whole_run_speedup,
)
from advisor.advice.findings import AdviceSettings, profiled_findings
from advisor.model import Evidence, LoopSite
from advisor.profiling.attribution import with_gil_releases

# round figures, so the expected times can be written out
OVERHEADS = Overheads(
    thread_start_s=0.001,
    thread_handoff_s=0.0001,
    process_start_s=0.05,
    process_task_s=0.002,
    cores=2,
)


def ev(
    python: float,
    native: float,
    waiting: float,
    wall: float = 2.0,
    share: float = 0.9,
    items: int | None = None,
    runs: int | None = None,
):
    return Evidence(
        wall_s=wall,
        share_of_run=share,
        cpu_python=python,
        cpu_native=native,
        waiting=waiting,
        iterations=items,
        executions=runs if runs is not None else (1 if items is not None else None),
    )


@pytest.mark.parametrize(
    ("evidence", "kind"),
    [
        (ev(0.05, 0.05, 0.90), "io"),
        (ev(0.80, 0.10, 0.10), "cpu"),
        (ev(0.10, 0.85, 0.05), "native"),
        (ev(0.40, 0.10, 0.50), "mixed"),
        (ev(0.0, 0.0, 0.0, wall=0.0), "unknown"),
    ],
)
def test_classify_loop(evidence: Evidence, kind: str) -> None:
    assert classify_loop(evidence) == kind


def test_io_workers_follow_the_wait_to_compute_ratio() -> None:
    assert choose_io_workers(ev(0.2, 0.0, 0.8), cores=2) == 10  # 2 x (1 + 0.8/0.2)
    assert choose_io_workers(ev(0.01, 0.0, 0.99), cores=2) == MAX_IO_WORKERS
    assert choose_io_workers(ev(0.5, 0.0, 0.5), cores=1) == 2


def test_workers_never_outnumber_the_items() -> None:
    assert choose_io_workers(ev(0.01, 0.0, 0.99, items=20), cores=2) == 20
    assert choose_io_workers(ev(0.2, 0.0, 0.8, items=50), cores=2) == 10
    assert choose_io_workers(ev(0.01, 0.0, 0.99, items=40), cores=2) == 40  # one round


def test_io_workers_are_the_fewest_for_the_same_rounds() -> None:
    # 70 items under a cap of 64 take two rounds: 35 threads do it too
    assert choose_io_workers(ev(0.01, 0.0, 0.99, items=70), cores=2) == 35
    # 2 x (1 + 0.8/0.2) = 10 threads over 25 items: 3 rounds, which 9 threads also take
    assert choose_io_workers(ev(0.2, 0.0, 0.8, items=25), cores=2) == 9
    assert choose_io_workers(ev(0.01, 0.0, 0.99, items=70), cores=2, cap=32) == 24
    assert choose_process_workers(ev(0.9, 0.0, 0.1, items=1), cores=8) == 1
    assert choose_process_workers(ev(0.9, 0.0, 0.1, items=100), cores=8) == 8


def test_without_counts_python_time_stays_serial_under_threads() -> None:
    # 2 s loop: 0.2 s of Python stays, 1.8 s of waiting overlaps over 9 threads
    predicted = predict_thread_pool_loop_time(ev(0.1, 0.0, 0.9), 9, 2, OVERHEADS)
    assert predicted == pytest.approx(0.2 + 0.2 + 9 * 0.001)


def test_counted_items_take_whole_rounds() -> None:
    # 20 items of 0.1 s on 20 threads: about one item's time, not 2 s / 20: the items' running
    # parts (0.02 s over 2 cores) queue first, then the last one waits its 0.099 s
    twenty = ev(0.005, 0.005, 0.99, items=20)
    assert predict_thread_pool_loop_time(twenty, 20, 2, OVERHEADS) == pytest.approx(
        0.099 + 0.01 + 20 * 0.001 + 20 * 0.0001
    )
    # 16 items on 5 threads: 4 rounds
    sixteen = ev(0.0, 0.0, 1.0, wall=1.6, items=16)
    assert predict_thread_pool_loop_time(sixteen, 5, 2, OVERHEADS) == pytest.approx(
        0.4 + 5 * 0.001 + 16 * 0.0001
    )
    # a loop run 10 times over 4 items pays the pool each time
    repeated = ev(0.0, 0.0, 1.0, wall=4.0, items=4, runs=10)
    assert predict_thread_pool_loop_time(repeated, 4, 2, OVERHEADS) == pytest.approx(
        10 * (0.1 + 4 * 0.001 + 4 * 0.0001)
    )


def test_the_gil_and_the_free_cores_bound_a_thread_pool() -> None:
    # half of each item holds the GIL: 20 items x 0.05 s of Python run one after another
    gil_bound = ev(0.5, 0.0, 0.5, items=20)
    assert predict_thread_pool_loop_time(gil_bound, 20, 2, OVERHEADS) == pytest.approx(
        0.05 + 1.0 + 20 * 0.001 + 20 * 0.0001
    )
    # native code on 4 threads but one free core: no faster than running it all on that core
    native = ev(0.0, 1.0, 0.0, items=40)
    assert predict_thread_pool_loop_time(native, 4, 1.0, OVERHEADS) == pytest.approx(
        2.0 + 4 * 0.001 + 40 * 0.0001
    )
    assert predict_thread_pool_loop_time(native, 4, 4.0, OVERHEADS) == pytest.approx(
        0.5 + 4 * 0.001 + 40 * 0.0001
    )


def test_a_process_pool_pays_its_start_and_a_pickling_per_item() -> None:
    cpu = ev(1.0, 0.0, 0.0, wall=4.0, items=8)
    # 8 items of 0.5 s on 2 processes: 4 rounds; the start was measured for 2 workers
    assert predict_process_pool_loop_time(cpu, 2, 2.0, OVERHEADS) == pytest.approx(
        2.0 + 0.05 + 8 * 0.002
    )
    # without a count: the loop's time divided, and the start
    assert predict_process_pool_loop_time(ev(1.0, 0.0, 0.0, wall=4.0), 2, 2.0, OVERHEADS) == (
        pytest.approx(2.0 + 0.05)
    )


def test_free_cores_are_what_the_load_average_leaves() -> None:
    assert free_cores(2, load_average=1.0) == 2.0  # only the profiled run itself
    assert free_cores(4, load_average=2.5) == 2.5
    assert free_cores(2, load_average=3.5) == 1.0  # never below the one the serial run had


def test_amdahl_whole_run() -> None:
    assert predict_whole_run_speedup(10.0, 8.0, 1.0) == pytest.approx(10 / 3)
    assert predict_whole_run_speedup(10.0, 0.0, 0.0) == 1.0


def site(line: int, end: int, **kw) -> LoopSite:
    return LoopSite(
        path="s.py",
        line=line,
        end_line=end,
        form="for_append",
        target="u",
        io_calls=(),
        unsafe_reasons=kw.get("reasons", ()),
    )


def test_small_loops_are_not_suggested_and_inner_loops_of_a_safe_loop_are_dropped() -> None:
    outer, inner, tiny = site(10, 20), site(12, 14), site(30, 31)
    findings = profiled_findings(
        {
            outer: ev(0.05, 0.0, 0.95, wall=8.0, share=0.8),
            inner: ev(0.05, 0.0, 0.95, wall=7.0, share=0.7),
            tiny: ev(0.05, 0.0, 0.95, wall=0.2, share=0.02),
        },
        run_wall_s=10.0,
        settings=AdviceSettings(cores=2),
    )
    assert [(f.line, f.rule, f.kind, f.fix_safety) for f in findings] == [
        (10, "CA101", "io", "safe")
    ]


def test_an_inner_loop_that_suggests_nothing_is_part_of_the_loop_around_it() -> None:
    # the outer loop is unsafe (its rewrite is not proven), its inner loop too small to gain: one
    # row, the outer's; an inner loop that is worth a pool of its own stays beside an unsafe one
    outer = site(10, 20, reasons=("`seen` is carried from one iteration to the next",))
    small, worth = site(12, 13, items=200), site(15, 17)
    findings = profiled_findings(
        {
            outer: ev(0.05, 0.0, 0.95, wall=8.0, share=0.8, items=20),
            small: ev(0.9, 0.0, 0.1, wall=0.3, share=0.03, items=200),
            worth: ev(0.05, 0.0, 0.95, wall=7.0, share=0.7, items=20),
        },
        run_wall_s=10.0,
        settings=AdviceSettings(cores=2, min_share=0.01, overheads=OVERHEADS),
    )
    assert [(f.line, f.suggestion, f.fix_safety) for f in findings] == [
        (10, "thread_pool", "unsafe"),
        (15, "thread_pool", "safe"),
    ]


def test_a_loop_that_cannot_gain_enough_gets_no_suggestion() -> None:
    [finding] = profiled_findings(
        {site(1, 2): ev(0.05, 0.0, 0.95, wall=0.6, share=0.06)},
        run_wall_s=10.0,
        settings=AdviceSettings(cores=2, overheads=OVERHEADS),
    )
    assert finding.suggestion == "none"
    assert finding.predicted_speedup < 1.1


def test_a_loop_of_too_few_items_gets_no_suggestion_when_little_would_be_saved() -> None:
    # two waits of 0.4 s: a pool saves ~0.4 s, under the second that makes a pair worth it
    [finding] = profiled_findings(
        {site(1, 2): ev(0.0, 0.0, 1.0, wall=0.8, share=0.8, items=2)},
        run_wall_s=1.0,
        settings=AdviceSettings(cores=2, overheads=OVERHEADS),
    )
    assert (finding.suggestion, finding.fix_safety, finding.workers) == ("none", "none", None)
    assert finding.message == (
        "serial loop (80% of the run, 2 items) has too few items to be worth a pool "
        "(2 per run of the loop, ~0.40 s of the run to save)"
    )


def test_a_few_long_items_are_worth_a_pool_by_the_time_they_save() -> None:
    # two waits of 4.5 s: threads save ~4.5 s of a 10 s run
    [finding] = profiled_findings(
        {site(1, 2): ev(0.0, 0.0, 1.0, wall=9.0, share=0.9, items=2)},
        run_wall_s=10.0,
        settings=AdviceSettings(cores=2, overheads=OVERHEADS),
    )
    assert (finding.suggestion, finding.workers) == ("thread_pool", 2)
    assert finding.predicted_speedup is not None and 1.7 < finding.predicted_speedup < 1.9


def test_the_prediction_uses_the_count_and_says_it() -> None:
    # 20 downloads of 0.1 s in a 2.2 s run: 20 threads leave one round of 0.1 s
    [finding] = profiled_findings(
        {site(1, 2): ev(0.01, 0.0, 0.99, wall=2.0, share=0.91, items=20)},
        run_wall_s=2.2,
        settings=AdviceSettings(cores=2, overheads=OVERHEADS),
    )
    assert finding.workers == 20
    assert finding.message.startswith("serial loop (91% of the run, 20 items) waits on I/O 99%")
    new_loop = 0.099 + 0.02 + 20 * 0.001 + 20 * 0.0001
    assert finding.predicted_speedup == round(2.2 / (0.2 + new_loop), 2)
    # a program that does not import concurrent.futures.thread pays for it in the rewrite
    importing = replace(OVERHEADS, thread_import_s=0.05)
    [paying] = profiled_findings(
        {site(1, 2): ev(0.01, 0.0, 0.99, wall=2.0, share=0.91, items=20)},
        run_wall_s=2.2,
        settings=AdviceSettings(cores=2, overheads=importing),
    )
    assert paying.predicted_speedup == round(2.2 / (0.2 + new_loop + 0.05), 2)
    [imported] = profiled_findings(
        {site(1, 2): ev(0.01, 0.0, 0.99, wall=2.0, share=0.91, items=20)},
        run_wall_s=2.2,
        settings=AdviceSettings(cores=2, overheads=importing),
        imported=("concurrent.futures.thread",),
    )
    assert imported.predicted_speedup == finding.predicted_speedup


def test_the_cpu_of_child_processes_queues_for_the_free_cores() -> None:
    # 16 commands of 0.115 s each, 0.01 s of it their own CPU: on one free core their CPU
    # (0.16 s) goes first, then the last one waits its 0.105 s
    commands = replace(ev(0.0, 0.0, 1.0, wall=1.84, items=16), children_cpu_s=0.16)
    assert predict_thread_pool_loop_time(commands, 16, 1.0, OVERHEADS) == pytest.approx(
        0.105 + 0.16 + 16 * 0.001 + 16 * 0.0001
    )


def test_a_cpu_loop_gets_processes_and_a_prediction() -> None:
    [finding] = profiled_findings(
        {site(1, 2): ev(0.95, 0.0, 0.05, wall=4.0, share=0.8, items=8)},
        run_wall_s=5.0,
        settings=AdviceSettings(cores=2, overheads=OVERHEADS, free_cores=2.0),
    )
    assert (finding.rule, finding.suggestion, finding.workers) == ("CA102", "process_pool", 2)
    new_loop = 4 * 0.5 + 0.05 + 8 * 0.002
    assert finding.predicted_speedup == round(5.0 / (1.0 + new_loop), 2)


def test_many_small_items_go_to_processes_in_chunks_and_tiny_ones_not_at_all() -> None:
    # 300,000 items of ~5 us: one task each would cost 0.3 ms apiece (90 s); in chunks of
    # about four tasks per worker the pool pays per chunk, and the parent ~0.35 us per item
    many = ev(1.0, 0.0, 0.0, wall=1.5, share=0.95, items=300_000)
    assert choose_chunksize(many, 2) == 37_500
    [finding] = profiled_findings(
        {site(1, 2): many}, run_wall_s=1.6, settings=AdviceSettings(cores=2, overheads=OVERHEADS)
    )
    assert (finding.suggestion, finding.workers, finding.chunksize) == ("process_pool", 2, 37_500)
    assert "2 processes (37500 items per task) would make the whole run" in finding.message
    assert finding.predicted_speedup is not None and finding.predicted_speedup > 1.5
    # items of 0.4 us: the parent's share of a chunked map is as long as the work itself
    tiny = ev(1.0, 0.0, 0.0, wall=0.6, share=0.95, items=1_500_000)
    [small] = profiled_findings(
        {site(1, 2): tiny}, run_wall_s=0.65, settings=AdviceSettings(cores=2, overheads=OVERHEADS)
    )
    assert small.suggestion == "none"
    # a few items per worker, or long ones (48 of 20 ms: chunks would only unbalance): one
    # task each
    assert choose_chunksize(ev(1.0, 0.0, 0.0, items=20), 2) is None
    assert choose_chunksize(ev(1.0, 0.0, 0.0, wall=0.96, items=48), 2) is None


def test_threads_pay_for_taking_the_gil_back_after_every_short_release() -> None:
    # 12 files of 4,096 chunks, 0.3 s of hashing: each chunk gives the GIL up and takes it back
    base = ev(0.02, 0.95, 0.03, wall=0.3, items=12)
    chunked = replace(base, gil_releases=4096.0)
    takeback = OVERHEADS.gil_takeback_s
    assert takeback == 1.07e-6  # the development VM's, when a machine was not measured
    assert gil_takeback_s(chunked, 1, OVERHEADS) == 0.0  # alone, a thread takes it back freely
    assert gil_takeback_s(chunked, 2, OVERHEADS) == pytest.approx(4096 * takeback)
    assert gil_takeback_s(base, 2, OVERHEADS) == 0.0
    plain = predict_thread_pool_loop_time(base, 2, 2, OVERHEADS)
    convoy = predict_thread_pool_loop_time(chunked, 2, 2, OVERHEADS)
    assert convoy - plain == pytest.approx(12 * 4096 * takeback)


def test_with_gil_releases_counts_the_inner_iterations_of_an_item() -> None:
    outer, chunks, parse = site(10, 20), site(12, 13), site(15, 16)
    evidence = {
        outer: ev(0.02, 0.95, 0.03, wall=0.3, items=12),
        chunks: ev(0.02, 0.95, 0.03, wall=0.29, items=4096, runs=12),  # hashes: releases
        parse: ev(0.9, 0.05, 0.05, wall=0.01, items=10, runs=12),  # Python: keeps the GIL
    }
    found = with_gil_releases(evidence, {chunks: {outer}, parse: {outer}, outer: set()})
    assert found[outer].gil_releases == 4096.0
    assert found[chunks].gil_releases is None and found[parse].gil_releases is None
