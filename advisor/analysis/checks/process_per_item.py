"""CA202: a new Process started for every item of a loop, where one pool would reuse workers."""

from __future__ import annotations

import ast

from advisor.analysis.checks._per_item import worker_per_item
from advisor.analysis.pool_checker import PoolChecker

RULE = "CA202"


def on_worker(checker: PoolChecker, call: ast.Call, kind: str, *, subclass: bool) -> None:
    if kind != "process":
        return
    found = worker_per_item(checker, call, kind, subclass=subclass)
    if found is None:
        return
    checker.add(
        RULE,
        call,
        f"`{checker.text(call.func)}(...)` starts a new process for every item of "
        f"{found.loop.phrase}: run the items in one ProcessPoolExecutor",
        kind=found.kind,
        suggestion="process_pool",
        fix_safety=found.fix_safety,
        reasons=found.reasons,
    )
