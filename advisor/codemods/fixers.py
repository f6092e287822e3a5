"""Which rewrite fixes which rule: the one table that `fix`, `profile --apply` and diffs use.

A fixer takes the whole source text of a module and one finding of its rule (its ``line`` is a
line of that text) and returns the whole new source text. It changes only the lines of that
finding, plus what the rewrite needs elsewhere (imports, a module-level helper function, an
``if __name__ == "__main__":`` guard). It raises :class:`RewriteError` with a short reason when
it cannot rewrite that finding; it never returns code that does not compile.
"""

from __future__ import annotations

from collections.abc import Callable

from advisor.codemods.thread_pool import RewriteError, rewrite_loops_to_thread_pool
from advisor.model import Finding

Fixer = Callable[[str, Finding], str]

# Without a profile there is no measured wait/compute ratio: the rewrite proposes this many
# threads (ThreadPoolExecutor's own default is min(32, cores + 4)) and the user tunes it.
STATIC_WORKERS = 8


def fix_thread_pool_loop(source: str, finding: Finding) -> str:
    """CA101/CA103: the loop on a ThreadPoolExecutor, order kept by ``executor.map``."""
    return rewrite_loops_to_thread_pool(source, {finding.line: finding.workers or STATIC_WORKERS})


FIXERS: dict[str, Fixer] = {
    "CA101": fix_thread_pool_loop,
    "CA103": fix_thread_pool_loop,
}


def fixer_for(finding: Finding) -> Fixer | None:
    """The fixer of this finding's rule, if the rule has one and the finding suggests a change."""
    if finding.suggestion == "none":
        return None
    return FIXERS.get(finding.rule)


__all__ = ["FIXERS", "STATIC_WORKERS", "Fixer", "RewriteError", "fixer_for"]
