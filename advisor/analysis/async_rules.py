"""The asyncio rules from source alone: CA301 blocking call inside `async def`, CA104 serial awaits
in a loop, CA302 `asyncio.run` in a loop, CA303 unbounded gather, CA304 discarded task.

One visit of the module's ``ast`` finds them all. Names resolve per function: a local bound once
to a known constructor (``client = httpx.Client()``, ``path = Path(p)``, ``loop =
asyncio.get_running_loop()``, ``async with asyncio.TaskGroup() as tg``, a parameter annotated
``client: httpx.Client``) resolves like a module-level instance, and a local that shadows an
import or a builtin (``def f(open): open(x)``) resolves to nothing. Scopes are resolved lazily:
a plain function costs nothing unless one of its calls could be one of these rules.
"""

from __future__ import annotations

import ast
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from advisor.analysis.concurrency_knowledge import (
    ConcurrencyKnowledge,
    EventLoop,
    load_concurrency_knowledge,
)
from advisor.analysis.effects import EffectAnalyzer, FunctionNode
from advisor.analysis.facts import ModuleFacts
from advisor.analysis.independence import opens_to_read
from advisor.analysis.knowledge import AsyncReplacement
from advisor.analysis.loop_rules import MIN_STATIC_ITEMS
from advisor.analysis.safety import (
    comprehension_doubts,
    comprehension_reasons,
    for_loop_doubts,
    for_loop_reasons,
)
from advisor.model import Finding, FixSafety
from advisor.syntax.bindings import (
    SCOPE_NODES,
    bound_names,
    dotted_name,
    locals_of,
    parameters,
    walk_scope,
)
from advisor.syntax.item_flow import MUTATING_METHODS, NameUse
from advisor.syntax.resolve import NameResolver
from advisor.syntax.scopes import Scope, int_value, module_constants, scope_of
from advisor.syntax.serial_tail import serial_tail, writes_output
from advisor.syntax.sites import node_shape, site_of
from advisor.syntax.source import Source
from advisor.syntax.statements import FUNCTIONS

# A gather over more items than this, known only by a slice or `range` bound, is treated as
# unbounded: it is the upper end of the bound CA303 recommends (20-100 at once).
MAX_UNBOUNDED_GATHER = 100

_FUNCTIONS = FUNCTIONS
_LOOPS = (ast.For, ast.AsyncFor, ast.While)
_COMPREHENSIONS = (ast.ListComp, ast.SetComp, ast.DictComp, ast.GeneratorExp)
_TASK_FACTORIES = frozenset(
    {
        "asyncio.create_task",
        "asyncio.ensure_future",
        "asyncio.get_running_loop().create_task",
        "asyncio.get_event_loop().create_task",
        "asyncio.new_event_loop().create_task",
    }
)
_TASK_GROUP_CREATE = "asyncio.TaskGroup().create_task"
_COLLECTING_METHODS = frozenset({"append", "appendleft", "add", "extend", "insert", "update",
                                 "setdefault"})  # fmt: skip
_SEMAPHORES = frozenset({"asyncio.Semaphore()", "asyncio.BoundedSemaphore()"})
# asyncio primitives through which one coroutine waits for another: under a bound, a waiter can
# hold the slot its producer needs.
_WAITING_PRIMITIVES = ("asyncio.Queue", "asyncio.LifoQueue", "asyncio.PriorityQueue",
                       "asyncio.Event", "asyncio.Condition", "asyncio.Barrier")  # fmt: skip
# Last name segments of the calls the rules look at in plain (non-async) code: a call there is
# resolved only when its name ends in one of these or is an imported alias.
_SYNC_CANDIDATES = frozenset({"run", "gather", "create_task", "ensure_future"})
_TASK_FACTORY_NAMES = frozenset({"create_task", "ensure_future"})
# async.toml has a `default` table, which the knowledge loader does not read; this mirrors it.

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
_GATHER_TIMING_REASON = (
    "running the items concurrently changes their timing and the order of their side effects; "
    "one coroutine awaiting them in turn is the behaviour-preserving first step"
)
_CREATED_TASKS_REASON = (
    "the gathered objects are Tasks created earlier (`create_task`): they are already running, "
    "so the bound has to go where they are created"
)


def detect_async_rules(facts: ModuleFacts, min_items: int = MIN_STATIC_ITEMS) -> list[Finding]:
    """The asyncio rules' findings. ``min_items``: CA104 skips loops over fewer items known
    from source (a profile, which measures whether a few long awaits are worth it, passes 2)."""
    if "async" not in facts.source.text:
        # every rule here needs an `async def` or a name imported from asyncio: most modules
        # are skipped without walking their tree
        return []
    visitor = _AsyncRulesVisitor(facts, min_items)
    visitor.walk(facts.source.tree)
    return visitor.findings


