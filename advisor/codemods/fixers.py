"""Which rewrite fixes which rule: the one table that `fix`, `profile --apply` and diffs use.

A fixer takes the whole source text of a module and one finding of its rule (its ``line`` is a
line of that text) and returns the whole new source text. It changes only the lines of that
finding, plus what the rewrite needs elsewhere (imports, a module-level helper function, an
``if __name__ == "__main__":`` guard). It raises :class:`RewriteError` with a short reason when
it cannot rewrite that finding; it never returns code that does not compile.
"""

from __future__ import annotations

import functools
import importlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

from advisor.analysis.loop_rules import FixJudgement, across_processes
from advisor.codemods.errors import RewriteError
from advisor.model import Finding

Fixer = Callable[[str, Finding], str]


def _deferred(path: str) -> Fixer:
    """The fixer at ``module:function``, imported on first use: the codemods pull in
    ``libcst.codemod`` (~0.3 s), which `check` and `bench` must not pay for."""
    module, name = path.split(":")

    def fixer(source: str, finding: Finding, **options: Any) -> str:
        return getattr(importlib.import_module(module), name)(source, finding, **options)

    fixer.__name__ = fixer.__qualname__ = name
    return fixer


FIXERS: dict[str, Fixer] = {
    rule: _deferred(f"advisor.codemods.{path}")
    for rule, path in {
        "CA101": "thread_pool:fix_thread_pool_loop",
        "CA102": "process_pool:fix_process_pool_loop",
        "CA103": "thread_pool:fix_thread_pool_loop",
        "CA104": "async_gather:fix_sequential_awaits",
        "CA201": "pool_bounded:fix_thread_per_item",
        "CA202": "pool_bounded:fix_process_per_item",
        "CA203": "pool_swap:fix_thread_pool_over_cpu",
        "CA204": "pool_swap:fix_process_pool_over_io",
        "CA205": "pool_collect:fix_serial_submit",
        "CA206": "pool_hoist:fix_pool_in_loop",
        "CA207": "pool_lift:fix_unpicklable_task",
        "CA208": "main_guard:fix_main_guard",
        "CA301": "async_blocking:fix_blocking_call_in_async",
        "CA302": "async_tasks:fix_asyncio_run_in_loop",
        "CA303": "async_gather:fix_unbounded_gather",
        "CA304": "async_tasks:fix_discarded_task",
        "CA401": "dask_executor:fix_dask_loop",
    }.items()
}

Executor = Literal["local", "dask", "ray"]
# The serial-loop rules whose fix can target a cluster (Dask or Ray) instead of a local pool.
CLUSTER_TARGETS = frozenset({"CA101", "CA102", "CA103", "CA401"})
_RAY_FIXER = _deferred("advisor.codemods.ray_executor:fix_ray_loop")


@dataclass(frozen=True, slots=True)
class FixTarget:
    """Where loop fixes send the work: a local pool (by rule), or a Dask cluster."""

    executor: Executor = "local"
    dask_address: str | None = None  # written into the code as the default scheduler address

    def fixer(self, finding: Finding) -> Fixer | None:
        if finding.fix_safety == "none":
            return None
        if self.executor == "dask" and finding.rule in CLUSTER_TARGETS:
            return functools.partial(FIXERS["CA401"], address=self.dask_address)
        if self.executor == "ray" and finding.rule in CLUSTER_TARGETS:
            return _RAY_FIXER
        if finding.rule == "CA401" and finding.suggestion == "ray":
            return _RAY_FIXER  # a profile with --executor ray advised Ray, not Dask
        return FIXERS.get(finding.rule)

    def judged(self, finding: Finding) -> FixJudgement:
        """The finding's fix safety and reasons for this target: on a cluster the items cross
        processes, so the fix is at best unsafe (pickling is never proven)."""
        if self.executor != "local" and finding.rule in CLUSTER_TARGETS:
            return across_processes(FixJudgement.of(finding))
        return FixJudgement.of(finding)


LOCAL_POOLS = FixTarget()


def fixer_for(finding: Finding) -> Fixer | None:
    """The fixer of this finding's rule, if the rule has one. Whether it may be applied is the
    finding's fix_safety: "none" (nothing to rewrite, e.g. a loop too small) never is."""
    return LOCAL_POOLS.fixer(finding)


__all__ = [
    "CLUSTER_TARGETS",
    "FIXERS",
    "LOCAL_POOLS",
    "Executor",
    "FixTarget",
    "Fixer",
    "RewriteError",
    "fixer_for",
]
