"""One wording of a suggestion and its concurrency for every renderer."""

from __future__ import annotations

from dataclasses import replace

from advisor.model import Finding, Report, Verification
from advisor.report.wording import apply_summary, concurrency_text, suggestion_with_concurrency

POOL = Finding("CA101", "a.py", 3, 4, "m", "io", "thread_pool", "safe", workers=40)


def test_a_pool_has_workers_and_a_gather_a_bound() -> None:
    assert suggestion_with_concurrency(POOL) == "ThreadPoolExecutor, 40 workers"
    gather = replace(POOL, rule="CA104", suggestion="asyncio_gather")
    assert suggestion_with_concurrency(gather) == "asyncio.gather, at most 40 at once"
    assert concurrency_text(gather) == "at most 40 at once"


def test_no_number_when_nothing_is_suggested_or_none_was_chosen() -> None:
    assert suggestion_with_concurrency(replace(POOL, workers=None)) == "ThreadPoolExecutor"
    assert concurrency_text(replace(POOL, suggestion="none")) == ""
    assert suggestion_with_concurrency(replace(POOL, suggestion="none")) == "—"


def _verified(finding: int, kept: bool, same_output: bool = True, ran: bool = True) -> Verification:
    times = (1.0, 1.0) if ran else ()
    return Verification(finding, times, times, 1.0, same_output, kept)


def test_apply_counts_what_it_kept_and_why_it_left_the_rest() -> None:
    findings = (
        POOL,
        POOL,
        replace(POOL, fix_safety="unsafe", run_checkable=True),
        replace(POOL, fix_safety="unsafe"),
        replace(POOL, fix_safety="none"),
        replace(POOL, suggestion="none", fix_safety="none"),
        POOL,
    )
    report = Report(
        "0",
        findings=findings,
        verification=(
            _verified(0, kept=True),
            _verified(1, kept=False),
            _verified(2, kept=False, same_output=False),
            _verified(6, kept=False, same_output=False, ran=False),
        ),
    )
    assert apply_summary(report) == (
        "Applied 1 of 7 findings; not applied: 1 tried and put back (not faster), "
        "1 tried and put back (different output), 1 unsafe (a doubt no run can settle), "
        "1 with no automatic rewrite, 1 with nothing to gain, "
        "1 tried and put back (did not finish)."
    )
    only = Report("0", findings=(POOL,), verification=(_verified(0, kept=True),))
    assert apply_summary(only) == "Applied 1 of 1 finding."
    assert apply_summary(Report("0", findings=(replace(POOL, fix_safety="none"),))) == (
        "Nothing applied to the finding: 1 with no automatic rewrite."
    )
    assert apply_summary(Report("0")) == "Nothing to apply."
