"""CA104: a loop inside `async def` that awaits one call per item, one item at a time.

A candidate awaits exactly one call per item and keeps its result (assigned, collected, or added
up); what follows the await and only prints or collects is a serial tail, run after the gather in
the items' order. A loop whose next call needs the previous result (pagination) is serial by
nature and left alone, as is `await asyncio.sleep(...)`, which paces on purpose.
"""

from __future__ import annotations

import ast
from collections.abc import Iterable, Iterator

from advisor.analysis.async_checker import (
    COMPREHENSIONS,
    LOOPS,
    AsyncChecker,
    appended_statement,
    call_name,
    known_size,
    located,
)
from advisor.analysis.effects import FunctionNode
from advisor.analysis.safety import comprehension_doubts, for_loop_doubts
from advisor.model import Finding
from advisor.syntax.bindings import SCOPE_NODES, bound_names, locals_of, parameters, walk_scope
from advisor.syntax.item_flow import NameUse
from advisor.syntax.serial_tail import serial_tail, writes_output

RULE = "CA104"
_COLLECTING_METHODS = frozenset({"append", "appendleft", "add", "extend", "insert", "update",
                                 "setdefault"})  # fmt: skip


def _serial_await(
    checker: AsyncChecker, awaits: list[ast.Await], collected: set[int], item: set[str]
) -> ast.Call | None:
    """The one call awaited per item, when its result is collected, or when it is a coroutine
    of this module awaited for its effects (``await save(url)``: what it does, the analysis
    sees and judges). Several awaits per item are a sequence (send, then receive), an unknown
    call awaited for its effect is usually one too (``await ws.send(m)``), and ``await
    asyncio.sleep(...)`` paces on purpose."""
    if len(awaits) != 1:
        return None
    call = awaits[0].value
    if not isinstance(call, ast.Call) or checker.qualify(call.func) == "asyncio.sleep":
        return None
    if id(awaits[0]) not in collected and not _own_coroutine(checker, call, item):
        return None
    return call


def _own_coroutine(checker: AsyncChecker, call: ast.Call, item: set[str]) -> bool:
    """Is ``call`` a call of a module-level ``async def`` of this module, given the loop's item?
    A nested coroutine awaited for its effect is most often a callback handed in (``await
    send(message)``, in order), and the same call repeated (``for _ in range(n): await
    query()``) is a benchmark or a poll, not a list of items."""
    if not isinstance(call.func, ast.Name):
        return False
    found = checker.function_named(call.func.id)
    if found is None or not isinstance(found[0], ast.AsyncFunctionDef) or found[1].node is not None:
        return False
    return bool(item & {n.id for n in ast.walk(call) if isinstance(n, ast.Name)})


def on_for_in_async(checker: AsyncChecker, loop: ast.For) -> None:
    size = known_size(loop.iter, checker.scope(checker.frame))
    if size is not None and size < checker.min_items:
        return
    found = _loop_awaits(loop)
    if found is None:
        return
    awaits, collected = found
    awaited = _serial_await(checker, awaits, collected, set(bound_names(loop.target)))
    if awaited is None:
        return
    # what follows the await and only prints or collects (a serial tail) runs after the
    # gather, in order, and may carry its own totals; the rest runs per item, concurrently
    tail = serial_tail(loop)
    work = loop.body if tail is None else list(tail.work)
    use = NameUse()
    for statement in work:
        use.visit(statement)
    if use.carried(checker.facts.resolver.modules) - bound_names(loop.target):
        return  # the next call needs the previous result (pagination, a running version)
    doubts = [
        doubt
        for doubt in for_loop_doubts(loop, checker.facts, cooperative=True, split=True)
        # every loop here awaits (a thread pool could not run it; gather can)
        if not doubt.reason.startswith("`await` inside the loop")
    ]
    reasons = [d.reason for d in doubts if not d.checkable]
    checkable = [d.reason for d in doubts if d.checkable]
    function = checker.frame.node
    if not isinstance(function, ast.AsyncFunctionDef):
        return
    if tail is not None and writes_output(tail.tail):
        # a pool's map hands results over in order, so earlier items print before a
        # failure surfaces; a gather raises before any item's output
        reasons.append(
            "the body prints or writes after the await: if an item fails, the gather raises "
            "before any item's output, where the loop wrote every item's before the failing one"
        )
    reduced = _reduces_the_result(loop)
    if not doubts and tail is None and not reduced and not _is_collection_form(loop, function):
        reasons.append(
            "the body does more than await one call and collect its result into a local "
            "list or dict: the rest would interleave between items once they run concurrently"
        )
    reasons += [
        f"the loop variable `{name}` is read after the loop"
        for name in sorted(bound_names(loop.target))
        if _read_after(function, name, loop.end_lineno or loop.lineno)
    ]
    _report_serial_await(checker, loop, awaited, function, reasons, checkable)


