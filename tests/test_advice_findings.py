"""CA203 and CA204 from what an existing pool's workers were measured doing; CA401 beyond one
machine."""

from __future__ import annotations

from dataclasses import replace

import pytest

from advisor.advice.decision import Overheads
from advisor.advice.findings import AdviceSettings, pool_findings, profiled_findings
from advisor.analysis.loop_rules import PICKLE_REASON
from advisor.display import rounded, speedup_text
from advisor.model import Evidence, Finding, LoopSite, PoolSite

OVERHEADS = Overheads(0.001, 0.0001, 0.05, 0.002, 2, thread_import_s=0.02, process_import_s=0.04)
SETTINGS = AdviceSettings(cores=2, overheads=OVERHEADS, free_cores=2.0)
THREADS = PoolSite("p.py", 30, 30, "thread", "concurrent.futures.ThreadPoolExecutor", (), (), 8)
PROCESSES = PoolSite("p.py", 50, 50, "process", "concurrent.futures.ProcessPoolExecutor", (), ())


def ev(python: float, native: float, waiting: float, wall: float = 4.0, share: float = 0.8):
    return Evidence(wall, share, python, native, waiting)


def test_threads_holding_the_gil_are_ca203_with_the_gain_of_processes() -> None:
    [finding] = pool_findings({THREADS: ev(0.9, 0.1, 0.0)}, run_wall_s=5.0, settings=SETTINGS)
    assert (finding.rule, finding.line, finding.kind, finding.suggestion) == (
        "CA203",
        30,
        "cpu",
        "process_pool",
    )
    assert (finding.workers, finding.fix_safety) == (2, "unsafe")
    # 3.6 s of Python over 2 processes, the rest as it was, a pool start and its import
    new_pool = 4.0 - 3.6 + 1.8 + 0.05 + 0.04
    assert finding.predicted_speedup == round(5.0 / (1.0 + new_pool), 2)
    assert finding.message == (
        "ThreadPoolExecutor (80% of the run): a worker held the GIL 90% of the pool's time, so "
        "its threads ran Python one at a time; 2 processes would make the whole run ~1.5x faster"
    )


def test_processes_that_wait_are_ca204_with_the_gain_of_threads() -> None:
    [finding] = pool_findings(
        {PROCESSES: ev(0.02, 0.03, 0.95)},
        run_wall_s=5.0,
        settings=SETTINGS,
        imported=("concurrent.futures.thread",),
    )
    assert (finding.rule, finding.kind, finding.suggestion, finding.workers) == (
        "CA204",
        "io",
        "thread_pool",
        40,  # 2 x (1 + 0.95/0.05)
    )
    # 2 processes' waits spread over 40 threads, their start saved
    new_pool = 4.0 * 2 / 40 + 40 * 0.001 - 0.05
    assert finding.predicted_speedup == pytest.approx(round(5.0 / (1.0 + new_pool), 2))


@pytest.mark.parametrize(
    ("pool", "evidence"),
    [
        (THREADS, ev(0.3, 0.1, 0.6)),  # threads that wait: the right pool
        (PROCESSES, ev(0.9, 0.05, 0.05)),  # processes that compute: the right pool
        (THREADS, ev(0.9, 0.1, 0.0, wall=0.1, share=0.02)),  # too small a part of the run
    ],
)
def test_pools_that_fit_their_work_or_do_not_matter_are_left_alone(pool, evidence) -> None:
    assert pool_findings({pool: evidence}, run_wall_s=5.0, settings=SETTINGS) == []


# --- CA401: beyond one machine -------------------------------------------------------------------

SITE = LoopSite("s.py", 20, 21, "for_append", "n", (), ())  # independent: safe for threads
# the 2-core development VM's calibrated overheads (advisor/advice/calibration.py)
HOST = Overheads(
    thread_start_s=0.00015,
    thread_handoff_s=0.0000078,
    process_start_s=0.0098,
    process_task_s=0.00011,
    cores=2,
    thread_import_s=0.0055,
    process_import_s=0.015,
)


