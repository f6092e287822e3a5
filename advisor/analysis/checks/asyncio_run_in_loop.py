"""CA302: `asyncio.run` inside a loop, which starts an event loop per item and runs the items
one after another; one coroutine that gathers them runs them together."""

from __future__ import annotations

import ast

from advisor.analysis.async_checker import COMPREHENSIONS, AsyncChecker, located
from advisor.analysis.safety import comprehension_reasons, for_loop_reasons
from advisor.model import Finding, FixSafety

RULE = "CA302"

_GATHER_TIMING_REASON = (
    "running the items concurrently changes their timing and the order of their side effects; "
    "one coroutine awaiting them in turn is the behaviour-preserving first step"
)


def on_resolved_call(checker: AsyncChecker, call: ast.Call, qualified: str) -> None:
    if qualified != "asyncio.run" or not checker.frame.loops:
        return
    loop = checker.frame.loops[-1]
    safety: FixSafety = "unsafe"
    if isinstance(loop, ast.While):
        safety = "none"
        reasons = ["no automatic rewrite for a `while` loop: its items are not known upfront"]
    elif isinstance(loop, ast.AsyncFor):
        safety = "none"
        reasons = ["`asyncio.run` cannot be called from a running event loop"]
    elif isinstance(loop, ast.For):
        reasons = [*for_loop_reasons(loop, checker.facts, cooperative=True), _GATHER_TIMING_REASON]
    else:
        reasons = [
            *comprehension_reasons(loop, checker.facts, cooperative=True),
            _GATHER_TIMING_REASON,
        ]  # type: ignore[arg-type]
    kind_of_loop = "comprehension" if isinstance(loop, COMPREHENSIONS) else "loop"
    if loop.lineno != call.lineno:  # type: ignore[attr-defined]
        kind_of_loop += f" (line {loop.lineno})"  # type: ignore[attr-defined]
    checker.findings.append(
        Finding(
            rule=RULE,
            path=checker.facts.path,
            **located(checker.facts.source, call),
            message=f"`asyncio.run` inside a {kind_of_loop} "
            "starts a new event loop per item and runs the items one after another: run "
            "one coroutine that gathers them",
            kind="io",
            suggestion="asyncio_gather",
            fix_safety=safety,
            reasons=tuple(dict.fromkeys(reasons)),
        )
    )
