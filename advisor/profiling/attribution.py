"""Charging measured stacks to loop sites: a loop owns every second spent while one of its lines
was on the stack, so time inside the functions it calls counts as the loop's."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import replace

from advisor.model import Evidence, LoopCount, LoopSite, PoolSite, ProfileResult, StackSample

# Stacks that ran elsewhere than the program's own threads: a pool's workers are judged as the
# pool (CA203/CA204), and a child process's time is already the parent's wait for it.
_NOT_THE_PROGRAMS_LOOPS = frozenset({"thread_pool", "process_pool", "process"})


def runs_in_program(stack: StackSample) -> bool:
    return stack.origin not in _NOT_THE_PROGRAMS_LOOPS


def user_files(profile: ProfileResult) -> list[str]:
    """Files of the user's program that appear in the profile, most expensive first."""
    seconds: dict[str, float] = {}
    for stack in profile.stacks:
        wall = stack.cpu_python_s + stack.cpu_native_s + stack.waiting_s
        for path in {path for path, _ in stack.frames}:
            seconds[path] = seconds.get(path, 0.0) + wall
    return sorted(seconds, key=lambda p: -seconds[p])


def main_thread_seconds(profile: ProfileResult) -> float:
    """Seconds charged to stacks that start in the script itself: the main thread's run.

    Scalene spreads its samples over every thread, so a background thread (a server, a
    heartbeat) would dilute a loop's share of the run if all samples were the denominator.
    """
    return sum(
        s.cpu_python_s + s.cpu_native_s + s.waiting_s
        for s in profile.stacks
        if s.origin == "main" or (s.origin == "" and s.frames and s.frames[0][0] == profile.script)
    )


def program_seconds(profile: ProfileResult) -> float:
    """The run's wall time from the program's first line of its own code to its end."""
    return max(profile.wall_s - profile.startup_s, 0.0)


def loop_evidence(
    profile: ProfileResult,
    site: LoopSite,
    main_s: float | None = None,
    count: LoopCount | None = None,
) -> Evidence:
    python, native, waiting = _charged(profile, site.path, site.line, site.end_line)
    total = main_s if main_s else profile.wall_s
    program = program_seconds(profile)
    clocked = _clocked_seconds(count)
    if count is not None and count.suspends and clocked is not None and total > 0:
        # A coroutine's loop: the samples see its frame only while it runs (between awaits);
        # suspended, the event loop waits in its selector, charged to whoever called
        # asyncio.run. Its clock holds both: what the samples did not see running is waiting.
        python, native = python / total * program, native / total * program
        waiting = max(0.0, clocked - python - native)
    wall = python + native + waiting
    if wall <= 0 or total <= 0:
        return Evidence(wall_s=0.0, share_of_run=0.0, cpu_python=0.0, cpu_native=0.0, waiting=0.0)
    # the samples cover the program's own code, not the interpreter's start-up before it
    seconds = min(wall / total, 1.0) * program
    if clocked is not None:
        # the bootstrap timed every execution: a clock beats a share of ~100 samples a second
        seconds = min(clocked, program)
    return _evidence(profile, seconds, (python, native, waiting), count)


def _evidence(
    profile: ProfileResult,
    seconds: float,
    split: tuple[float, float, float],
    count: LoopCount | None = None,
) -> Evidence:
    """``seconds`` of the run, split as the samples' (python, native, waiting) seconds are."""
    python, native, waiting = split
    wall = python + native + waiting
    return Evidence(
        wall_s=seconds,
        share_of_run=seconds / profile.wall_s if profile.wall_s > 0 else 0.0,
        cpu_python=python / wall,
        cpu_native=native / wall,
        waiting=waiting / wall,
        iterations=round(count.items_per_entry) if count else None,
        executions=count.entries if count else None,
        children_cpu_s=_children_cpu(count),
    )


