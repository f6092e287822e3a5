"""CA201: a new Thread started for every item of a loop, with no bound on how many run at once."""

from __future__ import annotations

import ast

from advisor.analysis.checks._per_item import worker_per_item
from advisor.analysis.pool_checker import PoolChecker

RULE = "CA201"


def on_worker(checker: PoolChecker, call: ast.Call, kind: str, *, subclass: bool) -> None:
    if kind != "thread":
        return
    found = worker_per_item(checker, call, kind, subclass=subclass)
    if found is None:
        return
    checker.add(
        RULE,
        call,
        f"`{checker.text(call.func)}(...)` starts a new thread for every item of "
        f"{found.loop.phrase}, with no bound on how many run at once: use a ThreadPoolExecutor "
        "with bounded `max_workers`",
        kind=found.kind,
        suggestion="bounded_pool",
        fix_safety=found.fix_safety,
        reasons=found.reasons,
    )
