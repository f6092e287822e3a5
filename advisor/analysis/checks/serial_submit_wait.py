"""CA205: work waited for in the iteration that handed it over, so it runs one item at a time.

Two shapes: a Thread or Process started and joined in the same iteration, and a pool's
``submit``/``apply_async`` whose result is waited for (or ``apply``, which waits by itself)
before the next item is handed over. A submission that reads what the iteration writes after it
(``state = pool.submit(step, state).result()``) is serial by nature and left alone.
"""

from __future__ import annotations

import ast
from collections.abc import Sequence

from advisor.analysis.pool_checker import (
    EXECUTORS,
    WAITS,
    EnclosingLoop,
    PoolChecker,
    kind_of,
    safety_of,
)
from advisor.analysis.pool_shapes import assigned_name, is_method_call, read_names, stored_names
from advisor.syntax.bindings import bound_names, walk_scope

RULE = "CA205"


def on_worker(checker: PoolChecker, call: ast.Call, kind: str, *, subclass: bool) -> None:
    """`t = Thread(...)`, `t.start()`, `t.join()` in one iteration."""
    if not checker.loops:
        return
    name, uses = checker.worker_uses(call)
    if not (name and uses.called("start") and uses.called("join")):
        return
    loop = checker.loops[-1]
    reasons = list(checker.loop_reasons(loop))
    target = next((kw.value for kw in call.keywords if kw.arg == "target"), None)
    function = checker.module_function(checker.qualify(target)) if target is not None else None
    effects = checker.facts.effects.function_effects(function.name) if function else None
    safety, why = safety_of(reasons)
    join = uses.calls["join"][-1]
    checker.add(
        RULE,
        call,
        f"`{name}.join()` right after `{name}.start()` in the same iteration of "
        f"{loop.phrase} runs the {kind}{'es' if kind == 'process' else 's'} one at a time: "
        "start them all, then join them",
        end=join,
        kind=kind_of(effects),
        suggestion="bounded_pool",
        fix_safety=safety,
        reasons=why,
    )


def on_pool_method(checker: PoolChecker, call: ast.Call, pool: str, method: str) -> None:
    waits = WAITS.get(method)
    if waits is None or not checker.loops:
        return
    if (method == "submit") != (pool in EXECUTORS):
        return  # `submit` is an executor's, `apply`/`apply_async` a multiprocessing pool's
    _check_serial_submit(checker, call, method, waits)


def _check_serial_submit(
    checker: PoolChecker, call: ast.Call, method: str, waits: Sequence[str]
) -> None:
    loop = checker.loops[-1]
    parent = checker.parents[-1]
    grand = checker.parents[-2] if len(checker.parents) > 1 else None
    if not isinstance(call.func, ast.Attribute):
        return
    receiver = checker.text(call.func.value)
    index = checker.statement_index(loop)
    wait: ast.Call | None = None
    if method == "apply":
        end: ast.AST = call
        message = (
            f"`{receiver}.apply(...)` inside {loop.phrase} blocks until each task is done, "
            f"so the tasks run one at a time: use `{receiver}.map` (or `apply_async` for "
            "all, then collect)"
        )
    elif is_method_call(parent, grand, waits):
        assert isinstance(grand, ast.Call) and isinstance(parent, ast.Attribute)
        end = grand
        message = (
            f"`{receiver}.{method}(...).{parent.attr}()` inside {loop.phrase} waits for each "
            "task before the next is submitted, so they run one at a time: submit all, then "
            "collect"
        )
    else:
        name = assigned_name(parent, call)
        wait = _first_wait(name, waits, loop.statements, after=call) if name else None
        if wait is None:
            return
        assert isinstance(wait.func, ast.Attribute)
        end = wait
        message = (
            f"`{name}.{wait.func.attr}()` waits for `{receiver}.{method}(...)` in the same "
            f"iteration of {loop.phrase}, so the tasks run one at a time: submit all, then "
            "collect"
        )
    if index is not None and _carried(call, loop, index):
        return  # the next submission needs this result: serial by nature
    reasons = list(checker.loop_reasons(loop))
    task = call.args[0] if call.args else None
    effects = checker.callable_effects(task)
    if wait is not None and index is not None:
        wait_index = next(
            (
                i
                for i, s in enumerate(loop.statements)
                if s.lineno <= wait.lineno <= (s.end_lineno or s.lineno)
            ),
            index,
        )
        if wait_index > index + 1:
            reasons.append(
                f"code runs between the submission and the wait (line "
                f"{loop.statements[index + 1].lineno}); submitting all first reorders it"
            )
    safety, why = safety_of(reasons)
    checker.add(
        RULE,
        call,
        message,
        end=end,
        kind=kind_of(effects),
        suggestion="bounded_pool",
        fix_safety=safety,
        reasons=why,
    )


def _carried(call: ast.Call, loop: EnclosingLoop, index: int) -> set[str]:
    """Names the submission reads that this iteration writes at or after it: the next
    submission needs this iteration's result (``state = pool.submit(step, state).result()``)."""
    reads = read_names([*call.args, *call.keywords])
    before = stored_names(loop.statements[:index])
    after = stored_names(loop.statements[index:])
    own = bound_names(loop.node.target) if isinstance(loop.node, ast.For | ast.AsyncFor) else set()
    return (reads & after) - before - own


def _first_wait(
    name: str, waits: Sequence[str], statements: Sequence[ast.stmt], after: ast.AST
) -> ast.Call | None:
    """The first ``name.result()`` (or another wait) in ``statements`` after ``after``."""
    start = (after.end_lineno, after.end_col_offset)  # type: ignore[attr-defined]
    found = [
        node
        for node in walk_scope(statements)
        if isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr in waits
        and isinstance(node.func.value, ast.Name)
        and node.func.value.id == name
        and (node.lineno, node.col_offset) >= start
    ]
    return min(found, key=lambda n: (n.lineno, n.col_offset), default=None)