def _charged(
    profile: ProfileResult, path: str, first: int, last: int
) -> tuple[float, float, float]:
    """Python, native and waiting seconds of the program's stacks with a frame on these lines."""
    python = native = waiting = 0.0
    for stack in profile.stacks:
        if runs_in_program(stack) and any(
            frame_path == path and first <= line <= last for frame_path, line in stack.frames
        ):
            python += stack.cpu_python_s
            native += stack.cpu_native_s
            waiting += stack.waiting_s
    return python, native, waiting


def lines_evidence(
    profile: ProfileResult, path: str, first: int, last: int, main_s: float | None = None
) -> Evidence | None:
    """What the run spent on lines ``first``..``last`` of ``path`` (and in what they called), for
    a static finding in a profiled file; None when no sample saw them run."""
    split = _charged(profile, path, first, last)
    wall = sum(split)
    total = main_s if main_s else profile.wall_s
    if wall <= 0 or total <= 0:
        return None
    return _evidence(profile, min(wall / total, 1.0) * program_seconds(profile), split)


def _clocked_seconds(count: LoopCount | None) -> float | None:
    """The loop's seconds when the bootstrap timed every execution of it."""
    if count is None or count.seconds is None or count.timed < count.entries:
        return None
    return count.seconds


def _children_cpu(count: LoopCount | None) -> float | None:
    """The loop's children's CPU time over all its executions (scaled from the timed ones)."""
    if count is None or not count.timed or count.children_cpu_s <= 0:
        return None
    return count.children_cpu_s * max(1.0, count.entries / count.timed)


def evidence_by_site(profile: ProfileResult, sites: Iterable[LoopSite]) -> dict[LoopSite, Evidence]:
    main_s = main_thread_seconds(profile)
    counts = {(c.path, c.line): c for c in profile.loop_counts}
    return {
        site: loop_evidence(profile, site, main_s, counts.get((site.path, site.line)))
        for site in sites
    }


def _depth_in(stack_frames: tuple[tuple[str, int], ...], site: LoopSite) -> int | None:
    for depth, (path, line) in enumerate(stack_frames):
        if path == site.path and site.line <= line <= site.end_line:
            return depth
    return None


def enclosing_loops(
    profile: ProfileResult, sites: Iterable[LoopSite]
) -> dict[LoopSite, set[LoopSite]]:
    """For each loop, the loops it runs inside of at run time: in every stack that charges it,
    the other loop is on the stack too, nearer the root (or, at the same frame, around it)."""
    sites = list(sites)
    charged: dict[LoopSite, dict[int, int]] = {}  # site -> stack index -> frame depth
    for site in sites:
        depths = {}
        for index, stack in enumerate(profile.stacks):
            if not runs_in_program(stack):
                continue
            depth = _depth_in(stack.frames, site)
            if depth is not None:
                depths[index] = depth
        charged[site] = depths
    outer: dict[LoopSite, set[LoopSite]] = {site: set() for site in sites}
    for inner in sites:
        inner_depths = charged[inner]
        if not inner_depths:
            continue
        for candidate in sites:
            if candidate is inner or not inner_depths.keys() <= charged[candidate].keys():
                continue
            if all(
                charged[candidate][i] < d
                or (charged[candidate][i] == d and candidate.encloses(inner))
                for i, d in inner_depths.items()
            ):
                outer[inner].add(candidate)
    return outer


def with_gil_releases(
    evidence: Mapping[LoopSite, Evidence], outer: Mapping[LoopSite, set[LoopSite]]
) -> dict[LoopSite, Evidence]:
    """Each loop's evidence with the GIL releases of one item: every iteration of a loop it
    runs inside (``for chunk in ...: digest.update(chunk)``) whose time is mostly waiting or
    native gives the GIL up once per such call its body makes (at least once), and takes it
    back. Counted loops only: the run says how many iterations an item ran."""
    releases: dict[LoopSite, float] = {}
    for inner, around in outer.items():
        ev = evidence.get(inner)
        if ev is None or not ev.iterations or not ev.executions:
            continue
        if ev.cpu_native + ev.waiting < RELEASING_SHARE:
            continue
        per_iteration = max(1, len({*inner.io_calls, *inner.native_calls}))
        total = ev.iterations * ev.executions * per_iteration
        for site in around:
            outer_ev = evidence.get(site)
            if outer_ev is not None and outer_ev.iterations and outer_ev.executions:
                items = outer_ev.iterations * outer_ev.executions
                releases[site] = releases.get(site, 0.0) + total / items
    return {
        site: replace(ev, gil_releases=releases[site]) if site in releases else ev
        for site, ev in evidence.items()
    }