def _cpu_loop(wall: float, settings: AdviceSettings):
    evidence = Evidence(wall, 0.95, 1.0, 0.0, 0.0, iterations=64, executions=1)
    [finding] = profiled_findings({SITE: evidence}, run_wall_s=wall / 0.95, settings=settings)
    return finding


def test_a_cpu_loop_within_the_budget_stays_a_process_pool() -> None:
    finding = _cpu_loop(8.0, SETTINGS)
    assert (finding.rule, finding.suggestion, finding.fix_safety) == (
        "CA102",
        "process_pool",
        "unsafe",
    )
    assert finding.reasons == (PICKLE_REASON,)


def test_a_cpu_loop_over_the_budget_on_every_core_is_ca401() -> None:
    settings = replace(SETTINGS, dask_threshold_s=3.0)  # 8 s on 2 cores leaves ~4 s
    finding = _cpu_loop(8.0, settings)
    assert (finding.rule, finding.suggestion, finding.fix_safety) == ("CA401", "dask", "unsafe")
    assert "over the 3 s budget): more machines, a Dask (or Ray) cluster, are the way further" in (
        finding.message
    )


def test_asking_for_dask_turns_every_loop_finding_into_ca401() -> None:
    finding = _cpu_loop(8.0, replace(SETTINGS, executor="dask"))
    assert (finding.rule, finding.suggestion) == ("CA401", "dask")
    assert finding.message.endswith("; on a Dask cluster, as asked (--executor dask)")


def test_asking_for_ray_advises_ray_and_its_fixer_rewrites_onto_ray() -> None:
    from advisor.codemods.fixers import fixer_for

    finding = _cpu_loop(8.0, replace(SETTINGS, executor="ray"))
    assert (finding.rule, finding.suggestion) == ("CA401", "ray")
    assert finding.message.endswith("; on a Ray cluster, as asked (--executor ray)")
    fixer = fixer_for(replace(finding, fix_safety="unsafe"))
    assert fixer is not None and fixer.__name__ == "fix_ray_loop"


def test_a_coroutine_loop_of_serial_awaits_is_advised_gather_with_its_measured_bound() -> None:
    static = Finding(
        rule="CA104",
        path="s.py",
        line=20,
        end_line=21,
        message="`await fetch(...)` one item at a time inside `async def main`: start the calls "
        "together with `asyncio.gather` (bounded by a Semaphore)",
        kind="io",
        suggestion="asyncio_gather",
        fix_safety="safe",
        reasons=(),
    )
    # 40 items of 0.1 s, waiting 99% of the time, 95% of a 4.2 s run
    evidence = Evidence(4.0, 0.95, 0.01, 0.0, 0.99, iterations=40, executions=1)
    [finding] = profiled_findings(
        {SITE: evidence}, run_wall_s=4.2, settings=SETTINGS, coroutine_loops={("s.py", 20): static}
    )
    assert (finding.rule, finding.suggestion, finding.fix_safety, finding.workers) == (
        "CA104",
        "asyncio_gather",
        "safe",
        40,
    )
    # one round of 0.1 s, after the 40 items' Python (0.04 s) on the one event-loop thread,
    # a hand-off per item and no thread started
    loop = 0.1 * 0.99 + 0.04 + 40 * 0.0001
    assert finding.predicted_speedup == round(4.2 / (0.2 + loop), 2)
    assert finding.message == (
        "`await fetch(...)` one item at a time inside `async def main` (95% of the run, "
        f"40 items) waits 99% of its time: gathered, at most 40 at once, the whole run would be "
        f"~{finding.predicted_speedup:.1f}x faster"
    )
    # three awaits of 1.3 s are worth gathering (~2.6 s saved); three of 0.1 s are not, nor a
    # loop that computes between its awaits
    few = replace(evidence, iterations=3)
    [long] = profiled_findings({SITE: few}, 4.2, SETTINGS, coroutine_loops={("s.py", 20): static})
    assert (long.rule, long.suggestion, long.workers) == ("CA104", "asyncio_gather", 3)
    short = replace(evidence, wall_s=0.3, share_of_run=0.5, iterations=3)
    [small] = profiled_findings(
        {SITE: short}, 0.6, SETTINGS, coroutine_loops={("s.py", 20): static}
    )
    assert (small.rule, small.suggestion) == ("CA104", "none")
    assert small.message == (
        "serial awaits (50% of the run, 3 items) are too few to be worth gathering "
        "(3 per run of the loop, ~0.20 s of the run to save)"
    )
    busy = Evidence(4.0, 0.95, 0.95, 0.0, 0.05, iterations=40, executions=1)
    [cpu] = profiled_findings({SITE: busy}, 4.2, SETTINGS, coroutine_loops={("s.py", 20): static})
    assert (cpu.rule, cpu.suggestion) == ("CA104", "none")


