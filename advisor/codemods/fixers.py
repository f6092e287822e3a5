"""Which rewrite fixes which rule: the one table that `fix`, `profile --apply` and diffs use.

A fixer takes the whole source text of a module and one finding of its rule (its ``line`` is a
line of that text) and returns the whole new source text. It changes only the lines of that
finding, plus what the rewrite needs elsewhere (imports, a module-level helper function, an
``if __name__ == "__main__":`` guard). It raises :class:`RewriteError` with a short reason when
it cannot rewrite that finding; it never returns code that does not compile.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

from advisor.codemods.dask_executor import fix_dask_loop
from advisor.codemods.errors import RewriteError
from advisor.codemods.main_guard import fix_main_guard
from advisor.codemods.pool_bounded import fix_process_per_item, fix_thread_per_item
from advisor.codemods.pool_collect import fix_serial_submit
from advisor.codemods.pool_hoist import fix_pool_in_loop
from advisor.codemods.pool_lift import fix_unpicklable_task
from advisor.codemods.pool_swap import fix_process_pool_over_io, fix_thread_pool_over_cpu
from advisor.codemods.process_pool import fix_process_pool_loop
from advisor.codemods.thread_pool import STATIC_THREAD_WORKERS, fix_thread_pool_loop
from advisor.model import Finding

Fixer = Callable[[str, Finding], str]

STATIC_WORKERS = STATIC_THREAD_WORKERS

FIXERS: dict[str, Fixer] = {
    "CA101": fix_thread_pool_loop,
    "CA102": fix_process_pool_loop,
    "CA103": fix_thread_pool_loop,
    "CA201": fix_thread_per_item,
    "CA202": fix_process_per_item,
    "CA203": fix_thread_pool_over_cpu,
    "CA204": fix_process_pool_over_io,
    "CA205": fix_serial_submit,
    "CA206": fix_pool_in_loop,
    "CA207": fix_unpicklable_task,
    "CA208": fix_main_guard,
    "CA401": fix_dask_loop,
}

Executor = Literal["local", "dask"]
# The serial-loop rules whose fix can target a Dask cluster instead of a local pool.
DASK_TARGETS = frozenset({"CA101", "CA102", "CA103", "CA401"})


@dataclass(frozen=True, slots=True)
class FixTarget:
    """Where loop fixes send the work: a local pool (by rule), or a Dask cluster."""

    executor: Executor = "local"
    dask_address: str | None = None  # written into the code as the default scheduler address

    def fixer(self, finding: Finding) -> Fixer | None:
        if finding.fix_safety == "none":
            return None
        if self.executor == "dask" and finding.rule in DASK_TARGETS:
            return functools.partial(fix_dask_loop, address=self.dask_address)
        return FIXERS.get(finding.rule)

    def safety(self, finding: Finding) -> str:
        """On a cluster, items and results cross processes: pickling is never proven."""
        if (
            self.executor == "dask"
            and finding.rule in DASK_TARGETS
            and finding.fix_safety == "safe"
        ):
            return "unsafe"
        return finding.fix_safety


LOCAL_POOLS = FixTarget()


def fixer_for(finding: Finding) -> Fixer | None:
    """The fixer of this finding's rule, if the rule has one. Whether it may be applied is the
    finding's fix_safety: "none" (nothing to rewrite, e.g. a loop too small) never is."""
    return LOCAL_POOLS.fixer(finding)


__all__ = [
    "DASK_TARGETS",
    "FIXERS",
    "LOCAL_POOLS",
    "STATIC_WORKERS",
    "Executor",
    "FixTarget",
    "Fixer",
    "RewriteError",
    "fixer_for",
]