@dataclass
class _Frame:
    """One function (or lambda, or the module) being visited, and the loops open inside it."""

    node: FunctionNode | ast.Lambda | None  # None: the module
    parent: _Frame | None
    loops: list[ast.AST] = field(default_factory=list)  # For/AsyncFor/While/comprehension
    scope: Scope | None = None

    @property
    def is_async(self) -> bool:
        return isinstance(self.node, ast.AsyncFunctionDef)

    @property
    def body(self) -> list[ast.stmt]:
        return self.node.body if isinstance(self.node, _FUNCTIONS) else []


def known_size(iterable: ast.expr, scope: Scope) -> int | None:
    """How many items iterating ``iterable`` gives, when the source says: a literal, a slice with
    constant bounds (an upper bound), or ``range`` of constants (``range(TOTAL)`` after
    ``TOTAL = 25`` too)."""
    if isinstance(iterable, (ast.Tuple, ast.List, ast.Set)):
        if not any(isinstance(e, ast.Starred) for e in iterable.elts):
            return len(iterable.elts)
        return None
    if isinstance(iterable, ast.Dict) and None not in iterable.keys:
        return len(iterable.keys)
    constants = scope.constants
    if isinstance(iterable, ast.Subscript) and isinstance(iterable.slice, ast.Slice):
        part = iterable.slice
        lower = 0 if part.lower is None else int_value(part.lower, constants)
        upper = None if part.upper is None else int_value(part.upper, constants)
        if part.step is None and lower is not None and upper is not None and lower >= 0:
            return max(0, upper - lower) if upper >= 0 else None
        return None
    if isinstance(iterable, ast.Call) and scope.resolver.qualify(iterable.func) == "builtins.range":
        bounds = [int_value(a, constants) for a in iterable.args]
        if 1 <= len(bounds) <= 3 and not iterable.keywords and None not in bounds:
            try:
                return len(range(*bounds))  # type: ignore[arg-type]  # None excluded above
            except (ValueError, OverflowError):
                return None
    return None


def once_bound_literal(name: str, function: ast.AST) -> ast.expr | None:
    """The list, tuple, set or dict display ``name`` is bound to, when the function binds it
    exactly once (a plain assignment), nothing in it (nested functions included) rebinds,
    deletes or mutates it, and it is not a parameter nor declared global or nonlocal."""
    literal: ast.expr | None = None
    stores = 0
    for node in ast.walk(function):
        if _changes_in_place(node, name):
            return None
        if isinstance(node, ast.Name) and node.id == name and not isinstance(node.ctx, ast.Load):
            stores += 1
        if (
            isinstance(node, ast.Assign)
            and len(node.targets) == 1
            and isinstance(node.targets[0], ast.Name)
            and node.targets[0].id == name
            and _is_literal(node.value)
        ):
            literal = node.value
    return literal if stores == 1 else None


def _changes_in_place(node: ast.AST, name: str) -> bool:
    """Does ``node`` make ``name`` a parameter or a global/nonlocal, call a mutating method on
    it, or store into an item or attribute of it?"""
    if isinstance(node, ast.arg):
        return node.arg == name
    if isinstance(node, (ast.Global, ast.Nonlocal)):
        return name in node.names
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
        receiver = node.func.value
        return (
            isinstance(receiver, ast.Name)
            and receiver.id == name
            and node.func.attr in MUTATING_METHODS
        )
    if isinstance(node, (ast.Subscript, ast.Attribute)) and not isinstance(node.ctx, ast.Load):
        return isinstance(node.value, ast.Name) and node.value.id == name
    return False


def _reduces_the_result(loop: ast.For) -> bool:
    """``total += await f(x)`` last: the gather's results are added in order, serially."""
    last = loop.body[-1]
    return (
        isinstance(last, ast.AugAssign)
        and isinstance(last.target, ast.Name)
        and isinstance(last.value, ast.Await)
    )


def _is_literal(iterable: ast.expr) -> bool:
    return isinstance(iterable, (ast.Tuple, ast.List, ast.Set, ast.Dict))


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


def _call_name(call: ast.Call) -> str:
    name = dotted_name(call.func) or ast.unparse(call.func)
    return name if len(name) <= 40 else name[:37] + "..."


