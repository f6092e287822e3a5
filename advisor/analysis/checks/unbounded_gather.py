"""CA303: a gather (or a TaskGroup in a loop) that starts a coroutine for every item of an
iterable of unknown size at once; an `asyncio.Semaphore` bounds how many run together.

A literal, a name bound once to one, a slice or a `range` of at most a hundred items has a known
size; a coroutine that enters a Semaphore itself is bounded already. The fix is unsafe when the
coroutines may wait on each other (a Queue, an Event, a future they were given): under a bound a
waiter can hold the slot its producer needs.
"""

from __future__ import annotations

import ast

from advisor.analysis.async_checker import (
    FUNCTIONS,
    TASK_FACTORIES,
    AsyncChecker,
    Frame,
    appended_statement,
    call_name,
    is_literal,
    known_size,
    located,
    once_bound_literal,
)
from advisor.analysis.effects import FunctionNode
from advisor.model import Finding
from advisor.syntax.bindings import SCOPE_NODES, locals_of, parameters, walk_scope
from advisor.syntax.scopes import Scope, scope_of

RULE = "CA303"
# A gather over more items than this, known only by a slice or `range` bound, is treated as
# unbounded: it is the upper end of the bound CA303 recommends (20-100 at once).
MAX_UNBOUNDED_GATHER = 100
_TASK_GROUP_CREATE = "asyncio.TaskGroup().create_task"
_SEMAPHORES = frozenset({"asyncio.Semaphore()", "asyncio.BoundedSemaphore()"})
# asyncio primitives through which one coroutine waits for another: under a bound, a waiter can
# hold the slot its producer needs.
_WAITING_PRIMITIVES = ("asyncio.Queue", "asyncio.LifoQueue", "asyncio.PriorityQueue",
                       "asyncio.Event", "asyncio.Condition", "asyncio.Barrier")  # fmt: skip
_CREATED_TASKS_REASON = (
    "the gathered objects are Tasks created earlier (`create_task`): they are already running, "
    "so the bound has to go where they are created"
)


def on_resolved_call(checker: AsyncChecker, call: ast.Call, qualified: str) -> None:
    if qualified == "asyncio.gather":
        _check_gather(checker, call)
    elif qualified == _TASK_GROUP_CREATE:
        _check_task_group_loop(checker, call)


def _check_gather(checker: AsyncChecker, call: ast.Call) -> None:
    scope = checker.scope(checker.frame)
    for argument in call.args:
        if not isinstance(argument, ast.Starred):
            continue
        for element, iterable in _gathered(checker, argument.value):
            if _is_bounded(_literal_behind(checker, iterable), scope):
                continue
            if not isinstance(element, ast.Call):
                continue  # awaitables made elsewhere, not coroutines built per item
            coroutine, created = _unwrap_task(checker, element)
            if coroutine is not None and _limits_itself(checker, coroutine):
                continue
            _report_unbounded(checker, call, coroutine, created, "`asyncio.gather`")
            return


def _check_task_group_loop(checker: AsyncChecker, call: ast.Call) -> None:
    loops = checker.frame.loops
    if not loops or not isinstance(loops[-1], ast.For) or not call.args:
        return
    if _is_bounded(loops[-1].iter, checker.scope(checker.frame)):
        return
    coroutine = call.args[0] if isinstance(call.args[0], ast.Call) else None
    if coroutine is not None and _limits_itself(checker, coroutine):
        return
    _report_unbounded(checker, call, coroutine, False, "a TaskGroup")


def _literal_behind(checker: AsyncChecker, iterable: ast.expr) -> ast.expr:
    """The literal a local name holds when it is bound once to one and never changed
    (``urls = [a, b, c]`` then ``gather(*(fetch(u) for u in urls))``: three, a known size),
    else ``iterable`` itself."""
    if not isinstance(iterable, ast.Name) or not isinstance(checker.frame.node, FUNCTIONS):
        return iterable
    return once_bound_literal(iterable.id, checker.frame.node) or iterable


