"""The loop rules from source alone (CA101 I/O, CA102 Python CPU, CA103 GIL-releasing native).

What a loop's items do is known only from the call knowledge in ``rules/knowledge``: an unknown
callee gives no finding rather than a guess.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from advisor.analysis.facts import ModuleFacts
from advisor.analysis.loops import WHILE_LOOP, find_loop_sites
from advisor.model import Finding, FixSafety, LoopSite, Suggestion

# The loop rule and the pool for each kind of per-item work, statically or measured.
LOOP_RULE_BY_KIND: dict[str, tuple[str, Suggestion]] = {
    "io": ("CA101", "thread_pool"),
    "mixed": ("CA101", "thread_pool"),
    "native": ("CA103", "thread_pool"),
    "cpu": ("CA102", "process_pool"),
}
# A loop over a literal of fewer items than this (`for f in (a, b):`) is not worth a pool.
MIN_STATIC_ITEMS = 4


@dataclass(frozen=True, slots=True)
class FixJudgement:
    """A fix's safety, its reasons, and whether a verified run can settle every doubt."""

    safety: FixSafety
    reasons: tuple[str, ...] = ()
    run_checkable: bool | None = None  # True only for an unsafe fix a run can check

    @classmethod
    def of(cls, finding: Finding) -> FixJudgement:
        return cls(finding.fix_safety, finding.reasons, finding.run_checkable)

    def fields(self) -> dict[str, Any]:
        """The Finding fields this judgement sets."""
        return {
            "fix_safety": self.safety,
            "reasons": self.reasons,
            "run_checkable": self.run_checkable,
        }


def fix_safety_of(site: LoopSite) -> FixJudgement:
    """No rewrite for the shape wins (`fix` could do nothing, whatever its options), its reason
    first and the doubts after it, so the user still learns what would stand in the way; then
    doubts no run can settle, then doubts a verified run can settle."""
    doubts = (*site.unsafe_reasons, *site.checkable_reasons)
    if site.unsupported_reason:
        return FixJudgement(
            "none", (f"no automatic rewrite for this shape: {site.unsupported_reason}", *doubts)
        )
    if site.unsafe_reasons:
        return FixJudgement("unsafe", doubts)
    if site.checkable_reasons:
        return FixJudgement("unsafe", site.checkable_reasons, run_checkable=True)
    return FixJudgement("safe")


def drop_nested_in_safe(
    findings: list[tuple[LoopSite, Finding]],
    encloses: Callable[[LoopSite, LoopSite], bool] | None = None,
) -> list[Finding]:
    """An inner loop is noise when the loop around it can take the rewrite, and so is one that
    suggests nothing (too small, too few items) inside a loop that suggests a pool: it is part
    of that loop's per-item work, not a row of its own.

    ``encloses(outer, inner)`` defaults to the source spans; a profile also knows the loops a
    function's loop runs inside of through its callers.
    """
    encloses = encloses or LoopSite.encloses
    kept = []
    for site, finding in findings:
        covered = any(
            encloses(other_site, site)
            and (
                other.fix_safety == "safe"
                or (finding.suggestion == "none" and other.suggestion != "none")
            )
            for other_site, other in findings
        )
        if not covered:
            kept.append(finding)
    return kept


def calls_text(site: LoopSite) -> str:
    calls = site.io_calls or site.native_calls or site.cpu_calls
    names = ", ".join(f"`{c}`" for c in calls[:3])
    return f" ({names})" if names else ""


def is_static_candidate(site: LoopSite) -> bool:
    """A loop worth the libcst pass: its per-item work reaches known blocking/native/CPU calls."""
    if site.unsupported_reason == WHILE_LOOP or site.coordinates is not None:
        return False
    if site.interactive_calls:
        return False  # waits for a person: one prompt at a time, whatever the pool
    if site.literal_items is not None and site.literal_items < MIN_STATIC_ITEMS:
        return False
    return bool(site.io_calls or site.native_calls or site.cpu_calls)


PICKLE_REASON = "items and results must pickle, which source alone cannot prove"


def across_processes(judgement: FixJudgement) -> FixJudgement:
    """The safety of a fix that sends the items to other processes (a process pool, Dask).

    Independence is proven as for threads, but whether every item, result and value the work
    reads pickles is not something source alone can show: at best an unsafe fix, which a run
    checks at once (a value that does not pickle raises)."""
    if judgement.safety == "safe":
        return FixJudgement("unsafe", (PICKLE_REASON,), run_checkable=True)
    if not judgement.reasons:
        return FixJudgement(judgement.safety, (PICKLE_REASON,), judgement.run_checkable)
    return judgement


def _static_finding(site: LoopSite) -> Finding:
    judged = fix_safety_of(site)
    where = dict(path=site.path, line=site.line, end_line=site.end_line, site=site.site)
    if site.io_calls:
        return Finding(
            rule="CA101",
            **where,
            kind="io",
            suggestion="thread_pool",
            **judged.fields(),
            message=f"serial loop blocks on I/O in every iteration{calls_text(site)}; "
            "run the iterations in a ThreadPoolExecutor",
        )
    if site.native_calls:
        return Finding(
            rule="CA103",
            **where,
            kind="native",
            suggestion="thread_pool",
            **judged.fields(),
            message=f"serial loop runs native code that releases the GIL{calls_text(site)}; "
            "threads can run the iterations on every core",
        )
    judged = across_processes(judged)
    return Finding(
        rule="CA102",
        **where,
        kind="cpu",
        suggestion="process_pool",
        **judged.fields(),
        message=f"serial loop of Python CPU work{calls_text(site)}; threads cannot help under "
        "the GIL, a ProcessPoolExecutor can use every core",
    )


def static_findings(sites: Sequence[LoopSite]) -> list[Finding]:
    """CA101/CA102/CA103 from source alone: a `for` loop or comprehension whose per-item work
    reaches a call the knowledge knows (blocking I/O, GIL-releasing native, Python CPU)."""
    found = [(site, _static_finding(site)) for site in sites if is_static_candidate(site)]
    return drop_nested_in_safe(found)


def detect_loop_rules(facts: ModuleFacts) -> list[Finding]:
    return static_findings(find_loop_sites(facts, wants_shape=is_static_candidate))
