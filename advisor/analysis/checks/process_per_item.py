"""CA202: a new Process started for every item of a loop, where one pool would reuse workers."""

from __future__ import annotations

import ast

from advisor.analysis.checks._per_item import report_worker_per_item
from advisor.analysis.pool_checker import PoolChecker

RULE = "CA202"


def on_worker(checker: PoolChecker, call: ast.Call, kind: str, *, subclass: bool) -> None:
    if kind == "process":
        report_worker_per_item(
            checker,
            call,
            kind,
            subclass=subclass,
            rule=RULE,
            suggestion="process_pool",
            advice=": run the items in one ProcessPoolExecutor",
        )
