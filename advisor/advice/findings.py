"""Turning loop sites and pools (with their measured evidence) into findings."""

from __future__ import annotations

import dataclasses
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from typing import Any

from advisor.advice.decision import (
    DEFAULT_OVERHEADS,
    DOMINANT_SHARE,
    Overheads,
    available_cores,
    choose_chunksize,
    choose_io_workers,
    choose_process_workers,
    classify_loop,
    predict_process_pool_loop_time,
    predict_thread_pool_loop_time,
    predict_whole_run_speedup,
)
from advisor.analysis.loop_rules import (
    LOOP_RULE_BY_KIND,
    MIN_STATIC_ITEMS,
    FixJudgement,
    across_processes,
    calls_text,
    drop_nested_in_safe,
    fix_safety_of,
)
from advisor.analysis.loops import WHILE_LOOP
from advisor.config import DASK_THRESHOLD_S, MAX_IO_WORKERS, MIN_SHARE_OF_RUN, MIN_SPEEDUP
from advisor.display import rounded, speedup_text
from advisor.model import Evidence, Finding, LoopSite, PoolSite
from advisor.profiling.bootstrap import ENTRY_CAP

# Fewer items per execution than this are not worth a pool, as in the static rules: a pair or
# three of jobs is usually different work, and a pool over them buys at most 2-3x on that loop...
MIN_ITEMS = MIN_STATIC_ITEMS
# ...unless the run says the few items are long: a pool that would save at least this many
# seconds of the run is worth it whatever the count (three awaits of 2-3 s each: ~5 s saved).
MIN_SECONDS_SAVED_FOR_FEW_ITEMS = 1.0


_FEW_FOR_A_POOL = "serial loop ({share}) has too few items to be worth a pool "


def _gain_or_refusal(
    site: LoopSite,
    ev: Evidence,
    kind: str,
    rule: str,
    share: str,
    few: str,
    run_wall_s: float,
    new_loop_s: float,
    settings: AdviceSettings,
) -> Finding | float:
    """The whole run's predicted speedup, rounded as the message and the table show it, or
    the finding that says the loop is not worth it: too few items (``few``, a template of
    ``share``), or too little gain."""
    if _too_few_items(ev, new_loop_s):
        text = few.format(share=share) + _few_items_text(ev, new_loop_s)
        return _where_time_goes(site, ev, kind, rule, text)
    speedup = predict_whole_run_speedup(run_wall_s, ev.wall_s, new_loop_s)
    if speedup < settings.min_speedup:
        return _no_gain(site, ev, kind, rule, share, speedup)
    return rounded(speedup, 2)


def _too_few_items(ev: Evidence, new_loop_s: float) -> bool:
    """Fewer than MIN_ITEMS items a run, and too little time saved to make up for it."""
    if ev.iterations is None or ev.iterations >= MIN_ITEMS:
        return False
    return ev.wall_s - new_loop_s < MIN_SECONDS_SAVED_FOR_FEW_ITEMS


def _few_items_text(ev: Evidence, new_loop_s: float) -> str:
    saved = max(0.0, ev.wall_s - new_loop_s)
    return f"({ev.iterations} per run of the loop, ~{saved:.2f} s of the run to save)"


@dataclass(frozen=True, slots=True)
class AdviceSettings:
    min_share: float = MIN_SHARE_OF_RUN
    min_speedup: float = MIN_SPEEDUP
    max_io_workers: int = MAX_IO_WORKERS
    cores: int = 0  # 0: the cores this process may use
    overheads: Overheads = DEFAULT_OVERHEADS  # the pipeline passes this machine's, measured
    # cores free for parallel running time (native code, processes); 0: all of them. The pipeline
    # passes what the load average leaves free, since that is what a rewrite would get now.
    free_cores: float = 0.0
    # "dask" or "ray": every loop finding becomes CA401 on that cluster, the user asked for it
    executor: str = "local"
    # A CPU loop still over this many seconds on every local core is CA401: past one machine.
    dask_threshold_s: float = DASK_THRESHOLD_S

    def core_count(self) -> int:
        return self.cores or available_cores()

    def running_cores(self) -> float:
        return self.free_cores or float(self.core_count())


THREAD_MODULE = "concurrent.futures.thread"
PROCESS_MODULE = "concurrent.futures.process"


