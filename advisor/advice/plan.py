"""The plan: the measured loops worth fixing together, largest gain first, each judged on the
run the earlier ones leave.

Each finding alone is judged against the original run (Amdahl). A script that downloads for
78% of its run and crunches for 20% has a CPU loop "not worth it (1.08x)" on its own; once the
downloads are concurrent that loop is most of what is left, and worth a pool. The plan asks the
same decision again on the run that remains after each chosen fix, until nothing is worth it.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping, Sequence

from advisor.model import Evidence, Finding, LoopSite, Plan, PlanStep

# More steps than this are not a plan a user will apply in one go.
MAX_STEPS = 10

# The findings for the loops of ``evidence`` in a run of ``run_wall_s`` seconds.
Judge = Callable[[Mapping[LoopSite, Evidence], float], list[Finding]]


def _saved_s(finding: Finding, run_wall_s: float) -> float:
    speedup = finding.predicted_speedup or 1.0
    return run_wall_s - run_wall_s / speedup


def _actionable(finding: Finding) -> bool:
    return (
        finding.suggestion != "none"
        and finding.evidence is not None
        and bool(finding.predicted_speedup)
    )


@dataclasses.dataclass(frozen=True, slots=True)
class Planned:
    """The plan before the report's findings are final: steps by loop, and the whole run."""

    steps: tuple[tuple[str, int, float], ...]  # (path, line, speedup on the run left), in order
    predicted_speedup: float


def plan_findings(
    findings: list[Finding],
    evidence: Mapping[LoopSite, Evidence],
    run_wall_s: float,
    judge: Judge,
    encloses: Callable[[LoopSite, LoopSite], bool] = LoopSite.encloses,
) -> tuple[list[Finding], Planned | None]:
    """``findings`` (the loops judged alone) with the ones the plan makes worth it judged on
    the run left before them, and the plan, when it has two steps or more. ``encloses(outer,
    inner)``: does ``inner`` run inside ``outer`` (in its source, or through the calls the
    profile saw); a loop that suggests nothing inside a planned one is part of it, not a row."""
    pending = dict(evidence)
    remaining = run_wall_s
    chosen: list[Finding] = []  # each as the plan judged it, on the run left before it
    judged = findings  # the first step's candidates are the loops judged alone
    while len(chosen) < MAX_STEPS and remaining > 0:
        if chosen:
            judged = judge(pending, remaining)
        candidates = [f for f in judged if _actionable(f)]
        if not candidates:
            break
        best = max(candidates, key=lambda f: _saved_s(f, remaining))
        chosen.append(best)
        remaining -= _saved_s(best, remaining)
        site = next(s for s in pending if (s.path, s.line) == (best.path, best.line))
        # the chosen loop's inner loops are part of its work, and a loop around it has its time
        # in its own: neither can be judged again on what is left
        pending = {
            s: e
            for s, e in pending.items()
            if s != site and not encloses(site, s) and not encloses(s, site)
        }
    if len(chosen) < 2 or remaining <= 0:
        return findings, None
    updated = list(findings)
    for step, planned in enumerate(chosen):
        at = next(
            (i for i, f in enumerate(updated) if (f.path, f.line) == (planned.path, planned.line)),
            None,
        )
        if at is None:
            updated.append(planned)
        elif not _actionable(updated[at]):
            # worth it only once the earlier steps are applied: the plan's judgement replaces it
            alone = updated[at].predicted_speedup
            note = f"; alone, ~{alone:.2f}x" if alone else ""
            earlier = ", ".join(str(n + 1) for n in range(step))
            steps_word = "steps" if step > 1 else "step"
            updated[at] = dataclasses.replace(
                planned,
                message=f"{planned.message} once plan {steps_word} {earlier} "
                f"{'are' if step > 1 else 'is'} applied{note}",
            )
    sites = {(s.path, s.line): s for s in evidence}
    planned_sites = [sites[(f.path, f.line)] for f in chosen if (f.path, f.line) in sites]
    updated = [
        f
        for f in updated
        if _actionable(f)
        or (f.path, f.line) not in sites
        or not any(encloses(p, sites[(f.path, f.line)]) for p in planned_sites)
    ]
    steps = tuple((f.path, f.line, f.predicted_speedup or 1.0) for f in chosen)
    return updated, Planned(steps, round(run_wall_s / remaining, 2))


def indexed_plan(planned: Planned | None, findings: Sequence[Finding]) -> Plan | None:
    """The plan by index into the report's final findings; none when a step's finding is no
    longer among them (silenced by the user): a plan without it would claim a stale total."""
    if planned is None:
        return None
    index = {(f.path, f.line): i for i, f in enumerate(findings) if _actionable(f)}
    steps = []
    for path, line, speedup in planned.steps:
        if (path, line) not in index:
            return None
        steps.append(PlanStep(finding=index[(path, line)], predicted_speedup=speedup))
    return Plan(steps=tuple(steps), predicted_speedup=planned.predicted_speedup)