def _gathered(checker: AsyncChecker, value: ast.expr) -> list[tuple[ast.expr, ast.expr]]:
    """(element, iterable) pairs of ``*value``: a comprehension, or a local list filled by a
    comprehension or by ``append`` in a loop."""
    if isinstance(value, (ast.ListComp, ast.GeneratorExp, ast.SetComp)):
        return [(value.elt, value.generators[0].iter)]
    if isinstance(value, ast.Name):
        return _task_lists(checker, checker.frame).get(value.id, [])
    return []


def _task_lists(checker: AsyncChecker, frame: Frame) -> dict[str, list[tuple[ast.expr, ast.expr]]]:
    body = frame.body if frame.node is not None else checker.facts.source.tree.body
    return checker.remember("task lists", frame.node, lambda: _collect_task_lists(body))


def _unwrap_task(checker: AsyncChecker, element: ast.expr) -> tuple[ast.Call | None, bool]:
    """The coroutine call an element makes, and whether it is wrapped in a task first."""
    if not isinstance(element, ast.Call):
        return None, False
    if element.args and checker.qualify(element.func) in TASK_FACTORIES:
        inner = element.args[0]
        return (inner if isinstance(inner, ast.Call) else None), True
    return element, False


def _limits_itself(checker: AsyncChecker, coroutine: ast.Call) -> bool:
    """The coroutine's function (same module) enters `async with` a Semaphore for its work."""
    if not isinstance(coroutine.func, ast.Name):
        return False
    found = checker.function_named(coroutine.func.id)
    if found is None:
        return False
    function, frame = found

    def enters_a_semaphore() -> bool:
        resolver = scope_of(function, checker.scope(frame)).resolver
        return any(
            isinstance(node, ast.AsyncWith)
            and any(resolver.qualify(i.context_expr) in _SEMAPHORES for i in node.items)
            for node in walk_scope(function.body)
        )

    return checker.remember("limits itself", function, enters_a_semaphore)


def _report_unbounded(
    checker: AsyncChecker, call: ast.Call, coroutine: ast.Call | None, created: bool, runner: str
) -> None:
    reasons = []
    if created:
        reasons.append(_CREATED_TASKS_REASON)
    reasons += _waiting_reasons(checker, coroutine)
    name = f"`{call_name(coroutine)}(...)`" if coroutine is not None else "coroutines"
    checker.findings.append(
        Finding(
            rule=RULE,
            path=checker.facts.path,
            **located(checker.facts.source, call),
            message=f"{runner} starts {name} for every item of an iterable of unknown size "
            "at once: bound how many run together with an `asyncio.Semaphore`",
            kind="io",
            suggestion="bounded_pool",
            fix_safety="unsafe" if reasons else "safe",
            reasons=tuple(reasons),
        )
    )


def _waiting_reasons(checker: AsyncChecker, coroutine: ast.Call | None) -> list[str]:
    """Why a bound could deadlock: the coroutines may wait on each other."""
    found = None
    if coroutine is not None and isinstance(coroutine.func, ast.Name):
        found = checker.function_named(coroutine.func.id)
    if found is None:
        what = f"`{call_name(coroutine)}`" if coroutine is not None else "the coroutine"
        return [
            f"{what} is not defined in this module: whether its coroutines wait on each other "
            "(a Queue, an Event) under the bound is unknown"
        ]
    function, frame = found
    resolver = scope_of(function, checker.scope(frame)).resolver
    own = locals_of(function) - parameters(function.args)  # made by each call: its own
    own |= _known_not_waiting(checker, function, coroutine)
    for node in walk_scope(function.body):
        if isinstance(node, (ast.Name, ast.Attribute)):
            qualified = resolver.qualify(node)
            if qualified is not None and qualified.startswith(_WAITING_PRIMITIVES):
                primitive = qualified.removesuffix("()").split("()")[0]
                return [
                    f"`{function.name}` uses `{primitive}`: coroutines that wait on each "
                    "other can deadlock under a bound (a waiter holds the slot its producer "
                    "needs)"
                ]
        shared = _shared_waiting(node, own)
        if shared is not None:
            return [
                f"`{function.name}` {shared}: coroutines that wait on each other can "
                "deadlock under a bound (a waiter holds the slot the one it waits for needs)"
            ]
    return []


