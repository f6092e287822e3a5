"""CA304: a task created and discarded: the event loop keeps only a weak reference to it, so it
can be garbage-collected before it finishes."""

from __future__ import annotations

import ast

from advisor.analysis.async_checker import TASK_FACTORIES, AsyncChecker, located
from advisor.model import Finding
from advisor.syntax.bindings import dotted_name

RULE = "CA304"
_TASK_FACTORY_NAMES = frozenset({"create_task", "ensure_future"})


def on_discarded_call(checker: AsyncChecker, call: ast.Call) -> None:
    if not checker.may_be(call.func, _TASK_FACTORY_NAMES):
        return
    qualified = checker.qualify(call.func)
    if qualified not in TASK_FACTORIES:
        return
    checker.findings.append(
        Finding(
            rule=RULE,
            path=checker.facts.path,
            **located(checker.facts.source, call),
            message=f"the task returned by `{dotted_name(call.func) or qualified}` is "
            "discarded: the event loop keeps only a weak reference, so it can be "
            "garbage-collected before it finishes; keep a reference until it is done",
            kind="unknown",
            suggestion="none",
            fix_safety="safe",
        )
    )