def test_a_coroutine_loop_that_ca104_cannot_rewrite_is_still_advised_gather_not_threads() -> None:
    # send, then receive, per item: a pool cannot run an await; gathering can, by hand
    site = LoopSite("s.py", 20, 22, "for_append", "n", (), (), enclosing_function="main")
    evidence = Evidence(2.0, 0.9, 0.01, 0.0, 0.99, iterations=20, executions=1)
    [finding] = profiled_findings(
        {site: evidence}, 2.2, SETTINGS, coroutine_loops={("s.py", 20): None}
    )
    assert (finding.rule, finding.suggestion, finding.fix_safety, finding.workers) == (
        "CA104",
        "asyncio_gather",
        "none",
        20,
    )
    assert finding.message.startswith(
        "serial loop of awaits inside `async def main` (90% of the run, 20 items) waits 99% "
        "of its time: gathered, at most 20 at once, the whole run would be ~"
    )
    assert finding.reasons[0].startswith("no automatic rewrite: an item's awaits are not one call")


def test_the_message_shows_the_predicted_figure_the_tables_show() -> None:
    """The message and the tables round the stored prediction with one function: a raw 1.1496
    once read "~1.1x" in the message and "1.2x" in a table."""
    halves = set()  # predictions such as 1.35, which f"{x:.1f}" rounds either way
    for step in range(200):
        [finding] = pool_findings(
            {THREADS: ev(0.9, 0.1, 0.0)}, run_wall_s=5.0 + step * 0.0137, settings=SETTINGS
        )
        predicted = finding.predicted_speedup
        assert predicted is not None and predicted == rounded(predicted, 2)
        assert finding.message.endswith(f"~{speedup_text(predicted)} faster")
        if round(predicted * 100) % 10 == 5:
            halves.add(predicted)
    assert len(halves) >= 2


def test_native_work_in_short_calls_is_advised_processes_when_the_gil_holds_threads_back() -> None:
    # the MD5 of 12 files in 4 KB chunks (fixtures/checksum_chunks.py): measured threads 1.50x,
    # processes 1.88x; on this machine's overheads the model says processes
    settings = AdviceSettings(cores=2, free_cores=2.0, overheads=HOST)
    chunked = Evidence(0.3, 0.92, 0.02, 0.95, 0.03, iterations=12, executions=1)
    [threads] = profiled_findings({SITE: chunked}, run_wall_s=0.33, settings=settings)
    assert (threads.rule, threads.suggestion) == ("CA103", "thread_pool")
    convoy = replace(chunked, gil_releases=4096.0)
    [finding] = profiled_findings({SITE: convoy}, run_wall_s=0.33, settings=settings)
    assert (finding.rule, finding.kind, finding.suggestion, finding.workers) == (
        "CA102",
        "native",
        "process_pool",
        2,
    )
    assert finding.message == (
        "serial loop (92% of the run, 12 items) runs native code 95% of its time in short "
        "calls, taking the GIL back ~4,096 times an item: 2 threads would queue for it (~1.4x); "
        "2 processes would make the whole run ~1.6x faster"
    )
    assert finding.reasons == (PICKLE_REASON,)