def import_cost(module: str, imported: Collection[str], overheads: Overheads) -> float:
    """What the rewrite pays to import its pool's module, unless the program already did."""
    if module in imported:
        return 0.0
    return overheads.thread_import_s if module == THREAD_MODULE else overheads.process_import_s


def profiled_findings(
    evidence: dict[LoopSite, Evidence],
    run_wall_s: float,
    settings: AdviceSettings,
    outer_loops: dict[LoopSite, set[LoopSite]] | None = None,
    imported: Collection[str] = (),
    coroutine_loops: Mapping[tuple[str, int], Finding | None] | None = None,
) -> list[Finding]:
    """Findings for the hot loops of a profiled run, with workers and a predicted speedup.

    ``imported``: the pool modules the program imports anyway (ProfileResult.imported).
    ``coroutine_loops``: the loops that await, by (path, line), each with CA104's static finding
    when that rule recognised one independent call awaited per item: they are advised
    `asyncio.gather` (a pool cannot run an `await`), with a fix only where CA104 has one.
    """
    found: list[tuple[LoopSite, Finding]] = []
    cores = settings.core_count()
    for site, ev in evidence.items():
        if ev.share_of_run < settings.min_share:
            continue
        kind = classify_loop(ev)
        awaits = coroutine_loops or {}
        if (site.path, site.line) in awaits:
            static = awaits[(site.path, site.line)]
            finding = _gather_finding(site, ev, kind, run_wall_s, cores, settings, static)
        else:
            finding = _finding_for(site, ev, kind, run_wall_s, cores, settings, imported)
        if finding is not None:
            found.append((site, _beyond_one_machine(finding, run_wall_s, settings)))
    found.sort(key=lambda pair: -(pair[1].evidence.wall_s if pair[1].evidence else 0))
    outer = outer_loops or {}
    return drop_nested_in_safe(found, lambda o, i: o in outer.get(i, ()) or o.encloses(i))


def _items_text(ev: Evidence) -> str:
    if ev.iterations is None:
        return ""
    if ev.executions is None:  # an attached profile: the items the source tells, not counted
        return f", {ev.iterations} items per run of the loop by its source"
    runs = "" if ev.executions == 1 else f" per run of the loop, {_runs(ev)} runs"
    return f", {ev.iterations} items{runs}"


def _runs(ev: Evidence) -> str:
    # counting stops at the cap: the loop ran at least that often
    capped = ev.executions is not None and ev.executions >= ENTRY_CAP
    return f"{ev.executions}+" if capped else f"{ev.executions}"


def _finding_for(
    site: LoopSite,
    ev: Evidence,
    kind: str,
    run_wall_s: float,
    cores: int,
    settings: AdviceSettings,
    imported: Collection[str],
) -> Finding | None:
    share = f"{ev.share_of_run:.0%} of the run{_items_text(ev)}"
    overheads = settings.overheads
    rule = LOOP_RULE_BY_KIND.get(kind, LOOP_RULE_BY_KIND["cpu"])[0]
    if site.unsupported_reason == WHILE_LOOP:
        # a while loop has no independent items to hand to a pool: show where the time goes only
        return _where_time_goes(
            site,
            ev,
            kind,
            rule,
            f"hot `while` loop ({share}); its iterations are not a list of independent items, "
            "so no pool applies: look inside it for a serial loop over items",
        )

    if kind in ("io", "native", "mixed"):
        workers = choose_io_workers(ev, cores, settings.max_io_workers)
        new_loop_s = predict_thread_pool_loop_time(
            ev, workers, settings.running_cores(), overheads
        ) + import_cost(THREAD_MODULE, imported, overheads)
        if kind != "io" and _gil_bound(ev, workers, new_loop_s, cores, settings, imported):
            threads = predict_whole_run_speedup(run_wall_s, ev.wall_s, new_loop_s)
            why = (
                f"runs native code {ev.cpu_native:.0%} of its time in short calls, taking the "
                f"GIL back ~{ev.gil_releases:,.0f} times an item: {workers} threads would queue "
                f"for it (~{speedup_text(rounded(threads, 2))})"
            )
            return _process_pool_finding(
                site, ev, kind, share, why, run_wall_s, cores, settings, imported
            )
        speedup = _gain_or_refusal(
            site, ev, kind, rule, share, _FEW_FOR_A_POOL, run_wall_s, new_loop_s, settings
        )
        if isinstance(speedup, Finding):
            return speedup
        judged = fix_safety_of(site)
        what = {
            "io": f"waits on I/O {ev.waiting:.0%} of its time",
            "native": f"runs native code {ev.cpu_native:.0%} of its time",
            "mixed": f"waits {ev.waiting:.0%}, runs Python {ev.cpu_python:.0%} of its time",
        }[kind]
        message = (
            f"serial loop ({share}) {what}{calls_text(site)}: {workers} threads "
            f"would make the whole run ~{speedup_text(speedup)} faster"
        )
        return Finding(
            rule=rule,
            **_where(site),
            message=message,
            kind=kind,
            suggestion="thread_pool",
            **judged.fields(),
            workers=workers,
            predicted_speedup=speedup,
            evidence=ev,
        )
    if kind == "cpu":
        why = f"runs Python {ev.cpu_python:.0%} of its time: threads cannot help under the GIL"
        return _process_pool_finding(
            site, ev, kind, share, why, run_wall_s, cores, settings, imported
        )
    return None


