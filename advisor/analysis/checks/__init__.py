"""One module per static rule of the pool and asyncio families (Ruff's rule functions).

A rule module names its rule (``RULE = "CA207"``) and defines the hooks it needs, by the name of
the event its checker calls them at: ``on_worker``, ``on_pool`` and ``on_pool_method`` for the
pool checker (``advisor/analysis/pool_checker.py``), ``on_call_in_async``, ``on_resolved_call``,
``on_discarded_call``, ``on_for_in_async`` and ``on_comprehension_in_async`` for the asyncio
checker (``advisor/analysis/async_checker.py``). The module is named after the rule
(``unpicklable_process_task.py`` for ``unpicklable-process-task``), and that is all there is to
registering it: the modules here are found, not listed. Modules whose name starts with ``_`` hold
what several rules share.
"""

from __future__ import annotations

import functools
import importlib
import pkgutil
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from advisor.analysis.async_checker import AsyncHooks
from advisor.analysis.pool_checker import PoolHooks

POOL_EVENTS = tuple(PoolHooks.__dataclass_fields__)
ASYNC_EVENTS = tuple(AsyncHooks.__dataclass_fields__)


@dataclass(frozen=True, slots=True)
class RuleCheck:
    """One rule module: its rule, its name, and its hooks by event."""

    rule: str
    module: str  # the module's own name, which is the rule's name with `_` for `-`
    hooks: tuple[tuple[str, Callable[..., Any]], ...]


class CheckError(Exception):
    """A rule module that cannot be registered: no RULE, or no hook, or an unknown one."""


@functools.cache
def rule_checks() -> tuple[RuleCheck, ...]:
    """Every rule module of this package, imported once, in name order."""
    found = []
    for info in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
        if info.name.startswith("_"):
            continue
        module = importlib.import_module(f"{__name__}.{info.name}")
        rule = getattr(module, "RULE", None)
        if not isinstance(rule, str):
            raise CheckError(f'advisor/analysis/checks/{info.name}.py has no RULE = "CA..."')
        hooks = tuple(
            (name, value)
            for name, value in vars(module).items()
            if name.startswith("on_") and callable(value)
        )
        unknown = [name for name, _ in hooks if name not in (*POOL_EVENTS, *ASYNC_EVENTS)]
        if unknown or not hooks:
            what = f"unknown hooks {unknown}" if unknown else "no hook"
            raise CheckError(f"advisor/analysis/checks/{info.name}.py ({rule}) has {what}")
        found.append(RuleCheck(rule, info.name, hooks))
    return tuple(found)


def _hooks(events: tuple[str, ...]) -> dict[str, tuple[Callable[..., Any], ...]]:
    return {
        event: tuple(hook for check in rule_checks() for name, hook in check.hooks if name == event)
        for event in events
    }


@functools.cache
def pool_hooks() -> PoolHooks:
    return PoolHooks(**_hooks(POOL_EVENTS))


@functools.cache
def async_hooks() -> AsyncHooks:
    return AsyncHooks(**_hooks(ASYNC_EVENTS))
