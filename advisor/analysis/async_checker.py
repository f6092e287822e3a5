"""The asyncio rules' one walk over a module: functions, their loops, and what each call is.

The walk is iterative, with an explicit stack (generated code nests expressions deeper than
Python's recursion limit). It keeps the function being visited (its frame, scope and open loops),
the statement, and which calls are awaited, entered with `with` or `async with`, or discarded;
the rules (one module each in ``advisor/analysis/checks/``) are called at those events.

Names resolve per function: a local bound once to a known constructor (``client =
httpx.Client()``, ``path = Path(p)``, ``loop = asyncio.get_running_loop()``, ``async with
asyncio.TaskGroup() as tg``, a parameter annotated ``client: httpx.Client``) resolves like a
module-level instance, and a local that shadows an import or a builtin (``def f(open): open(x)``)
resolves to nothing. Scopes are resolved lazily: a plain function costs nothing unless one of its
calls could be one of these rules.
"""

from __future__ import annotations

import ast
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from advisor.analysis.concurrency_knowledge import EventLoop, load_concurrency_knowledge
from advisor.analysis.effects import FunctionNode
from advisor.analysis.facts import ModuleFacts
from advisor.analysis.loop_rules import MIN_STATIC_ITEMS
from advisor.model import Finding
from advisor.syntax.bindings import dotted_name
from advisor.syntax.item_flow import MUTATING_METHODS
from advisor.syntax.scopes import (
    Scope,
    int_value,
)
from advisor.syntax.sites import node_shape, site_of
from advisor.syntax.source import Source
from advisor.syntax.statements import FUNCTIONS

T = TypeVar("T")

LOOPS = (ast.For, ast.AsyncFor, ast.While)
COMPREHENSIONS = (ast.ListComp, ast.SetComp, ast.DictComp, ast.GeneratorExp)
TASK_FACTORIES = frozenset(
    {
        "asyncio.create_task",
        "asyncio.ensure_future",
        "asyncio.get_running_loop().create_task",
        "asyncio.get_event_loop().create_task",
        "asyncio.new_event_loop().create_task",
    }
)
# Last name segments of the calls the rules look at in plain (non-async) code: a call there is
# resolved only when its name ends in one of these or is an imported alias.
SYNC_CANDIDATES = frozenset({"run", "gather", "create_task", "ensure_future"})


@dataclass
class Frame:
    """One function (or lambda, or the module) being visited, and the loops open inside it."""

    node: FunctionNode | ast.Lambda | None  # None: the module
    parent: Frame | None
    loops: list[ast.AST] = field(default_factory=list)  # For/AsyncFor/While/comprehension
    scope: Scope | None = None

    @property
    def is_async(self) -> bool:
        return isinstance(self.node, ast.AsyncFunctionDef)

    @property
    def body(self) -> list[ast.stmt]:
        return self.node.body if isinstance(self.node, FUNCTIONS) else []


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
            and is_literal(node.value)
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


def is_literal(iterable: ast.expr) -> bool:
    return isinstance(iterable, (ast.Tuple, ast.List, ast.Set, ast.Dict))


def call_name(call: ast.Call) -> str:
    name = dotted_name(call.func) or ast.unparse(call.func)
    return name if len(name) <= 40 else name[:37] + "..."


def last_segment(func: ast.expr) -> str | None:
    if isinstance(func, ast.Attribute):
        return func.attr
    if isinstance(func, ast.Name):
        return func.id
    return None


# one step of the traversal: a node to visit, or an action to run when the walk gets back to it
Step = ast.AST | tuple[Callable[[Any], None], Any]


def located(source: Source, node: ast.AST) -> dict[str, Any]:
    """A finding's lines and its site: the node the fix takes."""
    line = node.lineno  # type: ignore[attr-defined]
    end_line = node.end_lineno or line  # type: ignore[attr-defined]
    return {"line": line, "end_line": end_line, "site": site_of(source, node, node_shape(node))}


def appended_statement(statement: ast.stmt) -> tuple[str, ast.expr] | None:
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


