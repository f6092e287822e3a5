"""CA301: a blocking call inside `async def`, which stalls every other task on the event loop.

The call is known to block from the knowledge files (``rules/knowledge/``); a method of what a
blocking call returned (``requests.get(u).json()``) is that call's finding, not one of its own.
The fix awaits the event loop's own form of the call (``asyncio.sleep``) or runs it on a thread
(``asyncio.to_thread``), in the event-loop library the module runs on.
"""

from __future__ import annotations

import ast

from advisor.analysis.async_checker import AsyncChecker, located
from advisor.analysis.concurrency_knowledge import (
    ConcurrencyKnowledge,
    EventLoop,
    load_concurrency_knowledge,
)
from advisor.analysis.effects import EffectAnalyzer
from advisor.analysis.independence import opens_to_read
from advisor.analysis.knowledge import AsyncReplacement
from advisor.model import Finding, FixSafety
from advisor.syntax.bindings import walk_scope
from advisor.syntax.resolve import NameResolver
from advisor.syntax.scopes import FunctionScopes, Scope

RULE = "CA301"

_THREAD_REASON = (
    "`asyncio.to_thread` runs the call on another thread: objects bound to their thread "
    "(an `sqlite3` connection, most GUI objects) cannot follow it there"
)
_WITH_BLOCK_REASON = (
    "a `with` block around a blocking call cannot be wrapped call by call: move the whole block "
    "into a function and run that with `asyncio.to_thread` (display-only fix)"
)
_CLIENT_SWITCH_REASON = (
    "switching to an async client ({}) is a design change (one client per session, not per "
    "call) and is never applied automatically"
)
_SLEEP_IN_EXPRESSION = "the sleep is part of a larger expression, not a statement of its own"


def on_call_in_async(checker: AsyncChecker, call: ast.Call, qualified: str) -> None:
    knowledge = checker.facts.knowledge
    if not knowledge.blocks_in_async(qualified) or knowledge.on_blocking_result(qualified):
        return
    if _chained_on_a_blocking_call(checker, call):
        return
    function = checker.frame.node
    if not isinstance(function, ast.AsyncFunctionDef):
        return
    replacement = knowledge.replacement_in_async(qualified)
    shown = qualified.removeprefix("builtins.")
    safety, reasons = _blocking_fix_safety(checker, call, function, replacement)
    loop = checker.event_loop()
    # the only doubt the event loop: a run of the program shows which one runs it, loudly
    checkable = safety == "unsafe" and reasons == (loop,)
    checker.findings.append(
        Finding(
            rule=RULE,
            path=checker.facts.path,
            **located(checker.facts.source, call),
            message=f"blocking call `{shown}` inside `async def {function.name}`: "
            f"use {_replacement_text(replacement, loop)}",
            kind="io",
            suggestion=replacement.suggestion,  # type: ignore[arg-type]  # data: to_thread, ...
            fix_safety=safety,
            reasons=reasons,
            run_checkable=True if checkable else None,
        )
    )


def _chained_on_a_blocking_call(checker: AsyncChecker, call: ast.Call) -> bool:
    """``conn.execute(q).fetchall()``: the method of a blocking call's result in the same
    expression is that call's finding (moving the call to a thread moves the chain with it)."""
    func = call.func
    if not (isinstance(func, ast.Attribute) and isinstance(func.value, ast.Call)):
        return False
    inner = checker.qualify(func.value.func)
    return inner is not None and checker.facts.knowledge.blocks_in_async(inner)


