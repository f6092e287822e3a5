"""Which rewrite fixes which rule: the one table that `fix`, `profile --apply` and diffs use.

A fixer takes the whole source text of a module and one finding of its rule (its ``line`` is a
line of that text) and returns the whole new source text. It changes only the lines of that
finding, plus what the rewrite needs elsewhere (imports, a module-level helper function, an
``if __name__ == "__main__":`` guard). It raises :class:`RewriteError` with a short reason when
it cannot rewrite that finding; it never returns code that does not compile.
"""

from __future__ import annotations

from collections.abc import Callable

from advisor.codemods.errors import RewriteError
from advisor.codemods.main_guard import fix_main_guard
from advisor.codemods.process_pool import fix_process_pool_loop
from advisor.codemods.thread_pool import STATIC_THREAD_WORKERS, fix_thread_pool_loop
from advisor.model import Finding

Fixer = Callable[[str, Finding], str]

STATIC_WORKERS = STATIC_THREAD_WORKERS

FIXERS: dict[str, Fixer] = {
    "CA101": fix_thread_pool_loop,
    "CA102": fix_process_pool_loop,
    "CA103": fix_thread_pool_loop,
    "CA208": fix_main_guard,
}


def fixer_for(finding: Finding) -> Fixer | None:
    """The fixer of this finding's rule, if the rule has one. Whether it may be applied is the
    finding's fix_safety: "none" (nothing to rewrite, e.g. a loop too small) never is."""
    if finding.fix_safety == "none":
        return None
    return FIXERS.get(finding.rule)


__all__ = ["FIXERS", "STATIC_WORKERS", "Fixer", "RewriteError", "fixer_for"]
