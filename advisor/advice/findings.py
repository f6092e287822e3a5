"""Turning loop sites (and, when profiled, their measured evidence) into findings."""

from __future__ import annotations

from dataclasses import dataclass

from advisor.advice.decision import (
    MAX_IO_WORKERS,
    available_cores,
    choose_io_workers,
    classify_loop,
    predict_thread_pool_loop_time,
    predict_whole_run_speedup,
)
from advisor.analysis.loop_rules import (
    LOOP_RULE_BY_KIND,
    calls_text,
    drop_nested_in_safe,
    fix_safety_of,
)
from advisor.analysis.loops import WHILE_LOOP
from advisor.model import Evidence, Finding, LoopSite

# Loops under this share of the run cannot buy a visible gain; 5% caps Amdahl at 1.05x.
MIN_SHARE_OF_RUN = 0.05
# A suggestion must promise at least this whole-run speedup to be worth a code change.
MIN_SPEEDUP = 1.1


@dataclass(frozen=True, slots=True)
class AdviceSettings:
    min_share: float = MIN_SHARE_OF_RUN
    min_speedup: float = MIN_SPEEDUP
    max_io_workers: int = MAX_IO_WORKERS
    cores: int = 0  # 0: the cores this process may use

    def core_count(self) -> int:
        return self.cores or available_cores()


def profiled_findings(
    evidence: dict[LoopSite, Evidence],
    run_wall_s: float,
    settings: AdviceSettings,
    outer_loops: dict[LoopSite, set[LoopSite]] | None = None,
) -> list[Finding]:
    """Findings for the hot loops of a profiled run, with workers and a predicted speedup."""
    found: list[tuple[LoopSite, Finding]] = []
    cores = settings.core_count()
    for site, ev in evidence.items():
        if ev.share_of_run < settings.min_share:
            continue
        kind = classify_loop(ev)
        finding = _finding_for(site, ev, kind, run_wall_s, cores, settings)
        if finding is not None:
            found.append((site, finding))
    found.sort(key=lambda pair: -(pair[1].evidence.wall_s if pair[1].evidence else 0))
    outer = outer_loops or {}
    return drop_nested_in_safe(found, lambda o, i: o in outer.get(i, ()) or o.encloses(i))


def _finding_for(
    site: LoopSite,
    ev: Evidence,
    kind: str,
    run_wall_s: float,
    cores: int,
    settings: AdviceSettings,
) -> Finding | None:
    share = f"{ev.share_of_run:.0%} of the run"
    if site.unsupported_reason == WHILE_LOOP:
        # a while loop has no independent items to hand to a pool: show where the time goes only
        return Finding(
            rule=LOOP_RULE_BY_KIND.get(kind, LOOP_RULE_BY_KIND["cpu"])[0],
            path=site.path,
            line=site.line,
            end_line=site.end_line,
            kind=kind,
            suggestion="none",
            fix_safety="none",
            message=f"hot `while` loop ({share}); its iterations are not a list of independent "
            "items, so no pool applies: look inside it for a serial loop over items",
            reasons=(),
            evidence=ev,
        )
    if kind in ("io", "native", "mixed"):
        workers = choose_io_workers(ev, cores, settings.max_io_workers)
        speedup = predict_whole_run_speedup(
            run_wall_s, ev.wall_s, predict_thread_pool_loop_time(ev, workers)
        )
        rule = LOOP_RULE_BY_KIND[kind][0]
        if speedup < settings.min_speedup:
            return _no_gain(site, ev, kind, rule, share, speedup)
        safety, reasons = fix_safety_of(site)
        what = {
            "io": f"waits on I/O {ev.waiting:.0%} of its time",
            "native": f"runs native code {ev.cpu_native:.0%} of its time",
            "mixed": f"waits {ev.waiting:.0%}, runs Python {ev.cpu_python:.0%} of its time",
        }[kind]
        message = (
            f"serial loop ({share}) {what}{calls_text(site)}: {workers} threads "
            f"would make the whole run ~{speedup:.1f}x faster"
        )
        return Finding(
            rule=rule,
            path=site.path,
            line=site.line,
            end_line=site.end_line,
            message=message,
            kind=kind,
            suggestion="thread_pool",
            fix_safety=safety,
            reasons=reasons,
            workers=workers,
            predicted_speedup=round(speedup, 2),
            evidence=ev,
        )
    if kind == "cpu":
        message = (
            f"serial loop ({share}) runs Python {ev.cpu_python:.0%} of its time: threads "
            f"cannot help under the GIL; processes could use the {cores} cores"
        )
        return Finding(
            rule="CA102",
            path=site.path,
            line=site.line,
            end_line=site.end_line,
            message=message,
            kind="cpu",
            suggestion="process_pool",
            fix_safety="none",
            reasons=("the process-pool rewrite is not available yet",),
            workers=cores,
            evidence=ev,
        )
    return None


def _no_gain(
    site: LoopSite, ev: Evidence, kind: str, rule: str, share: str, speedup: float
) -> Finding:
    return Finding(
        rule=rule,
        path=site.path,
        line=site.line,
        end_line=site.end_line,
        message=f"serial loop ({share}) is too small to gain from concurrency "
        f"(at best ~{speedup:.2f}x for the whole run)",
        kind=kind,
        suggestion="none",
        fix_safety="none",
        reasons=(),
        evidence=ev,
        predicted_speedup=round(speedup, 2),
    )
