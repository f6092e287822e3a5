"""Charging measured stacks to loops and pools, on profiles written out by hand."""

from __future__ import annotations

import pytest

from advisor.model import LoopCount, LoopSite, PoolSite, ProfileResult, StackSample
from advisor.profiling.attribution import evidence_by_site, pool_evidence

S = "/w/app.py"


def stack(lines, python=0.0, native=0.0, waiting=0.0, origin="main", path=S) -> StackSample:
    return StackSample(tuple((path, line) for line in lines), python, native, waiting, origin)


def profile(*stacks: StackSample, wall=10.0, startup=0.0, counts=()) -> ProfileResult:
    return ProfileResult(
        profiler="py-spy",
        script=S,
        wall_s=wall,
        exit_code=0,
        stacks=stacks,
        loop_counts=counts,
        startup_s=startup,
    )


LOOP = LoopSite(S, 10, 11, "for_append", "u", (), ())


def test_a_loop_owns_its_callees_time_but_not_pool_workers_or_children() -> None:
    measured = profile(
        stack([40, 10, 3], waiting=6.0),  # the loop calls line 3
        stack([40, 20], python=2.0),  # elsewhere
        stack([3], python=5.0, origin="thread_pool"),  # a worker runs line 3's function
        stack([40, 10, 3], waiting=4.0, origin="process"),  # a child process of the program
        wall=10.0,
        startup=2.0,
        counts=(LoopCount(S, 10, entries=2, items=30),),
    )
    evidence = evidence_by_site(measured, [LOOP])[LOOP]
    # 6 of the main thread's 8 sampled seconds, of the 8 s the program's own code ran
    assert evidence.wall_s == pytest.approx(6.0)
    assert evidence.share_of_run == pytest.approx(0.6)
    assert (evidence.waiting, evidence.cpu_python) == (1.0, 0.0)
    assert (evidence.iterations, evidence.executions) == (15, 2)


def test_a_timed_loop_takes_its_clocked_seconds() -> None:
    measured = profile(
        stack([40, 10], waiting=5.0),
        stack([40, 20], python=5.0),
        wall=10.0,
        counts=(LoopCount(S, 10, entries=1, items=20, seconds=3.5, timed=1),),
    )
    evidence = evidence_by_site(measured, [LOOP])[LOOP]
    assert (evidence.wall_s, evidence.share_of_run, evidence.waiting) == (3.5, 0.35, 1.0)
    # counting stopped before the last executions: the samples tell the whole loop's time
    capped = profile(
        stack([40, 10], waiting=5.0),
        stack([40, 20], python=5.0),
        wall=10.0,
        counts=(LoopCount(S, 10, entries=1000, items=4000, capped=True, seconds=1.0, timed=999),),
    )
    assert evidence_by_site(capped, [LOOP])[LOOP].wall_s == pytest.approx(5.0)


THREADS = PoolSite(
    S, 30, 30, "thread", "concurrent.futures.ThreadPoolExecutor", ((5, 8),), ((30, 32),), 4
)
PROCESSES = PoolSite(
    S, 50, 50, "process", "concurrent.futures.ProcessPoolExecutor", ((60, 70),), ((50, 51),)
)


def test_a_thread_pools_shares_are_of_its_wall_time() -> None:
    measured = profile(
        stack([40, 31], waiting=4.0),  # the main thread waits in the `with` block 4 s
        stack([40, 12], python=4.0),  # and computes elsewhere 4 s
        stack([6], python=3.6, origin="thread_pool"),  # four threads: the GIL 90% of the time
        stack([7], waiting=12.0, origin="thread_pool"),  # ... and waiting for it the rest
        stack([7], native=0.2, origin="thread_pool"),
        wall=8.0,
    )
    evidence = pool_evidence(measured, [THREADS], default_workers=2)[THREADS]
    assert evidence.wall_s == pytest.approx(4.0)
    assert evidence.share_of_run == pytest.approx(0.5)
    assert evidence.cpu_python == pytest.approx(0.9)
    assert evidence.cpu_native == pytest.approx(0.05)
    assert evidence.waiting == pytest.approx(0.05)


def test_a_process_pools_shares_are_of_its_workers_time_and_a_lone_pool_takes_any_worker() -> None:
    measured = profile(
        stack([40, 50], waiting=2.0),
        stack([40, 12], python=2.0),
        stack([65], waiting=3.0, origin="process_pool"),
        stack([99], python=1.0, origin="process_pool"),  # a function the source did not name
        stack([6], python=5.0, origin="thread_pool"),  # no thread pool's function: dropped
        wall=4.0,
    )
    found = pool_evidence(measured, [PROCESSES], default_workers=2)
    assert list(found) == [PROCESSES]
    assert (found[PROCESSES].waiting, found[PROCESSES].cpu_python) == (0.75, 0.25)
    assert found[PROCESSES].share_of_run == pytest.approx(0.5)
    other = PoolSite(S, 80, 80, "process", "multiprocessing.Pool", ((90, 95),), ((80, 81),))
    # with two process pools, a worker's unnamed function belongs to neither
    both = pool_evidence(measured, [PROCESSES, other], default_workers=2)
    assert both[PROCESSES].waiting == 1.0 and other not in both


def test_a_coroutine_loop_is_waiting_whenever_the_samples_did_not_see_it_run() -> None:
    measured = profile(
        stack([40, 10], python=0.4),  # the coroutine's loop runs between its awaits
        stack([40, 41], waiting=7.6),  # the event loop waits in its selector meanwhile
        stack([40, 20], python=2.0),
        wall=10.0,
        counts=(LoopCount(S, 10, entries=1, items=40, seconds=8.0, timed=1, suspends=True),),
    )
    evidence = evidence_by_site(measured, [LOOP])[LOOP]
    assert (evidence.wall_s, evidence.share_of_run) == (8.0, 0.8)
    # 0.4 of the main thread's 10 sampled seconds ran the loop: 0.4 s of its 8 s
    assert evidence.cpu_python == pytest.approx(0.05)
    assert (evidence.cpu_native, evidence.waiting) == (0.0, pytest.approx(0.95))
    assert (evidence.iterations, evidence.executions) == (40, 1)
    # not a sample of it at all: all waiting, on its clock's word
    unseen = profile(
        stack([40, 41], waiting=8.0),
        wall=10.0,
        counts=(LoopCount(S, 10, entries=1, items=40, seconds=8.0, timed=1, suspends=True),),
    )
    assert evidence_by_site(unseen, [LOOP])[LOOP].waiting == 1.0