# Processes replace threads for a loop the GIL holds back only when predicted faster by a tenth:
# a margin for the start-up and pickling of a process pool, which the model may underrate.
PROCESSES_CLEARLY_FASTER = 0.9


def _process_pool_time(
    ev: Evidence, cores: int, settings: AdviceSettings, imported: Collection[str]
) -> tuple[int, int | None, float]:
    """(workers, chunksize, the loop's predicted time) on a process pool."""
    overheads = settings.overheads
    workers = choose_process_workers(ev, cores)
    chunksize = choose_chunksize(ev, workers, overheads)
    new_loop_s = predict_process_pool_loop_time(
        ev, workers, settings.running_cores(), overheads, chunksize or 1
    ) + import_cost(PROCESS_MODULE, imported, overheads)
    return workers, chunksize, new_loop_s


def _gil_bound(
    ev: Evidence,
    workers: int,
    thread_loop_s: float,
    cores: int,
    settings: AdviceSettings,
    imported: Collection[str],
) -> bool:
    """Does the GIL, taken back after every short native call, hold threads back so much that
    processes are clearly faster (the MD5 of 4 KB chunks: threads 1.42x, processes 1.92x)?"""
    if not ev.gil_releases or workers < 2:
        return False
    _, _, process_loop_s = _process_pool_time(ev, cores, settings, imported)
    return process_loop_s < PROCESSES_CLEARLY_FASTER * thread_loop_s


def _process_pool_finding(
    site: LoopSite,
    ev: Evidence,
    kind: str,
    share: str,
    why: str,
    run_wall_s: float,
    cores: int,
    settings: AdviceSettings,
    imported: Collection[str],
) -> Finding | None:
    """CA102: the loop on a process pool, ``why`` threads will not do."""
    workers, chunksize, new_loop_s = _process_pool_time(ev, cores, settings, imported)
    speedup = _gain_or_refusal(
        site, ev, kind, "CA102", share, _FEW_FOR_A_POOL, run_wall_s, new_loop_s, settings
    )
    if isinstance(speedup, Finding):
        return speedup
    chunks = f" ({chunksize} items per task)" if chunksize else ""
    message = (
        f"serial loop ({share}) {why}; {workers} processes{chunks} would make the whole run "
        f"~{speedup_text(speedup)} faster"
    )
    return Finding(
        rule="CA102",
        **_where(site),
        message=message,
        kind=kind,  # type: ignore[arg-type]
        suggestion="process_pool",
        **_process_safety(site),
        workers=workers,
        predicted_speedup=speedup,
        evidence=ev,
        chunksize=chunksize,
    )


