"""One wording of a suggestion and its concurrency for every renderer."""

from __future__ import annotations

from dataclasses import replace

from advisor.model import Finding
from advisor.report.wording import concurrency_text, suggestion_with_concurrency

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