def _blocking_fix_safety(
    checker: AsyncChecker,
    call: ast.Call,
    function: ast.AsyncFunctionDef,
    replacement: AsyncReplacement,
) -> tuple[FixSafety, tuple[str, ...]]:
    display_only = []
    if id(call) in checker.with_calls:
        display_only.append(_WITH_BLOCK_REASON)
    if replacement.switches_client:
        client = replacement.replacement.split(",")[0].strip()
        display_only.append(_CLIENT_SWITCH_REASON.format(client))
    if display_only:
        return "none", tuple(display_only)
    reasons = []
    if replacement.suggestion != "asyncio_sleep":
        reasons.append(_THREAD_REASON)
    elif id(call) not in checker.statement_calls:
        reasons.append(_SLEEP_IN_EXPRESSION)
    reasons += [
        f"other tasks can run while the call waits, and the coroutine {write}"
        for write in sorted(_coroutine_writes(checker, function))
    ]
    torn = _writes_around(checker, call, function)
    if torn is not None:
        reasons.append(
            f"the new `await` is a point where the coroutine can be cancelled (a timeout, a "
            f"failing task group): {torn}"
        )
    loop = checker.event_loop()
    if isinstance(loop, str):
        reasons.append(loop)
    return ("unsafe" if reasons else "safe"), tuple(reasons)


def _writes_around(
    checker: AsyncChecker, call: ast.Call, function: ast.AsyncFunctionDef
) -> str | None:
    """What the coroutine writes both before and after ``call``, if it does: a cancellation
    at the new await would leave the first write without the second."""
    knowledge = load_concurrency_knowledge()
    resolver = checker.scope(checker.frame).resolver
    where = (call.lineno, call.col_offset)
    before = after = None
    for node in walk_scope(function.body):
        if not isinstance(node, ast.Call) or node is call:
            continue
        written = _write_of(node, resolver, knowledge)
        if written is None:
            continue
        if (node.lineno, node.col_offset) < where:
            before = before or written
        else:
            after = after or written
    if before is None or after is None:
        return None
    return f"it writes ({before}) before the call and ({after}) after it"


def _coroutine_writes(checker: AsyncChecker, function: ast.AsyncFunctionDef) -> frozenset[str]:
    """Writes to shared state in the coroutine (and the same-module functions it calls)."""

    def writes() -> frozenset[str]:
        analyzer = checker.facts.effects
        if analyzer.functions.get(function.name) is not function:
            # a method or nested coroutine: analyse it as if it stood alone in a module
            alone = ast.Module(body=[function], type_ignores=[])
            scopes = FunctionScopes(alone, Scope(checker.facts.resolver, {function.name: function}))
            analyzer = EffectAnalyzer(
                alone, checker.facts.resolver, checker.facts.knowledge, scopes
            )
        return analyzer.function_effects(function.name).shared_writes

    return checker.remember("coroutine writes", function, writes)


def _replacement_text(replacement: AsyncReplacement, loop: EventLoop | str) -> str:
    """What to call instead, in the event-loop library the module runs on (``trio.sleep`` in a
    trio program: asyncio's would fail there)."""
    own = None if isinstance(loop, str) or loop.library == "asyncio" else loop
    if replacement.replacement == "asyncio.sleep":
        return f"`await {own.sleep if own else 'asyncio.sleep'}(...)`"
    if replacement.replacement == "asyncio.to_thread" or (
        own is not None and replacement.suggestion == "to_thread"
    ):
        return f"`await {own.to_thread if own else 'asyncio.to_thread'}(...)`"
    return replacement.replacement


# Methods that write to what an object stands for (a file, a socket, a database).
_WRITING_METHODS = frozenset(
    {"write", "writelines", "send", "sendall", "sendto", "execute", "executemany", "commit",
     "truncate", "write_text", "write_bytes"}
)  # fmt: skip


def _write_of(
    call: ast.Call, resolver: NameResolver, knowledge: ConcurrencyKnowledge
) -> str | None:
    """``call`` as a write to the outside world (a file, a socket, output), shown, or None."""
    func = call.func
    if isinstance(func, ast.Attribute) and func.attr in _WRITING_METHODS:
        return f"`{ast.unparse(func)}()`"
    qualified = resolver.qualify(func)
    if qualified is not None and knowledge.opens_for_reading(qualified):
        return None if opens_to_read(call, qualified) else f"`{qualified}` (to write)"
    verdict = None if qualified is None else knowledge.verdict(qualified)
    if verdict is not None and verdict.section in ("external_effects", "output"):
        return f"`{qualified}`"
    return None