def _gather_finding(
    site: LoopSite,
    ev: Evidence,
    kind: str,
    run_wall_s: float,
    cores: int,
    settings: AdviceSettings,
    static: Finding | None,
) -> Finding:
    """CA104 measured: the awaits of a coroutine's loop overlap when gathered, at most
    ``workers`` at once. Its running parts stay on the one event-loop thread (one core), and
    no thread starts and nothing is imported (the program runs asyncio already). Without the
    static finding (a shape CA104 does not rewrite) it is advice with no fix."""
    share = f"{ev.share_of_run:.0%} of the run{_items_text(ev)}"
    workers = choose_io_workers(ev, cores, settings.max_io_workers)
    tasks = dataclasses.replace(settings.overheads, thread_start_s=0.0)
    new_loop_s = predict_thread_pool_loop_time(ev, workers, 1, tasks)
    few = "serial awaits ({share}) are too few to be worth gathering "
    speedup = _gain_or_refusal(
        site, ev, kind, "CA104", share, few, run_wall_s, new_loop_s, settings
    )
    if isinstance(speedup, Finding):
        return speedup
    if static is None:
        static = _awaits_by_hand(site)
    what = static.message.partition(":")[0]  # "`await f(...)` one item at a time inside ..."
    return dataclasses.replace(
        static,
        end_line=site.end_line,
        message=f"{what} ({share}) waits {ev.waiting:.0%} of its time: gathered, at most "
        f"{workers} at once, the whole run would be ~{speedup_text(speedup)} faster",
        kind=kind,  # type: ignore[arg-type]
        workers=workers,
        predicted_speedup=speedup,
        evidence=ev,
    )


def _awaits_by_hand(site: LoopSite) -> Finding:
    """A coroutine's loop whose awaits CA104 does not recognise as one independent call per
    item: the measured gain is still gathering's, the rewrite is the user's."""
    inside = f" inside `async def {site.enclosing_function}`" if site.enclosing_function else ""
    return Finding(
        rule="CA104",
        **_where(site),
        message=f"serial loop of awaits{inside}: gather a coroutine per item",
        kind="io",
        suggestion="asyncio_gather",
        fix_safety="none",
        reasons=(
            "no automatic rewrite: an item's awaits are not one call whose result is collected "
            "(several awaits, a pacing `asyncio.sleep`, or a value carried to the next item); "
            "if the items are independent, run each item's steps in its own coroutine and "
            "gather those",
        ),
    )


def _where(site: LoopSite) -> dict[str, Any]:
    """The fields that place a loop's finding: its file, its located site and its lines."""
    return {"path": site.path, "site": site.site, "line": site.line, "end_line": site.end_line}


def _process_safety(site: LoopSite) -> dict[str, Any]:
    return across_processes(fix_safety_of(site)).fields()


def _beyond_one_machine(finding: Finding, run_wall_s: float, settings: AdviceSettings) -> Finding:
    """CA401 instead of a local pool: when the user asks for Dask, or when a CPU loop would
    still take longer than the threshold on every local core."""
    if finding.suggestion not in ("thread_pool", "process_pool") or finding.evidence is None:
        return finding
    speedup = finding.predicted_speedup or 1.0
    # Amdahl backwards: what the loop alone would still take with the suggested pool
    loop_left_s = run_wall_s / speedup - (run_wall_s - finding.evidence.wall_s)
    asked = settings.executor in ("dask", "ray")
    too_big = finding.suggestion == "process_pool" and loop_left_s > settings.dask_threshold_s
    if not (asked or too_big):
        return finding
    cluster = "a Ray cluster" if settings.executor == "ray" else "a Dask cluster"
    why = (
        f"on {cluster}, as asked (--executor {settings.executor})"
        if asked
        else f"even so it would take ~{loop_left_s:.0f} s (over the "
        f"{settings.dask_threshold_s:g} s budget): more machines, a Dask (or Ray) cluster, are "
        "the way further"
    )
    return dataclasses.replace(
        finding,
        rule="CA401",
        suggestion="ray" if settings.executor == "ray" else "dask",
        message=f"{finding.message}; {why}",
        **across_processes(FixJudgement.of(finding)).fields(),
    )


def _where_time_goes(site: LoopSite, ev: Evidence, kind: str, rule: str, message: str) -> Finding:
    return Finding(
        rule=rule,
        **_where(site),
        kind=kind,  # type: ignore[arg-type]
        suggestion="none",
        fix_safety="none",
        message=message,
        reasons=(),
        evidence=ev,
    )


def _no_gain(
    site: LoopSite, ev: Evidence, kind: str, rule: str, share: str, speedup: float
) -> Finding:
    speedup = rounded(speedup, 2)
    return Finding(
        rule=rule,
        **_where(site),
        message=f"serial loop ({share}) is too small to gain from concurrency "
        f"(at best ~{speedup_text(speedup, 2)} for the whole run)",
        kind=kind,  # type: ignore[arg-type]
        suggestion="none",
        fix_safety="none",
        reasons=(),
        evidence=ev,
        predicted_speedup=speedup,
    )


# ----------------------------------------------------------------------------- existing pools