@dataclass(frozen=True, slots=True)
class AsyncHooks:
    """The rules' functions the checker calls, by event."""

    # (checker, call, qualified): a call inside `async def` that is not awaited
    on_call_in_async: tuple[Callable[..., None], ...] = ()
    # (checker, call, qualified): a call that resolves (anywhere), after the above
    on_resolved_call: tuple[Callable[..., None], ...] = ()
    # (checker, call): a call that is a whole expression statement, its result discarded
    on_discarded_call: tuple[Callable[..., None], ...] = ()
    # (checker, loop): a plain `for` loop inside `async def`
    on_for_in_async: tuple[Callable[..., None], ...] = ()
    # (checker, node): a list, set or dict comprehension inside `async def`
    on_comprehension_in_async: tuple[Callable[..., None], ...] = ()


class AsyncChecker:
    """One walk over the module keeping the function (frame) being visited, its loops and its
    statement, and which calls are awaited, entered with `with` or discarded; the rules' hooks
    are called at the events above."""

    def __init__(
        self, facts: ModuleFacts, hooks: AsyncHooks, min_items: int = MIN_STATIC_ITEMS
    ) -> None:
        self.facts = facts
        self.hooks = hooks
        self.min_items = min_items
        self.findings: list[Finding] = []
        self.frame = Frame(None, None, scope=facts.effects.scopes.module)
        self.statement: ast.stmt | None = None
        # calls that are awaited, entered with `async with` or iterated with `async for`: they
        # return awaitables, so they are async APIs, not blocking calls
        self.async_calls: set[int] = set()
        self.with_calls: set[int] = set()  # context managers of a plain `with`
        self.statement_calls: set[int] = set()  # calls that are a whole expression statement
        self._remembered: dict[tuple[str, int], Any] = {}
        self._loop: EventLoop | str | None = None  # the module's event-loop library, once read

    # ---------------------------------------------------------------- scopes and resolution

    def scope(self, frame: Frame) -> Scope:
        if frame.scope is None:
            assert frame.parent is not None and frame.node is not None
            # the scopes the effects and the proof read too, each function's read once
            chain: list[FunctionNode | ast.Lambda] = []
            current: Frame | None = frame
            while current is not None and current.node is not None:
                chain.append(current.node)
                current = current.parent
            frame.scope = self.facts.effects.scopes.of(chain[::-1])
        return frame.scope

    def qualify(self, expr: ast.expr) -> str | None:
        return self.scope(self.frame).resolver.qualify(expr)

    def may_be(self, func: ast.expr, names: frozenset[str]) -> bool:
        """Could ``func`` resolve to one of these names? Cheap: its last name is one of them, or
        it is an imported alias (``from asyncio import run as arun``)."""
        return last_segment(func) in names or (
            isinstance(func, ast.Name) and func.id in self.facts.resolver.aliases
        )

    def function_named(self, name: str) -> tuple[FunctionNode, Frame] | None:
        """The function a name calls, defined in this scope, an enclosing one or the module."""
        frame: Frame | None = self.frame
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
        stack: list[Step] = [tree]
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
        self.frame = Frame(node, self.frame)

    def _pop_frame(self, _: None) -> None:
        assert self.frame.parent is not None
        self.frame = self.frame.parent

    def _push_loop(self, loop: ast.AST) -> None:
        self.frame.loops.append(loop)

    def _pop_loop(self, _: None) -> None:
        self.frame.loops.pop()

    @staticmethod
    def _signature(args: ast.arguments) -> list[Step | None]:
        # defaults (and annotations) run where the function is defined, not when it is called
        every = (*args.posonlyargs, *args.args, *args.kwonlyargs, args.vararg, args.kwarg)
        return [
            *args.defaults,
            *args.kw_defaults,
            *(a.annotation for a in every if a is not None),
        ]

    def _plan_function(self, node: FunctionNode) -> list[Step | None]:
        return [
            *node.decorator_list,
            *self._signature(node.args),
            node.returns,
            (self._push_frame, node),
            *node.body,
            (self._pop_frame, None),
        ]

    def _plan_lambda(self, node: ast.Lambda) -> list[Step | None]:
        return [*self._signature(node.args), (self._push_frame, node), node.body,
                (self._pop_frame, None)]  # fmt: skip

    # a class body runs where the class statement is: it stays in the enclosing frame

    def _plan_await(self, node: ast.Await) -> list[Step | None]:
        if isinstance(node.value, ast.Call):
            self.async_calls.add(id(node.value))
        return [node.value]

    def _plan_async_with(self, node: ast.AsyncWith) -> list[Step | None]:
        self.async_calls.update(id(item.context_expr) for item in node.items)
        return list(ast.iter_child_nodes(node))

    def _plan_with(self, node: ast.With) -> list[Step | None]:
        self.with_calls.update(id(item.context_expr) for item in node.items)
        return list(ast.iter_child_nodes(node))

    def _plan_expression_statement(self, node: ast.Expr) -> list[Step | None]:
        if isinstance(node.value, ast.Call):
            self.statement_calls.add(id(node.value))
            for on_discarded_call in self.hooks.on_discarded_call:
                on_discarded_call(self, node.value)
        return [node.value]

    def _plan_for(self, loop: ast.For | ast.AsyncFor) -> list[Step | None]:
        # the iterable is evaluated once, before the loop; the body per item
        if isinstance(loop, ast.AsyncFor):
            self.async_calls.add(id(loop.iter))
        elif self.frame.is_async:
            for on_for_in_async in self.hooks.on_for_in_async:
                on_for_in_async(self, loop)
        return [loop.iter, (self._push_loop, loop), loop.target, *loop.body,
                (self._pop_loop, None), *loop.orelse]  # fmt: skip

    def _plan_while(self, loop: ast.While) -> list[Step | None]:
        # the test runs before every item, like the body
        return [(self._push_loop, loop), loop.test, *loop.body, (self._pop_loop, None),
                *loop.orelse]  # fmt: skip

    def _plan_comprehension(self, node: ast.expr) -> list[Step | None]:
        generators: list[ast.comprehension] = node.generators  # type: ignore[attr-defined]
        if self.frame.is_async and not isinstance(node, ast.GeneratorExp):
            for on_comprehension_in_async in self.hooks.on_comprehension_in_async:
                on_comprehension_in_async(self, node)
        self.async_calls.update(id(g.iter) for g in generators if g.is_async)
        # the first iterable is evaluated once, where the comprehension is; the rest per item
        plan: list[Step | None] = [generators[0].iter, (self._push_loop, node)]
        for index, generator in enumerate(generators):
            plan += [generator.target, generator.iter if index else None, *generator.ifs]
        elements = ("key", "value") if isinstance(node, ast.DictComp) else ("elt",)
        return [*plan, *(getattr(node, name) for name in elements), (self._pop_loop, None)]

    def _plan_call(self, node: ast.Call) -> list[Step | None]:
        if self.frame.is_async:
            qualified = self.qualify(node.func)
            if qualified is not None and id(node) not in self.async_calls:
                for on_call_in_async in self.hooks.on_call_in_async:
                    on_call_in_async(self, node, qualified)
        elif self.may_be(node.func, SYNC_CANDIDATES):
            qualified = self.qualify(node.func)
        else:
            qualified = None
        if qualified is not None:
            for on_resolved_call in self.hooks.on_resolved_call:
                on_resolved_call(self, node, qualified)
        return list(ast.iter_child_nodes(node))

    def remember(self, purpose: str, node: ast.AST | None, compute: Callable[[], T]) -> T:
        """``compute()`` once per module walk for this purpose and node (a rule's cache)."""
        key = (purpose, id(node))
        if key not in self._remembered:
            self._remembered[key] = compute()
        return self._remembered[key]  # type: ignore[no-any-return]

    def event_loop(self) -> EventLoop | str:
        """The event-loop library this module runs its coroutines on (read once)."""
        if self._loop is None:
            self._loop = load_concurrency_knowledge().event_loop_of(self.facts.source.tree)
        return self._loop


def detect_async_rules(
    facts: ModuleFacts, hooks: AsyncHooks, min_items: int = MIN_STATIC_ITEMS
) -> list[Finding]:
    """The findings ``hooks`` report on one walk of the module. ``min_items``: CA104 skips loops
    over fewer items known from source (a profile, which measures whether a few long awaits are
    worth it, passes 2)."""
    if "async" not in facts.source.text:
        # every rule here needs an `async def` or a name imported from asyncio: most modules
        # are skipped without walking their tree
        return []
    checker = AsyncChecker(facts, hooks, min_items)
    checker.walk(facts.source.tree)
    return checker.findings
