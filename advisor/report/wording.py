"""How every renderer names a suggestion and its concurrency, so the terminal, Markdown, SARIF
and HTML say the same thing."""

from __future__ import annotations

from collections import Counter

from advisor.model import Finding, Plan, Report, Verification

SUGGESTION_TEXT = {
    "thread_pool": "ThreadPoolExecutor",
    "process_pool": "ProcessPoolExecutor",
    "asyncio_gather": "asyncio.gather",
    "to_thread": "asyncio.to_thread",
    "asyncio_sleep": "asyncio.sleep",
    "bounded_pool": "bounded pool",
    "dask": "Dask executor",
    "ray": "Ray pool",
    "none": "—",
}


def concurrency_text(finding: Finding) -> str:
    """ "40 workers" for a pool; "at most 40 at once" for a gather, whose bound is a semaphore's,
    not a count of workers; "" when the finding suggests nothing or names no number."""
    if not finding.workers or finding.suggestion == "none":
        return ""
    if finding.suggestion == "asyncio_gather":
        return f"at most {finding.workers} at once"
    return f"{finding.workers} workers"


def suggestion_with_concurrency(finding: Finding) -> str:
    """ "ThreadPoolExecutor, 40 workers"; "asyncio.gather, at most 40 at once"."""
    concurrency = concurrency_text(finding)
    text = SUGGESTION_TEXT[finding.suggestion]
    return f"{text}, {concurrency}" if concurrency else text


def apply_summary(report: Report) -> str:
    """One line after `profile --apply`: how many findings were rewritten and kept, and why each
    other one was not, counted by reason, so "nothing happened" is never silent."""
    verified = {v.finding: v for v in report.verification}
    reasons: Counter[str] = Counter()
    for index, finding in enumerate(report.findings):
        reasons[_apply_reason(finding, verified.get(index))] += 1
    kept = reasons.pop(_KEPT, 0)
    total = len(report.findings)
    if not total:
        return "Nothing to apply."
    findings = "finding" if total == 1 else "findings"
    counted = ", ".join(f"{count} {reason}" for reason, count in reasons.most_common())
    if not kept:
        the = "the finding" if total == 1 else f"the {total} findings"
        return f"Nothing applied to {the}: {counted}."
    if not reasons:
        return f"Applied {kept} of {total} {findings}."
    return f"Applied {kept} of {total} {findings}; not applied: {counted}."


_KEPT = "kept"


def _apply_reason(finding: Finding, verification: Verification | None) -> str:
    if verification is not None:
        if verification.kept:
            return _KEPT
        if not verification.after_s:
            return "tried and put back (did not finish)"
        if not verification.same_output:
            return "tried and put back (different output)"
        return "tried and put back (not faster)"
    if finding.suggestion == "none":
        return "with nothing to gain"
    if finding.fix_safety == "none":
        return "with no automatic rewrite"
    if finding.fix_safety == "unsafe" and not finding.run_checkable:
        return "unsafe (a doubt no run can settle)"
    if finding.evidence is None:
        return "not measured in this run"
    return "not tried (see the errors)"


def plan_text(plan: Plan) -> str:
    """ "Plan: fix #0 (~4.2x), then #2 (~1.5x on what is left): the whole run ~6.3x faster"."""
    steps = [f"#{plan.steps[0].finding} (~{plan.steps[0].predicted_speedup:.1f}x)"]
    steps += [f"#{s.finding} (~{s.predicted_speedup:.1f}x on what is left)" for s in plan.steps[1:]]
    return f"Plan: fix {', then '.join(steps)}: the whole run ~{plan.predicted_speedup:.1f}x faster"


def plan_measured_text(report: Report) -> str | None:
    """After `--apply`: the plan's whole measured effect, when every step was kept: the first
    step's "before" against the last step's "after" (each step was timed on the file the
    earlier ones left)."""
    if report.plan is None:
        return None
    verified = {v.finding: v for v in report.verification}
    steps = [verified.get(step.finding) for step in report.plan.steps]
    if not all(v is not None and v.kept for v in steps):
        return None
    first, last = steps[0], steps[-1]
    assert first is not None and last is not None  # every step is verified (above)
    if first.before_stats is None or last.after_stats is None or last.after_stats.median_s <= 0:
        return None
    before, after = first.before_stats.median_s, last.after_stats.median_s
    return (
        f"Plan measured: {before:.2f} s -> {after:.2f} s, {before / after:.1f}x "
        f"(predicted {report.plan.predicted_speedup:.1f}x)"
    )


def ignored_output_text(masks: tuple[str, ...]) -> str:
    """The line that says which of the program's output the comparison did not look at."""
    shown = ", ".join(f"`{mask}`" for mask in masks)
    return f"Output compared ignoring what matches {shown} (--ignore-output)."