# An inner loop whose time is at least this much waiting or native code releases the GIL on
# every iteration (a read, a hash update); below it, its iterations mostly run Python.
RELEASING_SHARE = 0.5


# ----------------------------------------------------------------------------- existing pools

_WORKER_ORIGIN = {"thread": "thread_pool", "process": "process_pool"}


def _in_spans(path: str, line: int, site_path: str, spans: Iterable[tuple[int, int]]) -> bool:
    return path == site_path and any(start <= line <= end for start, end in spans)


def _pool_of(stack: StackSample, pools: list[PoolSite]) -> PoolSite | None:
    """The pool whose function a worker's stack runs (its first frame is that function's);
    a lone pool of the stack's kind gets the stacks that name no pool's function."""
    kind_pools = [p for p in pools if _WORKER_ORIGIN[p.kind] == stack.origin]
    if not stack.frames or not kind_pools:
        return None
    path, line = stack.frames[0]
    for pool in kind_pools:
        if _in_spans(path, line, pool.path, pool.functions):
            return pool
    return kind_pools[0] if len(kind_pools) == 1 else None


def pool_evidence(
    profile: ProfileResult, pools: Iterable[PoolSite], default_workers: int
) -> dict[PoolSite, Evidence]:
    """What each pool's workers did, for the pools whose workers the profile saw.

    ``wall_s`` is the pool's time in the run: the main thread's time in the pool's `with` block
    (or on the statements that use it), else the workers' busy time over their number. The
    shares differ by kind, since threads share one GIL and processes do not: for a thread pool
    they are shares of the pool's wall time (``cpu_python`` 0.9 = a worker held the GIL 90% of
    the time, so the threads ran one at a time); for a process pool, shares of its workers' own
    busy time (``waiting`` 0.9 = each worker waited 90% of the time it had a task).
    """
    pools = list(pools)
    busy: dict[PoolSite, list[float]] = {pool: [0.0, 0.0, 0.0] for pool in pools}
    for stack in profile.stacks:
        if stack.origin in ("thread_pool", "process_pool"):
            pool = _pool_of(stack, pools)
            if pool is not None:
                seconds = busy[pool]
                seconds[0] += stack.cpu_python_s
                seconds[1] += stack.cpu_native_s
                seconds[2] += stack.waiting_s
    main_s = main_thread_seconds(profile)
    found: dict[PoolSite, Evidence] = {}
    for pool, (python, native, waiting) in busy.items():
        total = python + native + waiting
        if total <= 0:
            continue
        wall = _waited_on(profile, pool) or total / (pool.workers or default_workers)
        seconds = min(wall / main_s, 1.0) * program_seconds(profile) if main_s > 0 else 0.0
        if pool.kind == "thread":
            cpu_python = min(python / wall, 1.0)
            cpu_native = min(native / wall, 1.0 - cpu_python)
        else:
            cpu_python, cpu_native = python / total, native / total
        found[pool] = Evidence(
            wall_s=seconds,
            share_of_run=seconds / profile.wall_s if profile.wall_s > 0 else 0.0,
            cpu_python=cpu_python,
            cpu_native=cpu_native,
            waiting=max(0.0, 1.0 - cpu_python - cpu_native),
        )
    return found


def _waited_on(profile: ProfileResult, pool: PoolSite) -> float:
    """The main thread's seconds inside the code that waits for ``pool``."""
    return sum(
        s.cpu_python_s + s.cpu_native_s + s.waiting_s
        for s in profile.stacks
        if s.origin in ("main", "")
        and any(_in_spans(path, line, pool.path, pool.waits) for path, line in s.frames)
    )