def _last_segment(func: ast.expr) -> str | None:
    if isinstance(func, ast.Attribute):
        return func.attr
    if isinstance(func, ast.Name):
        return func.id
    return None


# one step of the traversal: a node to visit, or an action to run when the walk gets back to it
_Step = ast.AST | tuple[Callable[[Any], None], Any]


def _located(source: Source, node: ast.AST) -> dict[str, Any]:
    """A finding's lines and its site: the node the fix takes."""
    line = node.lineno  # type: ignore[attr-defined]
    end_line = node.end_lineno or line  # type: ignore[attr-defined]
    return {"line": line, "end_line": end_line, "site": site_of(source, node, node_shape(node))}


class _AsyncRulesVisitor:
    def __init__(self, facts: ModuleFacts, min_items: int = MIN_STATIC_ITEMS) -> None:
        self.facts = facts
        self.min_items = min_items
        self.findings: list[Finding] = []
        module = Scope(facts.resolver, facts.effects.functions, module_constants(facts.source.tree))
        self.frame = _Frame(None, None, scope=module)
        self.statement: ast.stmt | None = None
        # calls that are awaited, entered with `async with` or iterated with `async for`: they
        # return awaitables, so they are async APIs, not blocking calls
        self.async_calls: set[int] = set()
        self.with_calls: set[int] = set()  # context managers of a plain `with`
        self.statement_calls: set[int] = set()  # calls that are a whole expression statement
        self._task_lists: dict[int, dict[str, list[tuple[ast.expr, ast.expr]]]] = {}
        self._writes: dict[int, frozenset[str]] = {}
        self._limits: dict[int, bool] = {}
        self._loop: EventLoop | str | None = None  # the module's event-loop library, once read

    # ---------------------------------------------------------------- scopes and resolution

    def scope(self, frame: _Frame) -> Scope:
        if frame.scope is None:
            assert frame.parent is not None and frame.node is not None
            frame.scope = scope_of(frame.node, self.scope(frame.parent))
        return frame.scope

    def qualify(self, expr: ast.expr) -> str | None:
        return self.scope(self.frame).resolver.qualify(expr)

    def _may_be(self, func: ast.expr, names: frozenset[str]) -> bool:
        """Could ``func`` resolve to one of these names? Cheap: its last name is one of them, or
        it is an imported alias (``from asyncio import run as arun``)."""
        return _last_segment(func) in names or (
            isinstance(func, ast.Name) and func.id in self.facts.resolver.aliases
        )

    def function_named(self, name: str) -> tuple[FunctionNode, _Frame] | None:
        """The function a name calls, defined in this scope, an enclosing one or the module."""
        frame: _Frame | None = self.frame
        while frame is not None:
            if isinstance(frame.node, ast.Lambda):
                frame = frame.parent
                continue
            function = self.scope(frame).functions.get(name)
            if function is not None:
                return function, frame
            frame = frame.parent
        return None

    # ---------------------------------------------------------------- traversal
    #
    # Iterative, with an explicit stack: generated code nests expressions thousands deep
    # (`a + a + ...`), deeper than Python's recursion limit. A step is either a node to visit or
    # an action (function, argument) run when the traversal gets back to it (leaving a scope,
    # a loop or a statement).

    def walk(self, tree: ast.Module) -> None:
        handlers = {
            ast.FunctionDef: self._plan_function,
            ast.AsyncFunctionDef: self._plan_function,
            ast.Lambda: self._plan_lambda,
            ast.For: self._plan_for,
            ast.AsyncFor: self._plan_for,
            ast.While: self._plan_while,
            ast.ListComp: self._plan_comprehension,
            ast.SetComp: self._plan_comprehension,
            ast.DictComp: self._plan_comprehension,
            ast.GeneratorExp: self._plan_comprehension,
            ast.Await: self._plan_await,
            ast.AsyncWith: self._plan_async_with,
            ast.With: self._plan_with,
            ast.Expr: self._plan_expression_statement,
            ast.Call: self._plan_call,
        }
        stack: list[_Step] = [tree]
        while stack:
            step = stack.pop()
            if isinstance(step, tuple):
                action, argument = step
                action(argument)
                continue
            restore = None
            if isinstance(step, ast.stmt):
                restore = (self._set_statement, self.statement)
                self.statement = step
            handler = handlers.get(type(step))
            plan = handler(step) if handler is not None else list(ast.iter_child_nodes(step))
            if restore is not None:
                stack.append(restore)
            stack.extend(reversed([s for s in plan if s is not None]))

    def _set_statement(self, statement: ast.stmt | None) -> None:
        self.statement = statement

    def _push_frame(self, node: FunctionNode | ast.Lambda) -> None:
        self.frame = _Frame(node, self.frame)

    def _pop_frame(self, _: None) -> None:
        assert self.frame.parent is not None
        self.frame = self.frame.parent

    def _push_loop(self, loop: ast.AST) -> None:
        self.frame.loops.append(loop)

    def _pop_loop(self, _: None) -> None:
        self.frame.loops.pop()

    @staticmethod
    def _signature(args: ast.arguments) -> list[_Step | None]:
        # defaults (and annotations) run where the function is defined, not when it is called
        every = (*args.posonlyargs, *args.args, *args.kwonlyargs, args.vararg, args.kwarg)
        return [
            *args.defaults,
            *args.kw_defaults,
            *(a.annotation for a in every if a is not None),
        ]

    def _plan_function(self, node: FunctionNode) -> list[_Step | None]:
        return [
            *node.decorator_list,
            *self._signature(node.args),
            node.returns,
            (self._push_frame, node),
            *node.body,
            (self._pop_frame, None),
        ]

    def _plan_lambda(self, node: ast.Lambda) -> list[_Step | None]:
        return [*self._signature(node.args), (self._push_frame, node), node.body,
                (self._pop_frame, None)]  # fmt: skip

    # a class body runs where the class statement is: it stays in the enclosing frame

    def _plan_await(self, node: ast.Await) -> list[_Step | None]:
        if isinstance(node.value, ast.Call):
            self.async_calls.add(id(node.value))
        return [node.value]

    def _plan_async_with(self, node: ast.AsyncWith) -> list[_Step | None]:
        self.async_calls.update(id(item.context_expr) for item in node.items)
        return list(ast.iter_child_nodes(node))

    def _plan_with(self, node: ast.With) -> list[_Step | None]:
        self.with_calls.update(id(item.context_expr) for item in node.items)
        return list(ast.iter_child_nodes(node))

    def _plan_expression_statement(self, node: ast.Expr) -> list[_Step | None]:
        if isinstance(node.value, ast.Call):
            self.statement_calls.add(id(node.value))
            self._check_dangling_task(node.value)
        return [node.value]

    def _plan_for(self, loop: ast.For | ast.AsyncFor) -> list[_Step | None]:
        # the iterable is evaluated once, before the loop; the body per item
        if isinstance(loop, ast.AsyncFor):
            self.async_calls.add(id(loop.iter))
        elif self.frame.is_async:
            self._check_serial_await_loop(loop)
        return [loop.iter, (self._push_loop, loop), loop.target, *loop.body,
                (self._pop_loop, None), *loop.orelse]  # fmt: skip

    def _plan_while(self, loop: ast.While) -> list[_Step | None]:
        # the test runs before every item, like the body
        return [(self._push_loop, loop), loop.test, *loop.body, (self._pop_loop, None),
                *loop.orelse]  # fmt: skip

    def _plan_comprehension(self, node: ast.expr) -> list[_Step | None]:
        generators: list[ast.comprehension] = node.generators  # type: ignore[attr-defined]
        if self.frame.is_async and not isinstance(node, ast.GeneratorExp):
            self._check_serial_await_comprehension(node)
        self.async_calls.update(id(g.iter) for g in generators if g.is_async)
        # the first iterable is evaluated once, where the comprehension is; the rest per item
        plan: list[_Step | None] = [generators[0].iter, (self._push_loop, node)]
        for index, generator in enumerate(generators):
            plan += [generator.target, generator.iter if index else None, *generator.ifs]
        elements = ("key", "value") if isinstance(node, ast.DictComp) else ("elt",)
        return [*plan, *(getattr(node, name) for name in elements), (self._pop_loop, None)]

    def _plan_call(self, node: ast.Call) -> list[_Step | None]:
        if self.frame.is_async:
            qualified = self.qualify(node.func)
            if qualified is not None and id(node) not in self.async_calls:
                self._check_blocking_call(node, qualified)
        elif self._may_be(node.func, _SYNC_CANDIDATES):
            qualified = self.qualify(node.func)
        else:
            qualified = None
        if qualified == "asyncio.run" and self.frame.loops:
            self._report_run_in_loop(node)
        elif qualified == "asyncio.gather":
            self._check_gather(node)
        elif qualified == _TASK_GROUP_CREATE:
            self._check_task_group_loop(node)
        return list(ast.iter_child_nodes(node))

    # ---------------------------------------------------------------- CA301

    def _check_blocking_call(self, call: ast.Call, qualified: str) -> None:
        knowledge = self.facts.knowledge
        if not knowledge.blocks_in_async(qualified) or self._on_blocking_result(qualified):
            return
        function = self.frame.node
        assert isinstance(function, ast.AsyncFunctionDef)
        replacement = knowledge.replacement_in_async(qualified)
        shown = qualified.removeprefix("builtins.")
        safety, reasons = self._blocking_fix_safety(call, function, replacement)
        loop = self.event_loop()
        # the only doubt the event loop: a run of the program shows which one runs it, loudly
        checkable = safety == "unsafe" and reasons == (loop,)
        self.findings.append(
            Finding(
                rule="CA301",
                path=self.facts.path,
                **_located(self.facts.source, call),
                message=f"blocking call `{shown}` inside `async def {function.name}`: "
                f"use {_replacement_text(replacement, loop)}",
                kind="io",
                suggestion=replacement.suggestion,  # type: ignore[arg-type]  # data: to_thread, ...
                fix_safety=safety,
                reasons=reasons,
                run_checkable=True if checkable else None,
            )
        )

    def _on_blocking_result(self, qualified: str) -> bool:
        """``requests.get(u).json()`` (or ``r.json()`` after ``r = requests.get(u)``): a method of
        what a blocking call returned, which is that call's finding, not one of its own."""
        receiver, _, _ = qualified.rpartition("()")
        return bool(receiver) and self.facts.knowledge.blocks_in_async(receiver)

    def _blocking_fix_safety(
        self, call: ast.Call, function: ast.AsyncFunctionDef, replacement: AsyncReplacement
    ) -> tuple[FixSafety, tuple[str, ...]]:
        display_only = []
        if id(call) in self.with_calls:
            display_only.append(_WITH_BLOCK_REASON)
        if replacement.switches_client:
            client = replacement.replacement.split(",")[0].strip()
            display_only.append(_CLIENT_SWITCH_REASON.format(client))
        if display_only:
            return "none", tuple(display_only)
        reasons = []
        if replacement.suggestion != "asyncio_sleep":
            reasons.append(_THREAD_REASON)
        elif id(call) not in self.statement_calls:
            reasons.append(_SLEEP_IN_EXPRESSION)
        reasons += [
            f"other tasks can run while the call waits, and the coroutine {write}"
            for write in sorted(self.coroutine_writes(function))
        ]
        torn = self._writes_around(call, function)
        if torn is not None:
            reasons.append(
                f"the new `await` is a point where the coroutine can be cancelled (a timeout, a "
                f"failing task group): {torn}"
            )
        loop = self.event_loop()
        if isinstance(loop, str):
            reasons.append(loop)
        return ("unsafe" if reasons else "safe"), tuple(reasons)

    def event_loop(self) -> EventLoop | str:
        """The event-loop library this module runs its coroutines on (read once)."""
        if self._loop is None:
            self._loop = load_concurrency_knowledge().event_loop_of(self.facts.source.tree)
        return self._loop

    def _writes_around(self, call: ast.Call, function: ast.AsyncFunctionDef) -> str | None:
        """What the coroutine writes both before and after ``call``, if it does: a cancellation
        at the new await would leave the first write without the second."""
        knowledge = load_concurrency_knowledge()
        resolver = self.scope(self.frame).resolver
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

    def coroutine_writes(self, function: ast.AsyncFunctionDef) -> frozenset[str]:
        """Writes to shared state in the coroutine (and the same-module functions it calls)."""
        if id(function) not in self._writes:
            analyzer = self.facts.effects
            if analyzer.functions.get(function.name) is not function:
                # a method or nested coroutine: analyse it as if it stood alone in a module
                alone = ast.Module(body=[function], type_ignores=[])
                analyzer = EffectAnalyzer(alone, self.facts.resolver, self.facts.knowledge)
            self._writes[id(function)] = analyzer.function_effects(function.name).shared_writes
        return self._writes[id(function)]

    # ---------------------------------------------------------------- CA104

    def _serial_await(self, awaits: list[ast.Await], collected: set[int]) -> ast.Call | None:
        """The one call awaited per item, when its result is collected. Several awaits per item
        are a sequence (send, then receive) and ``await asyncio.sleep(...)`` paces on purpose."""
        if len(awaits) != 1 or id(awaits[0]) not in collected:
            return None
        call = awaits[0].value
        if not isinstance(call, ast.Call) or self.qualify(call.func) == "asyncio.sleep":
            return None
        return call

    def _check_serial_await_loop(self, loop: ast.For) -> None:
        size = known_size(loop.iter, self.scope(self.frame))
        if size is not None and size < self.min_items:
            return
        found = _loop_awaits(loop)
        if found is None:
            return
        awaits, collected = found
        awaited = self._serial_await(awaits, collected)
        if awaited is None:
            return
        # what follows the await and only prints or collects (a serial tail) runs after the
        # gather, in order, and may carry its own totals; the rest runs per item, concurrently
        tail = serial_tail(loop)
        work = loop.body if tail is None else list(tail.work)
        use = NameUse()
        for statement in work:
            use.visit(statement)
        if use.carried() - bound_names(loop.target):
            return  # the next call needs the previous result (pagination, a running version)
        doubts = [
            doubt
            for doubt in for_loop_doubts(loop, self.facts, cooperative=True, split=True)
            # every loop here awaits (a thread pool could not run it; gather can)
            if not doubt.reason.startswith("`await` inside the loop")
        ]
        reasons = [d.reason for d in doubts if not d.checkable]
        checkable = [d.reason for d in doubts if d.checkable]
        function = self.frame.node
        assert isinstance(function, ast.AsyncFunctionDef)
        if tail is not None and writes_output(tail.tail):
            # a pool's map hands results over in order, so earlier items print before a
            # failure surfaces; a gather raises before any item's output
            reasons.append(
                "the body prints after the await: if an item fails, the gather raises before "
                "any item's output, where the loop printed every item before the failing one"
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
        self._report_serial_await(loop, awaited, function, reasons, checkable)

    def _check_serial_await_comprehension(self, node: ast.expr) -> None:
        generators: list[ast.comprehension] = node.generators  # type: ignore[attr-defined]
        if any(g.is_async for g in generators):
            return
        size = known_size(generators[0].iter, self.scope(self.frame))
        if size is not None and size < self.min_items:
            return
        elements = [node.key, node.value] if isinstance(node, ast.DictComp) else [node.elt]  # type: ignore[attr-defined]
        awaits = [n for n in _walk_expression(elements) if isinstance(n, ast.Await)]
        awaited = self._serial_await(awaits, {id(a) for a in awaits})  # the element is the result
        if awaited is None:
            return
        doubts = comprehension_doubts(node, self.facts, cooperative=True)
        reasons = [d.reason for d in doubts if not d.checkable]
        checkable = [d.reason for d in doubts if d.checkable]
        if not any(isinstance(e, ast.Await) for e in elements[-1:]):
            reasons.append(
                "the element does more than await one call: "
                "gather the calls, then build the result from them"
            )
        statement = self.statement
        where = statement if statement is not None and not hasattr(statement, "body") else node
        function = self.frame.node
        assert isinstance(function, ast.AsyncFunctionDef)
        self._report_serial_await(where, awaited, function, reasons, checkable)

    def _report_serial_await(
        self,
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
        self.findings.append(
            Finding(
                rule="CA104",
                path=self.facts.path,
                **_located(self.facts.source, where),
                message=f"`await {_call_name(awaited)}(...)` one item at a time inside "
                f"`async def {function.name}`: start the calls together with `asyncio.gather` "
                "(bounded by a Semaphore)",
                kind="io",
                suggestion="asyncio_gather",
                fix_safety="unsafe" if unique else "safe",
                reasons=unique,
                run_checkable=True if only_checkable else None,
            )
        )

    # ---------------------------------------------------------------- CA302

    def _report_run_in_loop(self, call: ast.Call) -> None:
        loop = self.frame.loops[-1]
        safety: FixSafety = "unsafe"
        if isinstance(loop, ast.While):
            safety = "none"
            reasons = ["no automatic rewrite for a `while` loop: its items are not known upfront"]
        elif isinstance(loop, ast.AsyncFor):
            safety = "none"
            reasons = ["`asyncio.run` cannot be called from a running event loop"]
        elif isinstance(loop, ast.For):
            reasons = [*for_loop_reasons(loop, self.facts, cooperative=True), _GATHER_TIMING_REASON]
        else:
            reasons = [
                *comprehension_reasons(loop, self.facts, cooperative=True),
                _GATHER_TIMING_REASON,
            ]  # type: ignore[arg-type]
        kind_of_loop = "comprehension" if isinstance(loop, _COMPREHENSIONS) else "loop"
        if loop.lineno != call.lineno:  # type: ignore[attr-defined]
            kind_of_loop += f" (line {loop.lineno})"  # type: ignore[attr-defined]
        self.findings.append(
            Finding(
                rule="CA302",
                path=self.facts.path,
                **_located(self.facts.source, call),
                message=f"`asyncio.run` inside a {kind_of_loop} "
                "starts a new event loop per item and runs the items one after another: run "
                "one coroutine that gathers them",
                kind="io",
                suggestion="asyncio_gather",
                fix_safety=safety,
                reasons=tuple(dict.fromkeys(reasons)),
            )
        )

    # ---------------------------------------------------------------- CA303

    def _check_gather(self, call: ast.Call) -> None:
        scope = self.scope(self.frame)
        for argument in call.args:
            if not isinstance(argument, ast.Starred):
                continue
            for element, iterable in self._gathered(argument.value):
                if _is_bounded(self._literal_behind(iterable), scope):
                    continue
                if not isinstance(element, ast.Call):
                    continue  # awaitables made elsewhere, not coroutines built per item
                coroutine, created = self._unwrap_task(element)
                if coroutine is not None and self._limits_itself(coroutine):
                    continue
                self._report_unbounded(call, coroutine, created, "`asyncio.gather`")
                return

    def _check_task_group_loop(self, call: ast.Call) -> None:
        loops = self.frame.loops
        if not loops or not isinstance(loops[-1], ast.For) or not call.args:
            return
        if _is_bounded(loops[-1].iter, self.scope(self.frame)):
            return
        coroutine = call.args[0] if isinstance(call.args[0], ast.Call) else None
        if coroutine is not None and self._limits_itself(coroutine):
            return
        self._report_unbounded(call, coroutine, False, "a TaskGroup")

    def _literal_behind(self, iterable: ast.expr) -> ast.expr:
        """The literal a local name holds when it is bound once to one and never changed
        (``urls = [a, b, c]`` then ``gather(*(fetch(u) for u in urls))``: three, a known size),
        else ``iterable`` itself."""
        if not isinstance(iterable, ast.Name) or not isinstance(self.frame.node, _FUNCTIONS):
            return iterable
        return once_bound_literal(iterable.id, self.frame.node) or iterable

    def _gathered(self, value: ast.expr) -> list[tuple[ast.expr, ast.expr]]:
        """(element, iterable) pairs of ``*value``: a comprehension, or a local list filled by a
        comprehension or by ``append`` in a loop."""
        if isinstance(value, (ast.ListComp, ast.GeneratorExp, ast.SetComp)):
            return [(value.elt, value.generators[0].iter)]
        if isinstance(value, ast.Name):
            return self.task_lists(self.frame).get(value.id, [])
        return []

    def task_lists(self, frame: _Frame) -> dict[str, list[tuple[ast.expr, ast.expr]]]:
        key = id(frame.node) if frame.node is not None else 0
        if key not in self._task_lists:
            body = frame.body if frame.node is not None else self.facts.source.tree.body
            self._task_lists[key] = _collect_task_lists(body)
        return self._task_lists[key]

    def _unwrap_task(self, element: ast.expr) -> tuple[ast.Call | None, bool]:
        """The coroutine call an element makes, and whether it is wrapped in a task first."""
        if not isinstance(element, ast.Call):
            return None, False
        if element.args and self.qualify(element.func) in _TASK_FACTORIES:
            inner = element.args[0]
            return (inner if isinstance(inner, ast.Call) else None), True
        return element, False

    def _limits_itself(self, coroutine: ast.Call) -> bool:
        """The coroutine's function (same module) enters `async with` a Semaphore for its work."""
        if not isinstance(coroutine.func, ast.Name):
            return False
        found = self.function_named(coroutine.func.id)
        if found is None:
            return False
        function, frame = found
        if id(function) not in self._limits:
            resolver = scope_of(function, self.scope(frame)).resolver
            self._limits[id(function)] = any(
                isinstance(node, ast.AsyncWith)
                and any(resolver.qualify(i.context_expr) in _SEMAPHORES for i in node.items)
                for node in walk_scope(function.body)
            )
        return self._limits[id(function)]

    def _report_unbounded(
        self, call: ast.Call, coroutine: ast.Call | None, created: bool, runner: str
    ) -> None:
        reasons = []
        if created:
            reasons.append(_CREATED_TASKS_REASON)
        reasons += self._waiting_reasons(coroutine)
        name = f"`{_call_name(coroutine)}(...)`" if coroutine is not None else "coroutines"
        self.findings.append(
            Finding(
                rule="CA303",
                path=self.facts.path,
                **_located(self.facts.source, call),
                message=f"{runner} starts {name} for every item of an iterable of unknown size "
                "at once: bound how many run together with an `asyncio.Semaphore`",
                kind="io",
                suggestion="bounded_pool",
                fix_safety="unsafe" if reasons else "safe",
                reasons=tuple(reasons),
            )
        )

    def _waiting_reasons(self, coroutine: ast.Call | None) -> list[str]:
        """Why a bound could deadlock: the coroutines may wait on each other."""
        found = None
        if coroutine is not None and isinstance(coroutine.func, ast.Name):
            found = self.function_named(coroutine.func.id)
        if found is None:
            what = f"`{_call_name(coroutine)}`" if coroutine is not None else "the coroutine"
            return [
                f"{what} is not defined in this module: whether its coroutines wait on each other "
                "(a Queue, an Event) under the bound is unknown"
            ]
        function, frame = found
        resolver = scope_of(function, self.scope(frame)).resolver
        own = locals_of(function) - parameters(function.args)  # made by each call: its own
        own |= self._known_not_waiting(function, coroutine)
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

    def _known_not_waiting(self, function: FunctionNode, coroutine: ast.Call | None) -> set[str]:
        """The parameters whose argument, where the coroutines are made, is an object of a known
        class other than an asyncio waiting primitive (``fetch(session, url)`` with ``session``
        an ``aiohttp.ClientSession()``): its ``get`` is a request, not a queue's."""
        if coroutine is None:
            return set()
        names = [a.arg for a in (*function.args.posonlyargs, *function.args.args)]
        passed = dict(zip(names, coroutine.args, strict=False))
        passed |= {k.arg: k.value for k in coroutine.keywords if k.arg is not None}
        resolver = self.scope(self.frame).resolver
        known = set()
        for name, argument in passed.items():
            qualified = resolver.qualify(argument)
            if qualified is not None and not qualified.startswith(
                (*_WAITING_PRIMITIVES, "asyncio.Future", "asyncio.Task", "asyncio.Semaphore")
            ):
                known.add(name)
        return known

    # ---------------------------------------------------------------- CA304

    def _check_dangling_task(self, call: ast.Call) -> None:
        if not self._may_be(call.func, _TASK_FACTORY_NAMES):
            return
        qualified = self.qualify(call.func)
        if qualified not in _TASK_FACTORIES:
            return
        self.findings.append(
            Finding(
                rule="CA304",
                path=self.facts.path,
                **_located(self.facts.source, call),
                message=f"the task returned by `{dotted_name(call.func) or qualified}` is "
                "discarded: the event loop keeps only a weak reference, so it can be "
                "garbage-collected before it finishes; keep a reference until it is done",
                kind="unknown",
                suggestion="none",
                fix_safety="safe",
            )
        )


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


def _walk_expression(nodes: Iterable[ast.AST]) -> Iterator[ast.AST]:
    """Nodes of an expression, not entering nested scopes or comprehensions (their own loops)."""
    stack = list(nodes)[::-1]
    while stack:
        node = stack.pop()
        yield node
        if not isinstance(node, (*SCOPE_NODES, *_COMPREHENSIONS)):
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
        inner = nested or isinstance(node, (*_LOOPS, *_COMPREHENSIONS))
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


def _appended_name(statement: ast.stmt) -> tuple[str, ast.expr] | None:
    """``out.append(x)`` as a statement → ("out", x)."""
    if not (isinstance(statement, ast.Expr) and isinstance(statement.value, ast.Call)):
        return None
    call = statement.value
    func = call.func
    if (
        isinstance(func, ast.Attribute)
        and func.attr == "append"
        and isinstance(func.value, ast.Name)
        and len(call.args) == 1
        and not call.keywords
    ):
        return func.value.id, call.args[0]
    return None


def _is_collection_form(loop: ast.For, function: FunctionNode) -> bool:
    """The body awaits one call and collects its result into a local list or dict:
    ``out.append(await f(x))``, ``r = await f(x); out.append(<r...>)``, ``d[x] = await f(x)``."""
    body = loop.body
    locals_ = locals_of(function) - parameters(function.args)
    if len(body) == 1:
        appended = _appended_name(body[0])
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
    if len(body) == 2 and isinstance(body[0], ast.Assign):
        first, appended = body[0], _appended_name(body[1])
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


def _is_bounded(iterable: ast.expr, scope: Scope) -> bool:
    if _is_literal(iterable):
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
            appended = _appended_name(statement)
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