def pool_findings(
    evidence: dict[PoolSite, Evidence],
    run_wall_s: float,
    settings: AdviceSettings,
    imported: Collection[str] = (),
) -> list[Finding]:
    """CA203 (threads over GIL-bound work) and CA204 (processes over waiting) from what the
    pools' workers were measured doing (advisor/profiling/attribution.py:pool_evidence)."""
    cores = settings.core_count()
    found = []
    for pool, ev in evidence.items():
        if ev.share_of_run < settings.min_share:
            continue
        finding = None
        if pool.kind == "thread" and ev.cpu_python >= DOMINANT_SHARE:
            extra = import_cost(PROCESS_MODULE, imported, settings.overheads)
            finding = _threads_over_python(pool, ev, run_wall_s, cores, settings, extra)
        elif pool.kind == "process" and ev.waiting >= DOMINANT_SHARE:
            extra = import_cost(THREAD_MODULE, imported, settings.overheads)
            finding = _processes_over_waiting(pool, ev, run_wall_s, cores, settings, extra)
        if finding is not None:
            found.append(finding)
    return found


def _pool_name(pool: PoolSite) -> str:
    return pool.pool.rpartition(".")[2]


def _threads_over_python(
    pool: PoolSite,
    ev: Evidence,
    run_wall_s: float,
    cores: int,
    settings: AdviceSettings,
    import_s: float,
) -> Finding | None:
    """The GIL-holding part runs one thread at a time now; processes spread it over the cores."""
    processes = max(1, min(cores, pool.workers or cores))
    python_s = ev.wall_s * ev.cpu_python
    new_wall = (
        ev.wall_s
        - python_s
        + python_s / min(float(processes), settings.running_cores())
        + settings.overheads.process_start_s * processes / max(1, settings.overheads.cores)
        + import_s
    )
    speedup = predict_whole_run_speedup(run_wall_s, ev.wall_s, new_wall)
    if speedup < settings.min_speedup:
        return None
    speedup = rounded(speedup, 2)  # the figure the message and table show
    return Finding(
        rule="CA203",
        path=pool.path,
        line=pool.line,
        end_line=pool.end_line,
        message=f"{_pool_name(pool)} ({ev.share_of_run:.0%} of the run): a worker held the GIL "
        f"{ev.cpu_python:.0%} of the pool's time, so its threads ran Python one at a time; "
        f"{processes} processes would make the whole run ~{speedup_text(speedup)} faster",
        kind="cpu",
        suggestion="process_pool",
        fix_safety="unsafe",
        reasons=(
            "threads share memory and processes do not: the functions the pool runs must be "
            "picklable and must not write shared state",
        ),
        workers=processes,
        predicted_speedup=speedup,
        evidence=ev,
    )


def _processes_over_waiting(
    pool: PoolSite,
    ev: Evidence,
    run_wall_s: float,
    cores: int,
    settings: AdviceSettings,
    import_s: float,
) -> Finding | None:
    """The waits overlap over as many threads as the wait/compute ratio wants, not over the
    cores; and no process starts."""
    processes = pool.workers or cores
    threads = max(processes, choose_io_workers(ev, cores, settings.max_io_workers))
    compute_s = ev.wall_s * (ev.cpu_python + ev.cpu_native)
    overheads = settings.overheads
    new_wall = max(ev.wall_s * processes / threads, compute_s) + threads * overheads.thread_start_s
    new_wall += import_s - overheads.process_start_s * processes / max(1, overheads.cores)
    speedup = predict_whole_run_speedup(run_wall_s, ev.wall_s, max(new_wall, 0.0))
    if speedup < settings.min_speedup:
        return None
    speedup = rounded(speedup, 2)  # the figure the message and table show
    return Finding(
        rule="CA204",
        path=pool.path,
        line=pool.line,
        end_line=pool.end_line,
        message=f"{_pool_name(pool)} ({ev.share_of_run:.0%} of the run): its workers waited "
        f"{ev.waiting:.0%} of their time; {threads} threads would overlap more of the waits "
        f"than {processes} processes, without starting any: "
        f"the whole run ~{speedup_text(speedup)} faster",
        kind="io",
        suggestion="thread_pool",
        fix_safety="unsafe",
        reasons=(
            "threads share the module's globals where each process had its own copy: state the "
            "workers write, or clients they use, must be safe to share between threads",
        ),
        workers=threads,
        predicted_speedup=speedup,
        evidence=ev,
    )
