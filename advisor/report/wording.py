"""How every renderer names a suggestion and its concurrency, so the terminal, Markdown, SARIF
and HTML say the same thing."""

from __future__ import annotations

from advisor.model import Finding

SUGGESTION_TEXT = {
    "thread_pool": "ThreadPoolExecutor",
    "process_pool": "ProcessPoolExecutor",
    "asyncio_gather": "asyncio.gather",
    "to_thread": "asyncio.to_thread",
    "asyncio_sleep": "asyncio.sleep",
    "bounded_pool": "bounded pool",
    "dask": "Dask executor",
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
