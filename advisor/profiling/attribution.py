"""Charging measured stacks to loop sites: a loop owns every second spent while one of its lines
was on the stack, so time inside the functions it calls counts as the loop's."""

from __future__ import annotations

from collections.abc import Iterable

from advisor.model import Evidence, LoopSite, ProfileResult


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
        if s.frames and s.frames[0][0] == profile.script
    )


def loop_evidence(profile: ProfileResult, site: LoopSite, main_s: float | None = None) -> Evidence:
    python = native = waiting = 0.0
    for stack in profile.stacks:
        if any(
            path == site.path and site.line <= line <= site.end_line for path, line in stack.frames
        ):
            python += stack.cpu_python_s
            native += stack.cpu_native_s
            waiting += stack.waiting_s
    wall = python + native + waiting
    if wall <= 0:
        return Evidence(wall_s=0.0, share_of_run=0.0, cpu_python=0.0, cpu_native=0.0, waiting=0.0)
    total = main_s if main_s else profile.wall_s
    share = min(wall / total, 1.0) if total > 0 else 0.0
    return Evidence(
        wall_s=share * profile.wall_s,
        share_of_run=share,
        cpu_python=python / wall,
        cpu_native=native / wall,
        waiting=waiting / wall,
    )


def evidence_by_site(profile: ProfileResult, sites: Iterable[LoopSite]) -> dict[LoopSite, Evidence]:
    main_s = main_thread_seconds(profile)
    return {site: loop_evidence(profile, site, main_s) for site in sites}


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
