"""CA104: serial awaits in a loop → ``asyncio.gather``; CA303: an unbounded gather → bounded.

``gather`` returns the results in the order of its arguments and raises the first exception. A
loop that only collects one awaited result per item becomes ``out.extend(await gather(...))``;
any other loop is split at its await: the call (and what the body does before it) runs per item
in a nested coroutine, and what the body does with the result runs after the gather, item by
item, in input order. Over an iterable of unknown size the coroutines enter an
``asyncio.Semaphore`` first, so a long list does not open thousands of connections at once.
Whether running the items together is *safe* is the analysis's question; here we refuse the
shapes whose result could differ: values carried from one item to the next, an early exit,
several awaits per item, an object (or the output) used on both sides of the await.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import libcst as cst
from libcst.metadata import ExpressionContext

from advisor.analysis.knowledge import load_knowledge
from advisor.codemods.async_common import (
    DEFAULT_LIMIT,
    Edit,
    Region,
    as_primary,
    async_def,
    async_with,
    await_,
    call,
    cst_call_at,
    declared,
    finish,
    flagged_calls,
    gather,
    keep_comments,
    last_name,
    parse_around,
    rebinds,
    resolved_calls,
    semaphore,
    spaced_block,
    statement,
    within_site,
)
from advisor.errors import RewriteError
from advisor.model import Finding
from advisor.syntax.item_flow import MUTATING_METHODS

__all__ = ["fix_sequential_awaits", "fix_unbounded_gather"]

_COMPREHENSIONS = (cst.ListComp, cst.SetComp, cst.DictComp)
_TASK_FACTORIES = frozenset({"create_task", "ensure_future"})
_GATHER = "asyncio.gather"
_TASK_GROUP_CREATE = "asyncio.TaskGroup().create_task"
# builtins a dict literal / comprehension / call makes: `update` then sets items like `d[k] = v`
_DICT_MAKERS = frozenset({"dict"})


# --- CA104 ----------------------------------------------------------------------------------------


def fix_sequential_awaits(source: str, finding: Finding) -> str:
    """CA104: ``for x in xs: out.append(await f(x))`` → ``out.extend(await asyncio.gather(...))``
    (and the dict-item, several-statement and comprehension forms), bounded by a Semaphore unless
    the iterable is a small literal."""
    parsed = parse_around(source, finding.line, finding.end_line)
    site = _serial_site(parsed, finding)
    limit = finding.workers or DEFAULT_LIMIT
    if isinstance(site, cst.For):
        edits = _LoopRewrite(parsed, site, finding.workers, limit).edits()
    else:
        edits = _ComprehensionRewrite(parsed, site, finding.workers, limit).edits()
    return finish(parsed, source, edits)


def _serial_site(parsed: Region, finding: Finding) -> cst.For | cst.BaseComp:
    """The loop spanning the finding's lines, else the first comprehension on them whose element
    awaits (one in a loop's header: ``for r in [await f(x) for x in xs]:``), else the loop
    starting on its line."""
    loops = [
        loop
        for loop in parsed.nodes(cst.For)
        if parsed.line(loop) == finding.line and within_site(parsed, loop, finding)
    ]
    for loop in loops:
        if parsed.end_line(loop) == finding.end_line:
            return loop
    candidates = [
        node
        for node in parsed.nodes(_COMPREHENSIONS)
        if finding.line <= parsed.line(node) <= finding.end_line
        and within_site(parsed, node, finding)
        and _element_awaits(node)
    ]
    if candidates:
        return min(candidates, key=parsed.start)
    if loops:
        return loops[0]
    raise RewriteError(f"line {finding.line}: no loop or comprehension that awaits")


def _element_awaits(node: cst.BaseComp) -> bool:
    elements = [node.key, node.value] if isinstance(node, cst.DictComp) else [node.elt]
    return any(_awaits(element) for element in elements)


class _Facts(cst.CSTVisitor):
    """What a loop body or an element does that a per-item coroutine could change."""

    def __init__(self) -> None:
        super().__init__()
        self.awaits: list[cst.Await] = []
        self.nested_awaits = 0  # inside a comprehension or lambda of the body
        self.exits: list[str] = []
        self.closures: list[cst.CSTNode] = []  # lambdas and generator expressions
        self.problems: list[str] = []
        self._depth = 0

    @classmethod
    def of(cls, *nodes: cst.CSTNode) -> _Facts:
        facts = cls()
        for node in nodes:
            node.visit(facts)
        return facts

    def visit_Await(self, node: cst.Await) -> None:
        if self._depth:
            self.nested_awaits += 1
        else:
            self.awaits.append(node)

    def _enter(self, node: cst.CSTNode) -> None:
        self._depth += 1
        if isinstance(node, cst.Lambda | cst.GeneratorExp):
            self.closures.append(node)

    def _leave(self, original_node: cst.CSTNode) -> None:
        self._depth -= 1

    visit_Lambda = visit_GeneratorExp = visit_ListComp = visit_SetComp = visit_DictComp = _enter
    leave_Lambda = leave_GeneratorExp = leave_ListComp = leave_SetComp = leave_DictComp = _leave

    def visit_CompFor(self, node: cst.CompFor) -> None:
        if node.asynchronous is not None:
            self.problems.append("it iterates with `async for`")

    def visit_Break(self, node: cst.Break) -> None:
        self.exits.append("break")

    def visit_Continue(self, node: cst.Continue) -> None:
        self.exits.append("continue")

    def visit_Return(self, node: cst.Return) -> None:
        self.exits.append("return")

    def visit_Yield(self, node: cst.Yield) -> None:
        self.exits.append("yield")

    def visit_NamedExpr(self, node: cst.NamedExpr) -> None:
        self.problems.append("it binds a name with `:=`")

    def visit_Global(self, node: cst.Global) -> None:
        self.problems.append("it declares a name global")

    def visit_Nonlocal(self, node: cst.Nonlocal) -> None:
        self.problems.append("it declares a name nonlocal")

    def visit_Import(self, node: cst.Import) -> None:
        self.problems.append("it imports")

    def visit_ImportFrom(self, node: cst.ImportFrom) -> None:
        self.problems.append("it imports")

    def visit_Del(self, node: cst.Del) -> None:
        self.problems.append("it deletes a name")


def _awaits(node: cst.CSTNode) -> bool:
    return bool(_Facts.of(node).awaits)


def _one_await(facts: _Facts, where: str, allowed_exits: Sequence[str] = ()) -> cst.Await:
    """The single await of a body or element, or why there is not exactly one (``allowed_exits``:
    the exits the caller checks itself)."""
    if facts.problems:
        raise RewriteError(f"the {where} cannot run per item: {facts.problems[0]}")
    exits = [e for e in facts.exits if e not in allowed_exits]
    if exits:
        raise RewriteError(f"the {where} contains `{exits[0]}`")
    if facts.nested_awaits:
        raise RewriteError(f"the {where} awaits inside a nested comprehension or lambda")
    if len(facts.awaits) != 1:
        raise RewriteError(
            f"the {where} awaits {len(facts.awaits)} times: the order of its awaits matters"
        )
    return facts.awaits[0]


def _small_literal(iterable: cst.BaseExpression, limit: int) -> bool:
    """A literal with no more items than the bound: a Semaphore would never make one wait."""
    if isinstance(iterable, cst.List | cst.Tuple | cst.Set):
        elements: Sequence[cst.CSTNode] = iterable.elements
        return len(elements) <= limit and not any(
            isinstance(e, cst.StarredElement) for e in elements
        )
    if isinstance(iterable, cst.Dict):
        return len(iterable.elements) <= limit and all(
            isinstance(e, cst.DictElement) for e in iterable.elements
        )
    return False


def _target_names(parsed: Region, target: cst.BaseExpression) -> list[str]:
    """The names a loop target binds, in order; refused when it assigns an attribute or item."""
    if isinstance(target, cst.Name):
        return [target.value]
    if isinstance(target, cst.Tuple | cst.List):
        names: list[str] = []
        for element in target.elements:
            value = element.value
            names += _target_names(parsed, value)
        return list(dict.fromkeys(names))
    if isinstance(target, cst.StarredElement):
        return _target_names(parsed, target.value)
    raise RewriteError("the loop target is an attribute or an item, not a name")


def _helper(
    name: str,
    params: Sequence[str],
    body: Sequence[cst.BaseStatement],
    limit_name: str | None,
) -> cst.FunctionDef:
    """``async def name(params):`` running ``body``, inside ``async with limit:`` if bounded."""
    if limit_name is not None:
        body = [async_with(cst.Name(limit_name), body)]
    return async_def(name, params, body)


def _whole_body_with(lines: Sequence[cst.BaseStatement]) -> cst.With | None:
    """The loop body's one statement when it is a `with` or `async with` block."""
    if len(lines) == 1 and isinstance(lines[0], cst.With):
        block = lines[0]
        return block if isinstance(block.body, cst.IndentedBlock) else None
    return None


def _in_async_function(parsed: Region, node: cst.CSTNode) -> cst.FunctionDef:
    scope = parsed.scope_of(node)
    if not (isinstance(scope, cst.FunctionDef) and scope.asynchronous is not None):
        raise RewriteError("not directly inside an `async def`")
    if rebinds(parsed, "asyncio", at=node):
        raise RewriteError("the module binds `asyncio` to something else")
    return scope


class _LoopRewrite:
    """``for`` → one gather. The awaited call, and what the body does before it, run per item in
    a nested coroutine; what the body does with the result runs after the gather, item by item
    in order (``for result in await asyncio.gather(...)``), unless it only collects the result:
    then the gather's list is the collection (``out.extend(await asyncio.gather(...))``)."""

    def __init__(self, parsed: Region, loop: cst.For, workers: int | None, limit: int) -> None:
        self.parsed, self.loop = parsed, loop
        self.workers, self.limit = workers, limit
        self.taken: list[str] = []

    def edits(self) -> dict[cst.CSTNode, Edit]:
        parsed, loop = self.parsed, self.loop
        function = _in_async_function(parsed, loop)
        if loop.asynchronous is not None:
            raise RewriteError("the loop is an `async for`: its items arrive one at a time")
        if loop.orelse is not None:
            raise RewriteError("the loop has an `else` clause")
        targets = _target_names(parsed, loop.target)
        lines = _body_statements(loop.body)
        wrapper = _whole_body_with(lines)
        if wrapper is not None:
            # `async with session.get(url) as response: out.append(await response.text())`:
            # each item enters the block in its own coroutine, as the loop entered it per item
            if _Facts.of(*wrapper.items).awaits or _Facts.of(*wrapper.items).exits:
                raise RewriteError("the `with` items await")
            lines = _body_statements(wrapper.body)
        facts = _Facts.of(*lines)
        awaited = _one_await(facts, "loop body", allowed_exits=("continue",))
        shared = self._bound(lines, targets) & (declared(parsed, function).keys())
        if shared:
            raise RewriteError(f"the loop binds `{sorted(shared)[0]}`, a global or nonlocal")
        if _changed_roots(lines) & _lazily_iterated(loop.iter):
            # the loop would see the items it adds; the gather takes the items up front
            raise RewriteError("the loop changes the collection it iterates over")
        index = next(i for i, line in enumerate(lines) if parsed.inside(awaited, line))
        if not all(isinstance(line, cst.SimpleStatementLine) for line in lines[:index]) or not (
            isinstance(lines[index], cst.SimpleStatementLine)
            or _with_ending_in(parsed, lines[index], awaited)
        ):
            raise RewriteError("the await is inside a compound statement (if, try, ...)")
        if _Facts.of(*lines[: index + 1]).exits:
            # after the await, `continue` skips the rest of an item's serial part, as it did
            raise RewriteError("the loop body contains `continue` before its await")
        self._check_carried(lines, index, awaited, targets)
        bounded = not _small_literal(loop.iter, self.limit)
        limit_name = self._name("limit") if bounded else None
        prelude = [semaphore(limit_name, self.workers)] if limit_name is not None else []
        collect = self._collecting(lines, index, awaited, function)
        if collect is not None and _used_outside(
            parsed, function, loop, self._bound(lines, targets)
        ):
            collect = None  # a name of the loop is read after it: the split form binds it there
        if wrapper is not None and collect is None:
            if not _with_ending_in(parsed, wrapper, awaited):
                raise RewriteError(
                    "the `with` block is the whole body, but its body is not one collecting "
                    "statement"
                )
            # the block as a unit, entered per item in the nested coroutine
            lines, index, wrapper = [wrapper], 0, None
            self._check_carried(lines, index, awaited, targets)
        if collect is not None:
            self._check_closures(lines, targets)
            helper, store = self._collect_rewrite(
                lines, index, awaited, collect, targets, limit_name, function, wrapper
            )
        else:
            helper, store = self._split_rewrite(
                lines, index, awaited, targets, limit_name, function
            )
        new = spaced_block(loop.leading_lines, prelude, helper, store)
        new = keep_comments(loop, new)
        return {loop: lambda updated: cst.FlattenSentinel(new)}

    def _name(self, base: str) -> str:
        name = self.parsed.fresh(base, self.taken)
        self.taken.append(name)
        return name

    def _bound(self, lines: Sequence[cst.SimpleStatementLine], targets: list[str]) -> set[str]:
        bound = set(targets)
        for line in lines:
            bound |= {name.value for name in self.parsed.writes(line)}
        return bound

    def _gathered(self, element: cst.BaseExpression) -> cst.Await:
        return gather(element, cst.CompFor(target=self.loop.target, iter=self.loop.iter))

    # -- the body only collects the result: the gather's list is the collection

    def _collecting(
        self,
        lines: list[cst.SimpleStatementLine],
        index: int,
        awaited: cst.Await,
        function: cst.FunctionDef,
    ) -> _Collect | None:
        """The collecting statement, when the body is ``[...;] acc.append(<await>)`` or
        ``[...;] r = await ...; acc.append(<r, no call>)`` (or ``d[key] = ...`` on a dict)."""
        if not all(isinstance(line, cst.SimpleStatementLine) for line in lines):
            return None  # an `if` after the await: the split form runs it in order
        collect = _collect_form(lines[-1])
        if collect is None:
            return None
        if collect.key is not None and not _is_plain_dict(self.parsed, function, collect.root):
            return None  # a list filled by index, a Counter: stored item by item instead
        last = len(lines) - 1
        if index == last:
            simple = collect.value is awaited or not _calls_besides(collect.value, awaited)
        else:
            small = lines[index].body[0]
            simple = (
                index == last - 1
                and _assigns_names(self.parsed, small)
                and not _calls_besides(collect.value, None)
            )
        if not simple:
            return None  # what the body does with the result runs in order, after the gather
        root = collect.root
        uses = [n for line in lines for n in self.parsed.names(line) if n.value == root]
        if root in self._bound(lines, []) or len(uses) != 1:
            return None  # the body uses the collection itself: keep its steps in order
        return collect

    def _collect_rewrite(
        self,
        lines: list[cst.SimpleStatementLine],
        index: int,
        awaited: cst.Await,
        collect: _Collect,
        targets: list[str],
        limit_name: str | None,
        function: cst.FunctionDef,
        wrapper: cst.With | None = None,
    ) -> tuple[cst.FunctionDef | None, cst.BaseStatement]:
        *before, last = lines
        direct = (
            limit_name is None
            and wrapper is None
            and not before
            and collect.key is None
            and collect.value is awaited
            and isinstance(awaited.expression, cst.Call)
        )
        helper = None
        if direct:
            element: cst.BaseExpression = awaited.expression
        else:
            name = self._name(_helper_base(awaited))
            body: list[cst.BaseStatement] = [*before, _return_line(last, collect)]
            if wrapper is not None:
                body = [wrapper.with_changes(body=cst.IndentedBlock(body), leading_lines=[])]
            helper = _helper(name, targets, body, limit_name)
            element = call(name, *(cst.Name(target) for target in targets))
        method = "extend" if collect.key is None else "update"
        receiver = cst.Attribute(value=collect.receiver, attr=cst.Name(method))
        store = statement(cst.Expr(call(receiver, self._gathered(element))))
        if direct:
            store = store.with_changes(trailing_whitespace=last.trailing_whitespace)
        elif isinstance(self.loop.body, cst.IndentedBlock) and self.loop.body.header.comment:
            store = store.with_changes(trailing_whitespace=self.loop.body.header)
        return helper, store

    # -- anything else: the per-item coroutine returns what the rest of the body needs

    def _split_rewrite(
        self,
        lines: list[cst.SimpleStatementLine],
        index: int,
        awaited: cst.Await,
        targets: list[str],
        limit_name: str | None,
        function: cst.FunctionDef,
    ) -> tuple[cst.FunctionDef | None, cst.BaseStatement]:
        parsed = self.parsed
        line = lines[index]
        # `r = await f(x)`: the whole statement runs per item; else only the await does; a
        # `with` block around the await runs whole per item, entered by each item on its own
        whole = _runs_whole(parsed, line)
        concurrent = lines[: index + 1] if whole else lines[:index]
        serial = lines[index + 1 :]
        self._check_closures(concurrent, targets)
        early: list[cst.CSTNode] = [*concurrent, *([] if whole else [awaited])]
        late: list[cst.CSTNode] = [*serial, *([] if whole else [line])]
        self._check_output_order(early, late, awaited)
        bound = [*targets]
        for part in concurrent:
            bound += [n.value for n in parsed.writes(part) if n.value not in bound]
        self._check_shared_state(early, late, awaited, set(bound))
        later = {n.value for n in parsed.reads(function.body) if not parsed.inside(n, self.loop)}
        later |= {n.value for part in serial for n in parsed.reads(part)}
        if not whole:
            later |= {n.value for n in parsed.reads(line) if not parsed.inside(n, awaited)}
        returned = [name for name in bound if name in later]
        result = None
        if not whole:
            result = self._name("result")
            serial = [line.deep_replace(awaited, cst.Name(result)), *serial]  # type: ignore[list-item]
        direct = (
            limit_name is None
            and isinstance(awaited.expression, cst.Call)
            and (
                (not whole and not returned)
                or (whole and index == 0 and _discarded(line) and not returned)
                or (
                    whole
                    and index == 0
                    and isinstance(line, cst.SimpleStatementLine)
                    and _value_of(line.body[0]) is awaited
                    and returned == [n.value for n in parsed.writes(line)]
                )
            )
        )
        helper = None
        if direct:
            element: cst.BaseExpression = awaited.expression
            target: cst.BaseExpression = (
                cst.Name(result)
                if result
                else cst.Name(self._name("_"))
                if _discarded(line)
                else _single_target(line.body[0])  # type: ignore[attr-defined]
            )
        else:
            name = self._name(_helper_base(awaited))
            values: list[cst.BaseExpression] = [cst.Name(n) for n in returned]
            if not whole:
                values.append(awaited)
            body = list(concurrent)
            if values:
                body.append(statement(cst.Return(value=_tuple(values))))
            helper = _helper(name, targets, body, limit_name)
            element = call(name, *(cst.Name(t) for t in targets))
            names = [*returned, *([result] if result else [])]
            target = _tuple([cst.Name(n) for n in names]) if names else cst.Name(self._name("_"))
        if not serial and not returned:  # the results are not used: the loop only waited
            return helper, statement(cst.Expr(self._gathered(element)))
        if not serial:  # only the last item's names are read, after the loop
            serial = [statement(cst.Pass())]
        header = self.loop.body.header if isinstance(self.loop.body, cst.IndentedBlock) else None
        loop = cst.For(
            target=target,
            iter=self._gathered(element),
            body=cst.IndentedBlock(body=serial, header=header or cst.TrailingWhitespace()),
        )
        return helper, loop

    def _check_output_order(
        self, early: Sequence[cst.CSTNode], late: Sequence[cst.CSTNode], awaited: cst.Await
    ) -> None:
        """Output (``rules/knowledge``: print, logging, ...) both before and after the await:
        every item's earlier lines would come out first, ahead of all the later ones."""
        output = load_knowledge().ordered_output
        first, last = self.parsed.line(self.loop), self.parsed.end_line(self.loop)
        before, after = _node_ids(early), _node_ids(late) - _node_ids([awaited])
        sides = set()
        for resolved in resolved_calls(self.parsed, first, last, within=True):
            if resolved.qualified is None or not output.matches(resolved.qualified):
                continue
            node = cst_call_at(self.parsed, resolved)
            sides |= {
                side for side, ids in (("before", before), ("after", after)) if id(node) in ids
            }
        if sides == {"before", "after"}:
            raise RewriteError(
                "the body writes output both before and after the await: once the items run "
                "together, the lines would come out in another order"
            )

    def _check_shared_state(
        self,
        early: Sequence[cst.CSTNode],
        late: Sequence[cst.CSTNode],
        awaited: cst.Await,
        per_item: set[str],
    ) -> None:
        """An object changed on one side of the await and used on the other: all items' early
        parts now run before any late part, so the late parts would see other values."""
        skip = _node_ids([awaited])
        early_names = {n.value for n in self.parsed.reads_in(early)}
        late_names = {n.value for n in self.parsed.reads_in(late) if id(n) not in skip}
        early_changes = _changed_roots(early) - per_item
        late_changes = _changed_roots(late, skip) - per_item
        shared = (early_changes & late_names) | (late_changes & early_names)
        if shared:
            raise RewriteError(
                f"`{sorted(shared)[0]}` is changed on one side of the await and used on the "
                "other: once the items run together, they would see it in another state"
            )

    def _check_carried(
        self,
        lines: Sequence[cst.BaseStatement],
        index: int,
        awaited: cst.Await,
        targets: list[str],
    ) -> None:
        """What runs per item, concurrently (the statements before the await's, that one too
        when it assigns the result to names, else the awaited call alone), must not read a name
        from the previous item. What runs after the gather, in order, may: a running total or
        maximum there is as serial as before (``total += await f(x)``; ``if p > best: best =
        p``), as long as the concurrent part never reads it."""
        line = lines[index]
        whole = _runs_whole(self.parsed, line)
        concurrent = list(lines[: index + 1] if whole else lines[:index])
        bound = self._bound(lines, targets)
        written = set(targets)
        for part in concurrent:
            for small in _in_order(part):
                for name in self.parsed.reads(small):
                    if name.value in bound and name.value not in written:
                        raise RewriteError(f"`{name.value}` is carried from one item to the next")
                written |= {name.value for name in self.parsed.writes(small)}
        serial = [*lines[index + 1 :], *([] if whole else [line])]
        later = {name.value for part in serial for name in self.parsed.writes(part)}
        read_early = {n.value for n in self.parsed.reads_in([*concurrent, awaited])}
        fed_back = (later & read_early) - written
        if fed_back:
            raise RewriteError(
                f"`{sorted(fed_back)[0]}` is set after the await and read before it: the items "
                "would all start before the first one sets it"
            )

    def _check_closures(self, lines: Sequence[cst.SimpleStatementLine], targets: list[str]) -> None:
        # a lambda made in the loop sees the loop's last values, one made per item its own
        bound = self._bound(lines, targets)
        for closure in _Facts.of(*lines).closures:
            names = {name.value for name in self.parsed.reads(closure)}
            if isinstance(closure, cst.Lambda) and names & bound:
                raise RewriteError("the body makes a closure over a name the loop binds")


def _changed_roots(nodes: Sequence[cst.CSTNode], skip: set[int] | None = None) -> set[str]:
    """Names whose object the code changes: ``x.append(...)``, ``x[k] = ...``, ``x.a += ...``."""
    finder = _ChangeFinder(skip or set())
    for node in nodes:
        node.visit(finder)
    return finder.roots


class _ChangeFinder(cst.CSTVisitor):
    def __init__(self, skip: set[int]) -> None:
        self.skip = skip
        self.roots: set[str] = set()

    def _changed(self, target: cst.BaseExpression) -> None:
        if isinstance(target, cst.Subscript | cst.Attribute):
            root = _root(target)
            if root is not None:
                self.roots.add(root)

    def on_visit(self, node: cst.CSTNode) -> bool:
        if id(node) in self.skip:
            return False
        if isinstance(node, cst.Call) and isinstance(node.func, cst.Attribute):
            if node.func.attr.value in MUTATING_METHODS:
                self._changed(node.func)
        elif isinstance(node, cst.AssignTarget | cst.AugAssign | cst.Del):
            self._changed(node.target)
        return True


# builtins that iterate their argument lazily, as the loop does
_LAZY_WRAPPERS = frozenset({"enumerate", "zip", "reversed", "iter", "filter", "map"})


def _lazily_iterated(iterable: cst.BaseExpression) -> set[str]:
    """The names whose collection a ``for`` reads item by item while it runs: ``acc``,
    ``self.acc``, ``acc.items()``, ``enumerate(acc)``; not ``range(len(acc))`` (computed once)."""
    if isinstance(iterable, cst.Name):
        return {iterable.value}
    if isinstance(iterable, cst.Attribute | cst.Subscript):
        root = _root(iterable)
        return {root} if root is not None else set()
    if isinstance(iterable, cst.Call):
        if isinstance(iterable.func, cst.Attribute):
            return _lazily_iterated(iterable.func.value)
        if isinstance(iterable.func, cst.Name) and iterable.func.value in _LAZY_WRAPPERS:
            return {n for arg in iterable.args for n in _lazily_iterated(arg.value)}
    return set()


def _node_ids(nodes: Sequence[cst.CSTNode]) -> set[int]:
    collector = _NodeCollector()
    for node in nodes:
        node.visit(collector)
    return collector.ids


class _NodeCollector(cst.CSTVisitor):
    def __init__(self) -> None:
        self.ids: set[int] = set()

    def on_visit(self, node: cst.CSTNode) -> bool:
        self.ids.add(id(node))
        return True


def _helper_base(awaited: cst.Await) -> str:
    callee = awaited.expression
    name = last_name(callee.func) if isinstance(callee, cst.Call) else None
    return f"{name or 'item'}_one"


def _simple_with(line: cst.BaseStatement) -> bool:
    """A `with` or `async with` block of one-statement lines and no early exit: a unit an item
    can run on its own, entering the block as the loop entered it per item."""
    return (
        isinstance(line, cst.With)
        and isinstance(line.body, cst.IndentedBlock)
        and all(
            isinstance(inner, cst.SimpleStatementLine) and len(inner.body) == 1
            for inner in line.body.body
        )
        and not _Facts.of(line).exits
    )


def _with_ending_in(parsed: Region, line: cst.BaseStatement, awaited: cst.Await) -> bool:
    """A `with` block (see _simple_with) whose last statement holds the await: the block runs
    whole per item, so nothing may follow the await in it (a `print(text)` there would run in
    the order the items finish)."""
    if not _simple_with(line):
        return False
    last = line.body.body[-1]  # type: ignore[attr-defined]
    return parsed.inside(awaited, last)


def _runs_whole(parsed: Region, line: cst.BaseStatement) -> bool:
    """Does the statement holding the await run whole per item (``r = await f(x)``, the await
    alone for its effect, or a ``with`` block around it), rather than its await alone?"""
    if isinstance(line, cst.SimpleStatementLine):
        return _assigns_names(parsed, line.body[0]) or _discarded(line)
    return _simple_with(line)


def _discarded(line: cst.BaseStatement) -> bool:
    """``await save(x)``: a line that awaits for the effect and keeps nothing."""
    return (
        isinstance(line, cst.SimpleStatementLine)
        and isinstance(line.body[0], cst.Expr)
        and isinstance(line.body[0].value, cst.Await)
    )


def _in_order(part: cst.BaseStatement) -> list[cst.CSTNode]:
    """What a statement of the per-item part evaluates, in order: a simple line's statement; a
    `with` block's items, then its statements."""
    if isinstance(part, cst.SimpleStatementLine):
        return list(part.body)
    if isinstance(part, cst.With) and isinstance(part.body, cst.IndentedBlock):
        inner = [small for line in part.body.body for small in line.body]  # type: ignore[attr-defined]
        return [*part.items, *inner]
    return [part]


def _value_of(small: cst.BaseSmallStatement) -> cst.BaseExpression | None:
    return small.value if isinstance(small, cst.Assign | cst.AnnAssign) else None


def _assigns_names(parsed: Region, small: cst.BaseSmallStatement) -> bool:
    """``a = ...`` / ``a, b = ...`` / ``a: T = ...``: only plain names are bound."""
    if isinstance(small, cst.Assign):
        targets = [t.target for t in small.targets]
    elif isinstance(small, cst.AnnAssign) and small.value is not None:
        targets = [small.target]
    else:
        return False
    return all(
        isinstance(t, cst.Name | cst.Tuple | cst.List)
        and all(parsed.contexts.get(n) is ExpressionContext.STORE for n in parsed.names(t))
        for t in targets
    )


def _single_target(small: cst.BaseSmallStatement) -> cst.BaseExpression:
    if not isinstance(small, cst.Assign | cst.AnnAssign):
        raise RewriteError("unexpected code shape: `small` is not an Assign or AnnAssign")
    target = small.targets[0].target if isinstance(small, cst.Assign) else small.target
    if isinstance(small, cst.Assign) and len(small.targets) != 1:
        raise RewriteError("the awaited result is assigned to several targets")
    return target.with_changes(lpar=[], rpar=[]) if isinstance(target, cst.Tuple) else target


def _tuple(values: Sequence[cst.BaseExpression]) -> cst.BaseExpression:
    if len(values) == 1:
        return values[0]
    comma = cst.Comma(whitespace_after=cst.SimpleWhitespace(" "))
    elements = [cst.Element(v, comma=comma) for v in values[:-1]] + [cst.Element(values[-1])]
    return cst.Tuple(elements, lpar=[], rpar=[])


def _calls_besides(expression: cst.BaseExpression, awaited: cst.Await | None) -> bool:
    """Does ``expression`` call anything apart from the awaited call?"""
    finder = _CallFinder(skip=awaited)
    expression.visit(finder)
    return finder.found


@dataclass(frozen=True, slots=True)
class _Collect:
    """How the last statement of a body keeps its result: ``acc.append(value)`` or
    ``acc[key] = value``."""

    receiver: cst.BaseExpression  # `acc`, or `self.results`
    root: str  # the name the receiver starts from
    value: cst.BaseExpression
    key: cst.BaseExpression | None = None


def _body_statements(body: cst.BaseSuite) -> list[cst.BaseStatement]:
    """The loop body's statements, one small statement per simple line. Compound statements
    (``if``, ``with``...) may follow the await's line: they run after the gather, in order."""
    if isinstance(body, cst.SimpleStatementSuite):  # `for x in xs: out.append(await f(x))`
        smalls = [s.with_changes(semicolon=cst.MaybeSentinel.DEFAULT) for s in body.body]
        simple = [cst.SimpleStatementLine(body=[s]) for s in smalls]
        return [*simple[:-1], simple[-1].with_changes(trailing_whitespace=body.trailing_whitespace)]
    if not isinstance(body, cst.IndentedBlock):
        raise RewriteError("unexpected code shape: `body` is not an IndentedBlock")
    lines: list[cst.BaseStatement] = []
    for line in body.body:
        if isinstance(line, cst.SimpleStatementLine) and len(line.body) != 1:
            raise RewriteError("the loop body has several statements on one line")
        lines.append(line)
    return lines


def _root(receiver: cst.BaseExpression) -> str | None:
    while isinstance(receiver, cst.Attribute | cst.Subscript):
        receiver = receiver.value
    return receiver.value if isinstance(receiver, cst.Name) else None


def _collect_form(line: cst.SimpleStatementLine) -> _Collect | None:
    small = line.body[0]
    if (
        isinstance(small, cst.Expr)
        and isinstance(small.value, cst.Call)
        and isinstance(small.value.func, cst.Attribute)
        and small.value.func.attr.value == "append"
        and len(small.value.args) == 1
        and small.value.args[0].keyword is None
        and not small.value.args[0].star
    ):
        receiver = small.value.func.value
        root = _root(receiver)
        if root is not None:
            return _Collect(receiver, root, small.value.args[0].value)
    if isinstance(small, cst.Assign) and len(small.targets) == 1:
        target = small.targets[0].target
        if isinstance(target, cst.Subscript) and len(target.slice) == 1:
            index = target.slice[0].slice
            root = _root(target.value)
            if isinstance(index, cst.Index) and index.star is None and root is not None:
                if _has_call(index.value):
                    return None  # computed by a call: kept in order, after the gather
                return _Collect(target.value, root, small.value, key=index.value)
    return None


def _has_call(node: cst.CSTNode) -> bool:
    finder = _CallFinder()
    node.visit(finder)
    return finder.found


class _CallFinder(cst.CSTVisitor):
    def __init__(self, skip: cst.CSTNode | None = None) -> None:
        self.skip = skip
        self.found = False

    def on_visit(self, node: cst.CSTNode) -> bool:
        if node is self.skip:
            return False
        if isinstance(node, cst.Call):
            self.found = True
        return not self.found


def _return_line(line: cst.SimpleStatementLine, collect: _Collect) -> cst.SimpleStatementLine:
    """The collecting statement as the helper's ``return``, its comments kept."""
    value: cst.BaseExpression = collect.value
    if collect.key is not None:
        comma = cst.Comma(whitespace_after=cst.SimpleWhitespace(" "))
        value = cst.Tuple(
            [cst.Element(collect.key, comma=comma), cst.Element(value)], lpar=[], rpar=[]
        )
    return line.with_changes(body=[cst.Return(value=value)])


def _is_plain_dict(parsed: Region, function: cst.FunctionDef, name: str) -> bool:
    """Is ``name`` bound once in the function, to ``{...}``, a dict comprehension or ``dict(...)``?
    Then ``update`` stores exactly as ``d[key] = value`` did."""
    values = []
    for node in parsed.nodes(cst.Assign):
        for target in node.targets:
            named = isinstance(target.target, cst.Name) and target.target.value == name
            if named and parsed.scope_of(node) is function:
                values.append(node.value)
    if len(values) != 1:
        return False
    value = values[0]
    if isinstance(value, cst.Dict | cst.DictComp):
        return True
    return (
        isinstance(value, cst.Call)
        and isinstance(value.func, cst.Name)
        and value.func.value in _DICT_MAKERS
        and not rebinds(parsed, value.func.value, at=value)
    )


def _used_outside(
    parsed: Region, function: cst.FunctionDef, region: cst.CSTNode, bound: set[str]
) -> str | None:
    """A name ``region`` binds that is read elsewhere in the function, where it would not see
    the region's value if the region became a nested coroutine. Reads that cannot see it anyway
    are fine: under a ``for`` or comprehension that binds the name itself, or before the region
    when no loop runs it again."""
    enclosing_loop = any(
        isinstance(a, cst.For | cst.While)
        for a in parsed.ancestors(region)
        if parsed.inside(a, function) and a is not function
    )
    start = parsed.start(region)
    for name in parsed.reads(function.body):
        if name.value not in bound or parsed.inside(name, region):
            continue
        before = parsed.start(name) < start
        if before and not enclosing_loop:
            continue
        if not _rebound_around(parsed, name, function):
            return name.value
    return None


def _rebound_around(parsed: Region, name: cst.Name, function: cst.FunctionDef) -> bool:
    """Is ``name`` read inside a ``for`` or comprehension (of the function) whose target binds
    it again?"""
    for ancestor in parsed.ancestors(name):
        if ancestor is function:
            return False
        targets: list[cst.BaseExpression] = []
        if isinstance(ancestor, cst.For):
            if parsed.inside(name, ancestor.iter):
                continue
            targets = [ancestor.target]
        elif isinstance(ancestor, (*_COMPREHENSIONS, cst.GeneratorExp)):
            clause: cst.CompFor | None = ancestor.for_in
            while clause is not None:
                targets.append(clause.target)
                clause = clause.inner_for_in
        if any(n.value == name.value for t in targets for n in parsed.names(t)):
            return True
    return False


# --- CA104: comprehensions ------------------------------------------------------------------------


class _ComprehensionRewrite:
    """``[await f(x) for x in xs]`` → ``await asyncio.gather(*(f(x) for x in xs))``."""

    def __init__(self, parsed: Region, node: cst.BaseComp, workers: int | None, limit: int) -> None:
        self.parsed, self.node, self.workers, self.limit = parsed, node, workers, limit

    def edits(self) -> dict[cst.CSTNode, Edit]:
        parsed, node = self.parsed, self.node
        _in_async_function(parsed, node)
        clauses = _clauses(node.for_in)
        for clause in clauses:
            if clause.asynchronous is not None:
                raise RewriteError("the comprehension iterates with `async for`")
            if any(_awaits(c.test) for c in clause.ifs) or (
                clause is not clauses[0] and _awaits(clause.iter)
            ):
                raise RewriteError("the comprehension awaits in a condition or an inner iterable")
        if isinstance(node, cst.DictComp):
            if _awaits(node.key):
                raise RewriteError("the comprehension awaits in its key")
            elements: list[cst.BaseExpression] = [node.key, node.value]
        else:
            elements = [node.elt]
        facts = _Facts.of(*elements)
        awaited = _one_await(facts, "element")
        for clause in clauses:
            if _Facts.of(*(c.test for c in clause.ifs)).problems:
                raise RewriteError("a condition binds a name with `:=`")
        builtin = {cst.SetComp: "set", cst.DictComp: "dict"}.get(type(node))
        if builtin is not None and rebinds(parsed, builtin, at=node):
            raise RewriteError(f"the module rebinds the builtin `{builtin}`")
        bounded = len(clauses) > 1 or not _small_literal(clauses[0].iter, self.limit)
        direct = (
            not bounded
            and not isinstance(node, cst.DictComp)
            and node.elt is awaited
            and isinstance(awaited.expression, cst.Call)
        )
        edits: dict[cst.CSTNode, Edit] = {}
        if direct:
            element: cst.BaseExpression = awaited.expression
        else:
            element = self._helper_edit(node, awaited, clauses, bounded, edits)
        gathered: cst.BaseExpression = gather(element, node.for_in)
        if builtin is not None:
            gathered = call(builtin, gathered)
        if node.lpar:
            new = gathered.with_changes(lpar=node.lpar, rpar=node.rpar)
        else:
            new = as_primary(parsed, node, gathered)
        edits[node] = lambda updated: new
        return edits

    def _helper_edit(
        self,
        node: cst.BaseComp,
        awaited: cst.Await,
        clauses: list[cst.CompFor],
        bounded: bool,
        edits: dict[cst.CSTNode, Edit],
    ) -> cst.Call:
        parsed = self.parsed
        for ancestor in parsed.ancestors(node):
            if isinstance(ancestor, cst.FunctionDef):
                break
            if isinstance(ancestor, (*_COMPREHENSIONS, cst.GeneratorExp, cst.Lambda)):
                raise RewriteError("the comprehension is inside another comprehension or lambda")
        params: list[str] = []
        for clause in clauses:
            params += _target_names(parsed, clause.target)
        params = list(dict.fromkeys(params))
        limit_name = parsed.fresh("limit") if bounded else None
        name = parsed.fresh(_helper_base(awaited), [limit_name or ""])
        if isinstance(node, cst.DictComp):
            comma = cst.Comma(whitespace_after=cst.SimpleWhitespace(" "))
            value: cst.BaseExpression = cst.Tuple(
                [cst.Element(node.key, comma=comma), cst.Element(node.value)], lpar=[], rpar=[]
            )
        else:
            value = node.elt
        helper = _helper(name, params, [statement(cst.Return(value=value))], limit_name)
        prelude = [semaphore(limit_name, self.workers)] if limit_name is not None else []
        holder = parsed.block_statement(node)

        def apply(updated: cst.CSTNode) -> cst.FlattenSentinel[cst.BaseStatement]:
            if not isinstance(updated, cst.BaseStatement):
                raise RewriteError("unexpected code shape: `updated` is not a BaseStatement")
            new = spaced_block(updated.leading_lines, prelude, helper, updated)
            return cst.FlattenSentinel(new)

        edits[holder] = apply
        return call(name, *(cst.Name(param) for param in params))


def _clauses(first: cst.CompFor) -> list[cst.CompFor]:
    clauses: list[cst.CompFor] = []
    clause: cst.CompFor | None = first
    while clause is not None:
        clauses.append(clause)
        clause = clause.inner_for_in
    return clauses


# --- CA303 ----------------------------------------------------------------------------------------


def fix_unbounded_gather(source: str, finding: Finding) -> str:
    """CA303: each coroutine of ``asyncio.gather(*...)`` (or of ``tg.create_task`` in a loop)
    enters a Semaphore first: ``gather(*(limited(f(x)) for x in xs))``, same results, same
    order, at most ``finding.workers`` (default 20) running at once."""
    parsed = parse_around(source, finding.line, finding.end_line)
    node, qualified = _flagged_gather(parsed, finding)
    function = _in_async_function(parsed, node)
    limit_name = parsed.fresh("limit")
    helper_name = parsed.fresh("limited", [limit_name])
    edits: dict[cst.CSTNode, Edit] = {}
    if qualified == _GATHER:
        holder = _bound_gather(parsed, node, function, helper_name, edits)
    else:
        if not node.args or node.args[0].star or node.args[0].keyword is not None:
            raise RewriteError("`create_task` is not given the coroutine first")
        coroutine = node.args[0].value
        edits[coroutine] = lambda updated: call(helper_name, updated)
        holder = _outermost_loop(parsed, node, function)
    param = "coroutine"
    helper = async_def(
        helper_name,
        [param],
        [async_with(cst.Name(limit_name), [statement(cst.Return(await_(cst.Name(param))))])],
    )
    prelude = [semaphore(limit_name, finding.workers)]

    def apply(updated: cst.CSTNode) -> cst.FlattenSentinel[cst.BaseStatement]:
        if not isinstance(updated, cst.BaseStatement):
            raise RewriteError("unexpected code shape: `updated` is not a BaseStatement")
        return cst.FlattenSentinel(spaced_block(updated.leading_lines, prelude, helper, updated))

    edits[holder] = apply
    return finish(parsed, source, edits)


def _flagged_gather(parsed: Region, finding: Finding) -> tuple[cst.Call, str]:
    for resolved in flagged_calls(parsed, finding):
        if resolved.qualified in (_GATHER, _TASK_GROUP_CREATE):
            return cst_call_at(parsed, resolved), resolved.qualified
    raise RewriteError(f"line {finding.line}: no `asyncio.gather` or TaskGroup `create_task`")


def _bound_gather(
    parsed: Region,
    node: cst.Call,
    function: cst.FunctionDef,
    helper_name: str,
    edits: dict[cst.CSTNode, Edit],
) -> cst.BaseStatement:
    """Wrap the coroutines each ``*argument`` of the gather makes; return the statement the
    Semaphore must come before."""
    holder = parsed.block_statement(node)
    wrapped = False
    for argument in node.args:
        if argument.star != "*":
            continue
        value = argument.value
        if isinstance(value, cst.ListComp | cst.GeneratorExp | cst.SetComp):
            coroutine = _coroutine_of(value.elt)
            edits[coroutine] = lambda updated: call(helper_name, updated)
            wrapped = True
        elif isinstance(value, cst.Name):
            factories = _task_factories(parsed, function, value.value)
            if factories:
                # Tasks run from their creation: the bound goes into what they run, and the
                # Semaphore before the first of them
                for factory in factories:
                    edits[_coroutine_of(factory)] = lambda updated: call(helper_name, updated)
                first = min(factories, key=parsed.start)
                holder = _top_statement(parsed, first, function)
            else:
                item = parsed.fresh("coroutine", [helper_name])
                generator = cst.GeneratorExp(
                    elt=call(helper_name, cst.Name(item)),
                    for_in=cst.CompFor(target=cst.Name(item), iter=value),
                )
                edits[value] = lambda updated, generator=generator: generator
            wrapped = True
    if not wrapped:
        raise RewriteError("the gather has no `*iterable` of coroutines to bound")
    return holder


def _top_statement(
    parsed: Region, node: cst.CSTNode, function: cst.FunctionDef
) -> cst.BaseStatement:
    """The statement of the function's own body that holds ``node``."""
    current = node
    for parent in parsed.ancestors(node):
        if parent is function.body:
            if not isinstance(current, cst.BaseStatement):
                raise RewriteError("unexpected code shape: `current` is not a BaseStatement")
            return current
        current = parent
    raise RewriteError("the task is not created in the function's body")


def _coroutine_of(element: cst.BaseExpression) -> cst.BaseExpression:
    """The coroutine an element makes: itself, or the one ``create_task(...)`` wraps (so the task
    waits for the Semaphore before it starts its work)."""
    if (
        isinstance(element, cst.Call)
        and last_name(element.func) in _TASK_FACTORIES
        and element.args
        and not element.args[0].star
        and element.args[0].keyword is None
    ):
        return element.args[0].value
    if not isinstance(element, cst.Call):
        raise RewriteError("the gathered elements are not coroutine calls")
    return element


def _task_factories(parsed: Region, function: cst.FunctionDef, name: str) -> list[cst.Call]:
    """The ``create_task``/``ensure_future`` calls filling the local list ``name``:
    ``name = [create_task(...) for ...]`` or ``name.append(create_task(...))``."""
    found = []
    for node in parsed.nodes(cst.Call):
        if last_name(node.func) not in _TASK_FACTORIES or parsed.scope_of(node) is not function:
            continue
        if not parsed.inside(node, function):
            continue
        for ancestor in parsed.ancestors(node):
            if isinstance(ancestor, cst.Assign) and any(
                isinstance(t.target, cst.Name) and t.target.value == name for t in ancestor.targets
            ):
                found.append(node)
            if (
                isinstance(ancestor, cst.Call)
                and isinstance(ancestor.func, cst.Attribute)
                and isinstance(ancestor.func.value, cst.Name)
                and ancestor.func.value.value == name
            ):
                found.append(node)
            if isinstance(ancestor, cst.BaseStatement):
                break
    return found


def _outermost_loop(
    parsed: Region, node: cst.CSTNode, function: cst.FunctionDef
) -> cst.BaseStatement:
    """The outermost loop around ``node`` in the function (else its statement): one Semaphore
    for every task the loop starts, not a new one per item."""
    outermost: cst.BaseStatement | None = None
    for ancestor in parsed.ancestors(node):
        if ancestor is function:
            break
        if isinstance(ancestor, cst.For | cst.While):
            outermost = ancestor
    return outermost if outermost is not None else parsed.block_statement(node)