def on_comprehension_in_async(checker: AsyncChecker, node: ast.expr) -> None:
    generators: list[ast.comprehension] = node.generators  # type: ignore[attr-defined]
    if any(g.is_async for g in generators):
        return
    size = known_size(generators[0].iter, checker.scope(checker.frame))
    if size is not None and size < checker.min_items:
        return
    elements = [node.key, node.value] if isinstance(node, ast.DictComp) else [node.elt]  # type: ignore[attr-defined]
    awaits = [n for n in _walk_expression(elements) if isinstance(n, ast.Await)]
    # the element is the result
    awaited = _serial_await(checker, awaits, {id(a) for a in awaits}, set())
    if awaited is None:
        return
    doubts = comprehension_doubts(node, checker.facts, cooperative=True)
    reasons = [d.reason for d in doubts if not d.checkable]
    checkable = [d.reason for d in doubts if d.checkable]
    if not any(isinstance(e, ast.Await) for e in elements[-1:]):
        reasons.append(
            "the element does more than await one call: "
            "gather the calls, then build the result from them"
        )
    statement = checker.statement
    where = statement if statement is not None and not hasattr(statement, "body") else node
    function = checker.frame.node
    if not isinstance(function, ast.AsyncFunctionDef):
        return
    _report_serial_await(checker, where, awaited, function, reasons, checkable)


def _report_serial_await(
    checker: AsyncChecker,
    where: ast.AST,
    awaited: ast.Call,
    function: FunctionNode,
    reasons: list[str],
    checkable: list[str],
) -> None:
    """``reasons``: doubts no run settles; ``checkable``: doubts a verified run settles (an
    external effect, a callee concadvise cannot see), which alone leave the fix to
    `profile --apply`."""
    unique = tuple(dict.fromkeys([*reasons, *checkable]))
    only_checkable = bool(checkable) and not reasons
    checker.findings.append(
        Finding(
            rule=RULE,
            path=checker.facts.path,
            **located(checker.facts.source, where),
            message=f"`await {call_name(awaited)}(...)` one item at a time inside "
            f"`async def {function.name}`: start the calls together with `asyncio.gather` "
            "(bounded by a Semaphore)",
            kind="io",
            suggestion="asyncio_gather",
            fix_safety="unsafe" if unique else "safe",
            reasons=unique,
            run_checkable=True if only_checkable else None,
        )
    )


def _reduces_the_result(loop: ast.For) -> bool:
    """``total += await f(x)`` last: the gather's results are added in order, serially."""
    last = loop.body[-1]
    return (
        isinstance(last, ast.AugAssign)
        and isinstance(last.target, ast.Name)
        and isinstance(last.value, ast.Await)
    )


def _walk_expression(nodes: Iterable[ast.AST]) -> Iterator[ast.AST]:
    """Nodes of an expression, not entering nested scopes or comprehensions (their own loops)."""
    stack = list(nodes)[::-1]
    while stack:
        node = stack.pop()
        yield node
        if not isinstance(node, (*SCOPE_NODES, *COMPREHENSIONS)):
            stack.extend(reversed(list(ast.iter_child_nodes(node))))