def _known_not_waiting(
    checker: AsyncChecker, function: FunctionNode, coroutine: ast.Call | None
) -> set[str]:
    """The parameters whose argument, where the coroutines are made, is an object of a known
    class other than an asyncio waiting primitive (``fetch(session, url)`` with ``session``
    an ``aiohttp.ClientSession()``): its ``get`` is a request, not a queue's."""
    if coroutine is None:
        return set()
    names = [a.arg for a in (*function.args.posonlyargs, *function.args.args)]
    passed = dict(zip(names, coroutine.args, strict=False))
    passed |= {k.arg: k.value for k in coroutine.keywords if k.arg is not None}
    resolver = checker.scope(checker.frame).resolver
    known = set()
    for name, argument in passed.items():
        qualified = resolver.qualify(argument)
        if qualified is not None and not qualified.startswith(
            (*_WAITING_PRIMITIVES, "asyncio.Future", "asyncio.Task", "asyncio.Semaphore")
        ):
            known.add(name)
    return known


# Methods through which one coroutine hands a value or a signal to another (a future resolved, an
# event set, a queue fed), or waits for one: on an object the coroutines share, a bound can hold
# the slot the other side needs.
_HAND_OVER_METHODS = frozenset(
    {"set_result", "set_exception", "set", "put", "put_nowait", "get", "get_nowait", "wait",
     "wait_for", "notify", "notify_all", "release", "acquire", "join", "task_done", "send",
     "receive"}
)  # fmt: skip


def _shared_waiting(node: ast.AST, own: set[str]) -> str | None:
    """What ``node`` does that waits on, or hands over to, another coroutine through an object it
    did not make itself (a parameter, a global): awaiting a future or task it was given, or
    resolving, setting or feeding one (``replies[i].set_result(x)``)."""
    target: ast.expr | None = None
    what = ""
    if isinstance(node, ast.Await) and not isinstance(node.value, ast.Call):
        target, what = node.value, "awaits `{}`, which another coroutine may resolve"
    elif (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr in _HAND_OVER_METHODS
    ):
        target, what = node.func.value, f"calls `.{node.func.attr}()` on `{{}}`"
    if target is None:
        return None
    root = target
    while isinstance(root, ast.Attribute | ast.Subscript):
        root = root.value
    if not isinstance(root, ast.Name) or root.id in own:
        return None
    return what.format(ast.unparse(target))


def _is_bounded(iterable: ast.expr, scope: Scope) -> bool:
    if is_literal(iterable):
        return known_size(iterable, scope) is not None
    size = known_size(iterable, scope)
    return size is not None and size <= MAX_UNBOUNDED_GATHER


def _collect_task_lists(body: list[ast.stmt]) -> dict[str, list[tuple[ast.expr, ast.expr]]]:
    """Local lists of coroutines or tasks: ``tasks = [f(x) for x in xs]`` and
    ``for x in xs: tasks.append(f(x))`` → {"tasks": [(f(x), xs)]}."""
    found: dict[str, list[tuple[ast.expr, ast.expr]]] = {}

    def scan(statements: list[ast.stmt], iterable: ast.expr | None) -> None:
        for statement in statements:
            if isinstance(statement, SCOPE_NODES):
                continue
            if (
                isinstance(statement, ast.Assign)
                and len(statement.targets) == 1
                and isinstance(statement.targets[0], ast.Name)
                and isinstance(statement.value, (ast.ListComp, ast.GeneratorExp, ast.SetComp))
            ):
                comprehension = statement.value
                found.setdefault(statement.targets[0].id, []).append(
                    (comprehension.elt, comprehension.generators[0].iter)
                )
            appended = appended_statement(statement)
            if appended is not None and iterable is not None:
                found.setdefault(appended[0], []).append((appended[1], iterable))
            if isinstance(statement, ast.For):
                scan(statement.body, statement.iter)
            elif isinstance(statement, (ast.While, ast.AsyncFor)):
                scan(statement.body, None)  # no iterable whose size the source could tell
            else:
                scan(getattr(statement, "body", []), iterable)
            scan(getattr(statement, "orelse", []), iterable)
            scan(getattr(statement, "finalbody", []), iterable)
            for handler in getattr(statement, "handlers", ()):
                scan(handler.body, iterable)
            for case in getattr(statement, "cases", ()):
                scan(case.body, iterable)

    scan(body, None)
    return found
