"""CA201: a new Thread started for every item of a loop, with no bound on how many run at once."""

from __future__ import annotations

import ast

from advisor.analysis.checks._per_item import report_worker_per_item
from advisor.analysis.pool_checker import PoolChecker

RULE = "CA201"


def on_worker(checker: PoolChecker, call: ast.Call, kind: str, *, subclass: bool) -> None:
    if kind == "thread":
        report_worker_per_item(
            checker,
            call,
            kind,
            subclass=subclass,
            rule=RULE,
            suggestion="bounded_pool",
            advice=", with no bound on how many run at once: use a ThreadPoolExecutor with "
            "bounded `max_workers`",
        )
