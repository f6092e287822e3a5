"""The run's word on concurrency already present: CA201, CA202 and CA205 judged with what the
profiled run started at their lines (advisor/profiling/start_watch.py).

The static rules see the shape: a thread started per item, a process per item, a task waited
for in the iteration that submitted it. The run tells how much: 400 threads alive together, or a
pool of 4 workers that never had more than one task in flight. A submit-and-wait loop the run
shows overlapping after all is no finding; one that ran one task at a time is the loop the model
measured, so it takes that loop's evidence and the gain of collecting after submitting all, on
the pool it has (the loop itself is then no CA101-CA104 of its own).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping, Sequence

from advisor.advice.decision import (
    choose_io_workers,
    classify_loop,
    predict_process_pool_loop_time,
    predict_thread_pool_loop_time,
    predict_whole_run_speedup,
)
from advisor.advice.findings import AdviceSettings
from advisor.display import rounded, speedup_text
from advisor.model import Evidence, Finding, LoopSite, StartCounts, StartedWork

SERIAL_WAIT = "CA205"
# what each rule's lines start; CA205 waits for any of them
_STARTS = {
    "CA201": ("thread",),
    "CA202": ("process",),
    SERIAL_WAIT: ("thread", "process", "thread_pool_task", "process_pool_task"),
}
_NOUNS = {
    "thread": "threads",
    "process": "processes",
    "thread_pool_task": "tasks",
    "process_pool_task": "tasks",
}


def _innermost_loop(finding: Finding, sites: Iterable[LoopSite]) -> LoopSite | None:
    around = [
        s
        for s in sites
        if s.path == finding.path and s.line <= finding.line <= finding.end_line <= s.end_line
    ]
    return max(around, key=lambda s: s.line) if around else None


def waited_loops(findings: Iterable[Finding], sites: Iterable[LoopSite]) -> set[LoopSite]:
    """The innermost loop around each submit-and-wait (CA205) finding: its time is the waited
    work's, judged by CA205, not a serial loop of its own."""
    sites = list(sites)
    around = (_innermost_loop(f, sites) for f in findings if f.rule == SERIAL_WAIT)
    return {site for site in around if site is not None}


def with_started_work(
    findings: Sequence[Finding],
    started: Sequence[StartedWork],
    all_loops: Sequence[LoopSite],
    waited: Mapping[LoopSite, Evidence],
    run_wall_s: float,
    settings: AdviceSettings,
) -> list[Finding]:
    """``findings`` with CA201/CA202/CA205 judged by what the run started in the loop each one
    is about (``all_loops``: the files' loop sites); ``waited``: the evidence of the loops
    around the CA205 findings (waited_loops)."""
    judged = []
    for finding in findings:
        kinds = _STARTS.get(finding.rule)
        if kinds is None:
            judged.append(finding)
            continue
        # CA205 spans its submit (or start) and its wait; for CA201/CA202, `t = Thread(...)` is
        # on one line and `t.start()` on another: the loop's lines
        loop = None if finding.rule == SERIAL_WAIT else _innermost_loop(finding, all_loops)
        first, last = (loop.line, loop.end_line) if loop else (finding.line, finding.end_line)
        seen = [
            work
            for work in started
            if work.counts.what in kinds
            and work.path == finding.path
            and first <= work.line <= last
        ]
        if not seen:
            judged.append(finding)  # the lines did not run, or were not watched
            continue
        work = _together(seen)
        if finding.rule == SERIAL_WAIT:
            if work.most_at_once > 1:
                continue  # the run overlapped them: not one at a time after all
            site = _innermost_loop(finding, waited)
            loop = (site, waited[site]) if site is not None else None
            judged.append(_serial_wait(finding, work, loop, run_wall_s, settings))
        else:
            judged.append(_per_item(finding, work, settings))
    return judged


def _together(seen: Sequence[StartedWork]) -> StartCounts:
    """The work a finding's lines started, as one: their counts added, the most at once of the
    busiest line (lines of one finding run in one iteration)."""
    counts = [w.counts for w in seen]
    return dataclasses.replace(
        counts[0],
        started=sum(c.started for c in counts),
        most_at_once=max(c.most_at_once for c in counts),
        workers=max((c.workers for c in counts if c.workers), default=None),
    )


def _per_item(finding: Finding, work: StartCounts, settings: AdviceSettings) -> Finding:
    """CA201/CA202 with the count the run reached."""
    noun = _NOUNS[work.what]
    cores = ""
    if work.what == "process":
        cores = f" on {settings.core_count()} cores"
    measured = (
        f"measured: {work.started} {noun} started, up to {work.most_at_once} running at once{cores}"
    )
    # the bounded pool as wide as the run went (for threads, within the I/O cap; a pool of one
    # would be serial), or as the cores for processes
    if work.what == "process":
        workers = max(1, min(work.most_at_once, settings.core_count()))
    else:
        workers = max(2, min(work.most_at_once, settings.max_io_workers))
    return dataclasses.replace(
        finding,
        message=f"{finding.message} ({measured})",
        started=work,
        workers=finding.workers or workers,
    )


def _serial_wait(
    finding: Finding,
    work: StartCounts,
    loop: tuple[LoopSite, Evidence] | None,
    run_wall_s: float,
    settings: AdviceSettings,
) -> Finding:
    """CA205 the run confirms: one at a time; with the loop's time, what collecting after
    submitting all would make of the whole run, on the pool the code has."""
    noun = _NOUNS[work.what]
    pool = f" on a pool of {work.workers} workers" if work.workers else ""
    measured = f"measured: {work.started} {noun}, never more than one running at once{pool}"
    if loop is None:
        return dataclasses.replace(finding, message=f"{finding.message} ({measured})", started=work)
    _site, ev = loop
    workers, new_loop_s = _new_loop(ev, work, settings)
    speedup = rounded(predict_whole_run_speedup(run_wall_s, ev.wall_s, new_loop_s), 2)
    items = f", {ev.iterations} items" if ev.iterations else ""
    message = (
        f"{finding.message} ({measured}; the loop took {ev.share_of_run:.0%} of the run"
        f"{items}: run {workers} at a time, the whole run would be ~{speedup_text(speedup)} "
        "faster)"
    )
    return dataclasses.replace(
        finding,
        message=message,
        kind=classify_loop(ev) if finding.kind == "unknown" else finding.kind,
        started=work,
        evidence=ev,
        workers=workers,
        predicted_speedup=speedup,
    )


def _new_loop(ev: Evidence, work: StartCounts, settings: AdviceSettings) -> tuple[int, float]:
    """(workers, the loop's time) with its items overlapping: on the pool the code has, or on
    a pool sized as the thread or process advice would size it."""
    cores = settings.core_count()
    items = ev.iterations or None
    if work.what in ("process", "process_pool_task"):
        workers = work.workers or cores
        workers = min(workers, items) if items else workers
        return workers, predict_process_pool_loop_time(
            ev, workers, settings.running_cores(), settings.overheads
        )
    workers = work.workers or choose_io_workers(ev, cores, settings.max_io_workers)
    workers = min(workers, items) if items else workers
    return workers, predict_thread_pool_loop_time(
        ev, workers, settings.running_cores(), settings.overheads
    )