def _loop_awaits(loop: ast.For) -> tuple[list[ast.Await], set[int]] | None:
    """The awaits a loop makes per item, and those whose result is collected: assigned, or put
    into a collection (``out.append(await f(x))``). None when the loop is not a candidate: it
    stops early (`break`, `return`), yields, or its awaits sit in a nested loop (that loop's own
    finding)."""
    awaits: list[ast.Await] = []
    collected: set[int] = set()
    stack: list[tuple[ast.AST, bool, bool]] = [(s, False, False) for s in reversed(loop.body)]
    while stack:
        node, nested, collecting = stack.pop()
        if isinstance(node, ast.stmt):
            collecting = _collects(node)
        if isinstance(node, ast.Await):
            if nested:
                return None
            awaits.append(node)
            if collecting:
                collected.add(id(node))
        elif isinstance(node, (ast.Return, ast.Yield, ast.YieldFrom)) or (
            isinstance(node, ast.Break) and not nested
        ):
            return None
        if isinstance(node, SCOPE_NODES):
            continue
        inner = nested or isinstance(node, (*LOOPS, *COMPREHENSIONS))
        stack.extend(
            (child, inner, collecting) for child in reversed(list(ast.iter_child_nodes(node)))
        )
    return awaits, collected


def _collects(statement: ast.stmt) -> bool:
    """Does the statement keep the value it computes: an assignment, or a collection method?"""
    if isinstance(statement, (ast.Assign, ast.AnnAssign, ast.AugAssign)):
        return True
    return (
        isinstance(statement, ast.Expr)
        and isinstance(statement.value, ast.Call)
        and isinstance(statement.value.func, ast.Attribute)
        and statement.value.func.attr in _COLLECTING_METHODS
    )


def _is_collection_form(loop: ast.For, function: FunctionNode) -> bool:
    """The body awaits one call and collects its result into a local list or dict:
    ``out.append(await f(x))``, ``r = await f(x); out.append(<r...>)``, ``d[x] = await f(x)``,
    also as the whole body of a `with` or `async with` block (``async with session.get(u) as r:
    out.append(await r.text())``), which each item then enters on its own, or with the await in
    such a block before the collecting (``async with limiter: r = await f(x)``, then
    ``out.append(r)``)."""
    body = loop.body
    if len(body) == 1 and isinstance(body[0], ast.With | ast.AsyncWith):
        body = body[0].body
    locals_ = locals_of(function) - parameters(function.args)
    if len(body) == 1:
        appended = appended_statement(body[0])
        if appended is not None:
            return appended[0] in locals_ and isinstance(appended[1], ast.Await)
        statement = body[0]
        if isinstance(statement, ast.Assign) and isinstance(statement.value, ast.Await):
            [target] = statement.targets if len(statement.targets) == 1 else [None]
            return (
                isinstance(target, ast.Subscript)
                and isinstance(target.value, ast.Name)
                and target.value.id in locals_
                and isinstance(target.slice, ast.Name)
                and target.slice.id in bound_names(loop.target)
            )
        return False
    if len(body) == 2 and isinstance(body[0], ast.With | ast.AsyncWith):
        # `async with limiter: r = await f(x)` then `out.append(r)`: the block runs per item
        assigned = [s for s in body[0].body if isinstance(s, ast.Assign)]
        awaited = [s for s in assigned if isinstance(s.value, ast.Await)]
        if len(awaited) != 1:
            return False
        body = [awaited[0], body[1]]
    if len(body) == 2 and isinstance(body[0], ast.Assign):
        first, appended = body[0], appended_statement(body[1])
        if appended is None or not isinstance(first.value, ast.Await):
            return False
        if len(first.targets) != 1 or not isinstance(first.targets[0], ast.Name):
            return False
        result = first.targets[0].id
        reads = {n.id for n in ast.walk(appended[1]) if isinstance(n, ast.Name)}
        return appended[0] in locals_ and result in reads
    return False


def _read_after(function: FunctionNode, name: str, line: int) -> bool:
    """Is ``name`` read after ``line`` in ``function`` before anything binds it again?"""
    uses = sorted(
        (node.lineno, node.col_offset, isinstance(node.ctx, ast.Load))
        for node in walk_scope(function.body)
        if isinstance(node, ast.Name) and node.id == name and node.lineno > line
    )
    return bool(uses) and uses[0][2]
