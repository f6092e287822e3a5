"""Rewrite a serial loop into ``with <pool> as executor: ... executor.map(...)``, for any pool.

``executor.map`` yields results in input order and re-raises an item's exception where the loop
was, so every rewrite keeps the order of the result and lets exceptions surface. The pool is a
parameter (:class:`PoolFactory`): threads, processes, or another executor (a Dask client's) reuse
the same loop rewrite. When the items run in other processes, the callable given to ``map`` must
be picklable (see :mod:`advisor.codemods.lifting`) and code that runs on import must move under
``if __name__ == "__main__":`` (see :mod:`advisor.codemods.main_guard`).

Only the loop's own lines are parsed with libcst; ``ast`` finds them (see
:mod:`advisor.syntax.region`). One loop of a 60,000-line module takes ~2 s, most of it Python's
own parse and the final compile check; parsing the whole module with libcst took 70-150 s.
"""

from __future__ import annotations

import ast
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

import libcst as cst

from advisor.codemods.item_call import direct_callable, item_function, item_lambda, parenthesized
from advisor.codemods.lifting import lift_item_function, worker_entry_names
from advisor.codemods.main_guard import (
    GuardPlan,
    guarded_region,
    hidden_from_workers,
    plan_main_guard,
    unguarded_script,
)
from advisor.errors import RewriteError
from advisor.model import Site
from advisor.syntax.bindings import bound_in, bound_names, declarations, global_reads
from advisor.syntax.comments import keep_comments
from advisor.syntax.containers import built_collection
from advisor.syntax.edits import (
    LineEdit,
    apply_line_edits,
    blank_padding,
    check_compiles,
    insertion_line,
)
from advisor.syntax.imports import ImportItem, add_imports, first_statement_after_header
from advisor.syntax.item_flow import read_after_reasons
from advisor.syntax.loop_shape import LoopAt, LoopShape, filtered_loop, locate_loop
from advisor.syntax.name_uses import scope_names
from advisor.syntax.names import ModuleNames, fresh_name
from advisor.syntax.script_guard import runs_only_as_script
from advisor.syntax.serial_tail import serial_tail
from advisor.syntax.source import Source

__all__ = [
    "PROCESS_POOL",
    "THREAD_POOL",
    "ExecutorCall",
    "PoolFactory",
    "rewrite_loop",
    "rewrite_loops",
]


@dataclass(frozen=True, slots=True)
class ExecutorCall:
    """``Name()`` or ``Name(max_workers=N)``: how concurrent.futures executors are made."""

    name: str

    def __call__(self, workers: int | None) -> str:
        return f"{self.name}()" if workers is None else f"{self.name}(max_workers={workers})"


@dataclass(frozen=True, slots=True)
class PoolFactory:
    """How a loop rewrite makes its pool.

    ``build(workers)`` is the source of the expression after ``with`` (``workers`` is None for
    the pool's own default); besides builtins it may only use ``import_name``, which the rewrite
    imports from ``import_module``. ``crosses_processes``: the items run in other processes, so
    what ``map`` is given must be a module-level function, and code that runs on import moves
    under the ``__main__`` guard (the workers import the module again)."""

    import_module: str
    import_name: str
    build: Callable[[int | None], str]
    crosses_processes: bool = False
    extra_imports: tuple[ImportItem, ...] = field(default=())
    # A context the executor comes from, opened first in the same `with` and closed after it:
    # (expression, base of its fresh name). ``build``'s text refers to it as ``{session}``
    # (a Dask ``Client``, whose ``get_executor()`` is the pool).
    session: tuple[str, str] | None = None
    # the pool's method that maps the items lazily, in order, raising an item's exception when
    # its result is taken: `map` for concurrent.futures executors, `imap` for a multiprocessing-
    # style pool (Ray's), whose `map` waits for every item first
    map_method: str = "map"


THREAD_POOL = PoolFactory(
    "concurrent.futures", "ThreadPoolExecutor", ExecutorCall("ThreadPoolExecutor")
)
PROCESS_POOL = PoolFactory(
    "concurrent.futures",
    "ProcessPoolExecutor",
    ExecutorCall("ProcessPoolExecutor"),
    crosses_processes=True,
)


# --- building the rewrite -----------------------------------------------------------------------


def _comma() -> cst.Comma:
    return cst.Comma(whitespace_after=cst.SimpleWhitespace(" "))


def _map_call(
    shape: LoopShape,
    executor: str,
    mapped: cst.BaseExpression,
    chunksize: int | None = None,
    method: str = "map",
) -> cst.Call:
    iterable: cst.BaseExpression = parenthesized(shape.iterable)
    if shape.conditions:
        # The filter stays serial and in front: only the elements go to the pool.
        iterable = cst.ListComp(
            elt=cst.Name(shape.target),
            for_in=cst.CompFor(
                target=cst.Name(shape.target), iter=iterable, ifs=list(shape.conditions)
            ),
        )
    args = [cst.Arg(mapped, comma=_comma()), cst.Arg(iterable)]
    if chunksize is not None:
        args[-1] = args[-1].with_changes(comma=_comma())
        args.append(
            cst.Arg(
                cst.Integer(str(chunksize)),
                keyword=cst.Name("chunksize"),
                equal=cst.AssignEqual(cst.SimpleWhitespace(""), cst.SimpleWhitespace("")),
            )
        )
    return cst.Call(func=cst.Attribute(value=cst.Name(executor), attr=cst.Name(method)), args=args)


def _call_on(name: str, method: str, argument: cst.BaseExpression) -> cst.Call:
    return cst.Call(
        func=cst.Attribute(value=cst.Name(name), attr=cst.Name(method)),
        args=[cst.Arg(argument)],
    )


@dataclass(frozen=True, slots=True)
class _Pool:
    """The `with` items of a rewrite: the session it opens first, if any, then the pool."""

    pool: cst.BaseExpression
    session: tuple[cst.BaseExpression, str] | None = None


def _pool_with(
    pool: _Pool,
    executor: str,
    body: Sequence[cst.BaseStatement],
    leading_lines: Sequence[cst.EmptyLine],
    header: cst.TrailingWhitespace | None = None,
    footer: Sequence[cst.EmptyLine] = (),
) -> cst.With:
    items = [cst.WithItem(item=pool.pool, asname=cst.AsName(name=cst.Name(executor)))]
    if pool.session is not None:
        opened, name = pool.session
        items.insert(
            0, cst.WithItem(item=opened, asname=cst.AsName(name=cst.Name(name)), comma=_comma())
        )
    return cst.With(
        items=items,
        body=cst.IndentedBlock(
            body=list(body), header=header or cst.TrailingWhitespace(), footer=list(footer)
        ),
        leading_lines=list(leading_lines),
    )


@dataclass(frozen=True, slots=True)
class _Names:
    executor: str
    result: str
    items: str = "items"  # the serial head form's list of items and iterator of results
    results: str = "results"


# The method that takes all the mapped results at once, by form; the other forms loop over them.
_COLLECTING_METHOD = {"for_append": "extend", "for_set_add": "update", "for_dict_item": "update"}


def _rewrite_for(
    loop: cst.For,
    shape: LoopShape,
    pool: _Pool,
    map_call: cst.Call,
    names: _Names,
    collection: str | None,
) -> cst.With:
    """The `with` that replaces a `for` loop, keeping the comments of its header and body.

    ``collection``: the built-in type the accumulator is proven to hold; the results go into
    it with one ``extend``/``update``. Into anything else each result is stored as the loop
    stored it, one statement per result in order (a preallocated list filled by index has no
    ``update``; a dict subclass's ``__setitem__`` must still run)."""
    filtered = filtered_loop(loop)
    if filtered is not None:  # the filter went into the map's iterable
        loop = filtered[0]
    if shape.form == "for_tail" and isinstance(loop.body, cst.IndentedBlock):
        serial = (
            _serial_head_loop(shape, map_call, names)
            if shape.head
            else [_serial_tail_loop(shape, map_call, names)]
        )
        block = loop.body
        return _pool_with(
            pool, names.executor, serial, loop.leading_lines, block.header, block.footer
        )
    if isinstance(loop.body, cst.IndentedBlock):
        # inside a `with` that is the whole body, the collecting line is the block's last
        items = shape.wrapper.body if shape.wrapper is not None else loop.body
        if not isinstance(items, cst.IndentedBlock):
            raise RewriteError("unexpected code shape: the `with` body is not a block")
        line = items.body[-1]
        if not isinstance(line, cst.SimpleStatementLine):
            raise RewriteError("unexpected code shape: `line` is not a SimpleStatementLine")
        header: cst.TrailingWhitespace | None = loop.body.header
        footer: Sequence[cst.EmptyLine] = loop.body.footer
    else:  # `for x in xs: acc.append(x)` on one line
        if not isinstance(loop.body, cst.SimpleStatementSuite):
            raise RewriteError("unexpected code shape: `loop.body` is not a SimpleStatementSuite")
        line = cst.SimpleStatementLine(
            body=loop.body.body, trailing_whitespace=loop.body.trailing_whitespace
        )
        header, footer = None, ()
    statement = line.body[0]
    accumulator = shape.accumulator
    if accumulator is None:
        raise RewriteError("unexpected code shape: no `accumulator`")
    plain = cst.MaybeSentinel.DEFAULT
    new_body: cst.BaseStatement
    method = _COLLECTING_METHOD.get(shape.form)
    if method is not None and collection != _COLLECTION_OF.get(shape.form):
        return _pool_with(
            pool,
            names.executor,
            [_store_each(line, statement, shape, map_call, names)],
            loop.leading_lines,
            header,
            footer,
        )
    if method is not None and isinstance(statement, cst.Expr):
        # `acc.append(v)` → `acc.extend(executor.map(...))`: the call node keeps its spacing
        call = statement.value
        if not isinstance(call, cst.Call):
            raise RewriteError("unexpected code shape: `call` is not a Call")
        if not isinstance(call.func, cst.Attribute):
            raise RewriteError("unexpected code shape: `call.func` is not an Attribute")
        collect = call.with_changes(
            func=call.func.with_changes(attr=cst.Name(method)), args=[cst.Arg(map_call)]
        )
        new_body = line.with_changes(body=[statement.with_changes(value=collect, semicolon=plain)])
    elif method is not None:  # `d[key] = v` → `d.update(executor.map(...))`
        new_body = line.with_changes(body=[cst.Expr(_call_on(accumulator, method, map_call))])
    else:  # `acc += v` / `acc.extend(v)`: one reduction per result, in order
        if isinstance(statement, cst.AugAssign):
            reduce: cst.BaseSmallStatement = statement.with_changes(
                value=cst.Name(names.result), semicolon=plain
            )
        else:
            reduce = cst.Expr(_call_on(accumulator, "extend", cst.Name(names.result)))
        new_body = cst.For(
            target=cst.Name(names.result),
            iter=map_call,
            body=cst.IndentedBlock([line.with_changes(body=[reduce], leading_lines=[])]),
            leading_lines=line.leading_lines,
        )
    return _pool_with(pool, names.executor, [new_body], loop.leading_lines, header, footer)


def _serial_tail_loop(shape: LoopShape, map_call: cst.Call, names: _Names) -> cst.For:
    """``for <returned> in executor.map(...): <tail>``: the loop's own tail statements, run
    serially over the results in the original order (``pass`` for a body of effects only, whose
    results are consumed so each item's exception surfaces where the loop was)."""
    target = shape.value if shape.returned else cst.Name(names.result)
    body = list(shape.tail) or [cst.SimpleStatementLine([cst.Pass()])]
    return cst.For(target=target, iter=map_call, body=cst.IndentedBlock(body))


def _serial_head_loop(
    shape: LoopShape, map_call: cst.Call, names: _Names
) -> list[cst.BaseStatement]:
    """The items listed, mapped, then a serial loop over them that runs each item's head (its
    output before the work), then takes its result, then runs its tail::

        items = list(urls)
        results = executor.map(work, items)
        for url in items:
            print(f"Downloading {url}")
            size = next(results)
            ...

    Taking each result only after the item's head ran keeps the output byte-identical, a
    failure included: the failing item's head prints, then its exception is raised from
    ``next`` where the loop raised it. ``map`` lists its iterable upfront as well."""
    if len(map_call.args) < 2:
        raise RewriteError("unexpected code shape: the map call has no iterable")
    iterable = map_call.args[1].value
    listed = iterable if isinstance(iterable, cst.ListComp) else _call_of("list", iterable)
    mapped = map_call.with_changes(
        args=[
            map_call.args[0],
            map_call.args[1].with_changes(value=cst.Name(names.items)),
            *map_call.args[2:],
        ]
    )
    taken = _call_of("next", cst.Name(names.results))
    take: cst.BaseSmallStatement = (
        cst.Assign([cst.AssignTarget(shape.value)], taken) if shape.returned else cst.Expr(taken)
    )
    head = list(shape.head)
    target: cst.BaseAssignTargetExpression = cst.Name(shape.target)
    unpacked = _unpacking_target(head[0], shape.target) if head else None
    if unpacked is not None:  # `for item in items: k, v = item` is `for k, v in items:`
        target, head = unpacked.with_changes(lpar=[], rpar=[]), head[1:]
    body = [*head, cst.SimpleStatementLine([take]), *shape.tail]
    return [
        _assign(names.items, listed),
        _assign(names.results, mapped),
        cst.For(target=target, iter=cst.Name(names.items), body=cst.IndentedBlock(body)),
    ]


def _unpacking_target(
    statement: cst.BaseStatement, item: str
) -> cst.BaseAssignTargetExpression | None:
    """``k, v`` of ``k, v = item``, the unpacking a tuple target of the loop became."""
    if not (isinstance(statement, cst.SimpleStatementLine) and len(statement.body) == 1):
        return None
    assign = statement.body[0]
    if not (isinstance(assign, cst.Assign) and len(assign.targets) == 1):
        return None
    value = assign.value
    if not (isinstance(value, cst.Name) and value.value == item):
        return None
    target = assign.targets[0].target
    return target if isinstance(target, cst.Tuple | cst.List) else None


def _call_of(function: str, argument: cst.BaseExpression) -> cst.Call:
    return cst.Call(func=cst.Name(function), args=[cst.Arg(argument)])


def _assign(name: str, value: cst.BaseExpression) -> cst.SimpleStatementLine:
    return cst.SimpleStatementLine([cst.Assign([cst.AssignTarget(cst.Name(name))], value)])


# The built-in collection the compact form of each collecting form needs.
_COLLECTION_OF = {"for_append": "list", "for_set_add": "set", "for_dict_item": "dict"}


def _store_each(
    line: cst.SimpleStatementLine,
    statement: cst.BaseSmallStatement,
    shape: LoopShape,
    map_call: cst.Call,
    names: _Names,
) -> cst.For:
    """``for result in executor.map(...): acc.append(result)`` (``for key, result in ...:
    d[key] = result`` for a dict item): the loop's own collecting statement, once per result."""
    result = cst.Name(names.result)
    plain = cst.MaybeSentinel.DEFAULT
    target: cst.BaseAssignTargetExpression = result
    if isinstance(statement, cst.Expr) and isinstance(statement.value, cst.Call):
        call = statement.value
        store: cst.BaseSmallStatement = statement.with_changes(
            value=call.with_changes(args=[cst.Arg(result)]), semicolon=plain
        )
    elif isinstance(statement, cst.Assign) and shape.key is not None:
        key = shape.key
        if not isinstance(key, cst.Name):
            raise RewriteError("unexpected code shape: the dict key is not a name")
        target = cst.Tuple(
            [
                cst.Element(key, comma=cst.Comma(whitespace_after=cst.SimpleWhitespace(" "))),
                cst.Element(result),
            ],
            lpar=[],
            rpar=[],
        )
        store = statement.with_changes(value=result, semicolon=plain)
    else:
        raise RewriteError("unexpected code shape: not a collecting statement")
    return cst.For(
        target=target,
        iter=map_call,
        body=cst.IndentedBlock([line.with_changes(body=[store], leading_lines=[])]),
        leading_lines=line.leading_lines,
    )


def _rewrite_comprehension(
    line: cst.SimpleStatementLine,
    shape: LoopShape,
    pool: _Pool,
    map_call: cst.Call,
    names: _Names,
) -> cst.With:
    """The `with` that turns ``x = [...]`` / ``return [...]`` into a ``list``/``dict`` of a map."""
    statement = line.body[0]
    if not isinstance(statement, cst.Assign | cst.AnnAssign | cst.Return):
        raise RewriteError("unexpected code shape: `statement` is not an assignment or return")
    collect = _collecting_builtin(shape.form)
    if collect is None:
        raise RewriteError("unexpected code shape: no `collect`")
    value = cst.Call(func=cst.Name(collect), args=[cst.Arg(map_call)])
    changes: dict[str, object] = {"value": value, "semicolon": cst.MaybeSentinel.DEFAULT}
    spacing = getattr(statement, "whitespace_after_return", None)
    if isinstance(spacing, cst.SimpleWhitespace) and not spacing.value:
        changes["whitespace_after_return"] = cst.SimpleWhitespace(" ")  # was `return[...]`
    new_line = line.with_changes(body=[statement.with_changes(**changes)], leading_lines=[])
    return _pool_with(pool, names.executor, [new_line], line.leading_lines)


def _collecting_builtin(form: str) -> str | None:
    """The builtin a comprehension's rewrite calls to collect the results, if any."""
    return {"list_comp": "list", "dict_comp": "dict"}.get(form)


# --- planning one loop --------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Plan:
    line: int
    edits: tuple[LineEdit, ...]
    imports: tuple[ImportItem, ...]


@dataclass
class _Context:
    """What every loop of one call shares: the module, its names, the names already given."""

    module: Source
    factory: PoolFactory
    names: ModuleNames
    pool_names: _Names
    taken: set[str] = field(default_factory=set)  # helper function names given out

    def helper_name(self, shape: LoopShape) -> str:
        base = shape.target.strip("_") or "item"
        name = fresh_name(f"_{base}_result", lambda n: n in self.taken or self.names.uses(n))
        self.taken.add(name)
        return name


def _check_workers(workers: object) -> str | None:
    if workers is None:
        return None
    if isinstance(workers, bool) or not isinstance(workers, int) or workers < 1:
        return f"max_workers must be a positive integer, not {workers!r}"
    return None


_DEFINITIONS = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)


def _context_reason(at: LoopAt, context: _Context) -> str | None:
    """Why the loop's surroundings forbid the rewrite: a name the rewrite relies on bound to
    something else, or a name the loop sets that other code reads afterwards."""
    located, shape = at.located, at.shape
    factory, names = context.factory, context.names
    if names.rebinds(factory.import_name):
        return f"the module binds {factory.import_name} to something else"
    collect = _collecting_builtin(shape.form)
    if collect is not None and names.rebinds(collect):
        return f"the module rebinds the builtin {collect}"
    node = located.node
    if not isinstance(node, ast.For):
        return None
    # After the rewrite the loop variable and the body's temporaries live in the pool's function.
    function = located.function
    scope_body = function.body if function is not None else context.module.tree.body
    scope_start = max(
        (i for i, a in enumerate(located.ancestors) if isinstance(a, _DEFINITIONS)), default=0
    )
    outer = next(
        (
            a
            for a in located.ancestors[scope_start:]
            if isinstance(a, ast.For | ast.AsyncFor | ast.While)
        ),
        None,
    )
    start = outer.lineno if outer is not None else node.lineno
    later = [s for s in scope_body if (s.end_lineno or s.lineno) >= start]
    tail = serial_tail(node, head=True)
    kept = frozenset() if tail is None else tail.written | frozenset(tail.returned)
    if tail is not None and tail.head:  # the serial loop binds the item itself
        kept |= bound_names(node.target)
    reasons = read_after_reasons(node, scope_names(later), outer, kept)
    if reasons:
        return reasons[0]
    set_by_loop = (bound_in(node.body) | bound_in([node.target])) - {shape.accumulator} - kept
    if function is not None:
        for name, keyword in declarations(function).items():
            if name in set_by_loop:
                return f"the loop sets `{name}`, declared {keyword} in `{function.name}()`"
        return None
    readers = [s for s in context.module.tree.body if isinstance(s, _DEFINITIONS)]
    for name, reader in global_reads(readers).items():
        if name in set_by_loop:
            return f"the loop sets the global `{name}`, which `{reader}` reads"
    return None


def _guard_need(at: LoopAt, module: Source) -> GuardPlan | str | None:
    """The script code that must move under the ``__main__`` guard before items run in other
    processes: a module-level loop runs on import, and so does a script's ``main()`` call when
    nothing in the module is guarded. None when nothing must move."""
    located = at.located
    if runs_only_as_script(located.ancestors, located.node):
        return None
    if located.function is None:
        plan = plan_main_guard(module, located.top_level)
        return f"the loop runs on import, and {plan}" if isinstance(plan, str) else plan
    script = unguarded_script(module)
    if script is None:
        return None
    plan = plan_main_guard(module, script)
    if isinstance(plan, str):
        return f"the module runs code on import (line {script.lineno}), and {plan}"
    return plan


def _spaced(
    before: list[cst.BaseStatement], new: cst.With, at: LoopAt, module: Source
) -> tuple[list[cst.BaseStatement], cst.With]:
    """Blank lines around a function defined next to the loop, as PEP 8 puts them: two at
    module level, one in a function; none between it and a block header or a comment above."""
    blank = 2 if at.located.function is None and isinstance(at.located.parent, ast.Module) else 1
    lines = [cst.EmptyLine(indent=False)] * blank
    above = module.lines[at.text.first - 2].strip() if at.text.first > 1 else ""
    parent, node = at.located.parent, at.located.node
    first_in_block = any(
        (getattr(parent, block, None) or [None])[0] is node
        for block in ("body", "orelse", "finalbody")
    )
    if above and not above.startswith("#") and not first_in_block:
        before = [before[0].with_changes(leading_lines=lines), *before[1:]]
    return before, new.with_changes(leading_lines=[*lines, *new.leading_lines])


def _plan_loop(
    where: int | Site, workers: int | None, context: _Context, chunksize: int | None
) -> _Plan | str:
    module, factory, names = context.module, context.factory, context.pool_names
    line = where if isinstance(where, int) else where.line
    at = locate_loop(module, where)
    if isinstance(at, str):
        return at
    reason = _check_workers(workers) or _context_reason(at, context)
    if reason is not None:
        return reason
    shape = at.shape
    imports = [ImportItem(factory.import_module, factory.import_name), *factory.extra_imports]
    before: list[cst.BaseStatement] = []  # statements that go right before the `with`
    helper = ""  # a module-level function that goes before the code holding the loop
    guard: GuardPlan | None = None
    if factory.crosses_processes:
        need = _guard_need(at, module)
        if isinstance(need, str):
            return need
        lifted = lift_item_function(
            module,
            at,
            helper_name=lambda: context.helper_name(shape),
            moved=need.moved if need is not None else (),
            rebinds=context.names.rebinds,
        )
        if isinstance(lifted, str):
            return lifted
        if need is not None:
            hidden = hidden_from_workers(need, worker_entry_names(module, lifted))
            if hidden is not None:
                return hidden
        mapped, helper, guard = lifted.mapped, lifted.helper_text, need
        imports += lifted.imports
    elif shape.prelude or shape.wrapper is not None:
        # Threads share the loop's scope: a function defined next to the loop reads the
        # enclosing variables it needs as a closure.
        name = context.helper_name(shape)
        before = [item_function(name, shape)]
        mapped = cst.Name(name)
    else:
        mapped = direct_callable(shape) or item_lambda(shape)
    if factory.session is None:
        pool = _Pool(cst.parse_expression(factory.build(workers)))
    else:
        opened, base = factory.session
        session = fresh_name(base, context.names.uses)
        pool = _Pool(
            cst.parse_expression(factory.build(workers).format(session=session)),
            (cst.parse_expression(opened), session),
        )
    map_call = _map_call(shape, names.executor, mapped, chunksize, factory.map_method)
    statement = at.text.statement
    if isinstance(statement, cst.For):
        scope = at.located.function or module.tree
        collection = built_collection(scope, shape.accumulator or "", module.tree)
        new = _rewrite_for(statement, shape, pool, map_call, names, collection)
    else:
        if not isinstance(statement, cst.SimpleStatementLine):
            raise RewriteError("unexpected code shape: `statement` is not a SimpleStatementLine")
        new = _rewrite_comprehension(statement, shape, pool, map_call, names)
    if before:
        before, new = _spaced(before, new, at, module)
    statements = keep_comments(statement, [*before, new])
    first, last = at.text.first, at.text.last
    if guard is not None and at.located.function is None:
        # The loop itself moves under the guard, with the helper function before it.
        inner = LineEdit(first, last, at.text.render(statements, guard.indent + at.text.indent))
        above = (
            blank_padding(module, guard.first, 2) + helper + module.newline * 2 if helper else ""
        )
        return _Plan(line, (guarded_region(module, guard, inner, above),), tuple(imports))
    edits = [LineEdit(first, last, at.text.render(statements))]
    if helper:
        top = insertion_line(module, at.located.top_level)
        text = blank_padding(module, top, 2) + helper + module.newline * 2
        edits.append(LineEdit(top, top - 1, text))
    if guard is not None:
        edits.append(guarded_region(module, guard))
    return _Plan(line, tuple(edits), tuple(imports))


def rewrite_loops(
    source: str,
    loops: Mapping[int | Site, int | None],
    factory: PoolFactory,
    *,
    chunksize: int | None = None,
) -> str:
    """``loops`` maps each loop, by the site a finding located (or the first line of the loop
    statement), to its worker count (None: the pool's default). Returns the new source.
    ``chunksize`` is passed to ``executor.map`` (items sent to a worker process at a time;
    None: the executor's default of one).

    Raises RewriteError (its message names each refused line and why) if a requested line holds
    no rewritable loop. The result compiles whenever the source does."""
    if not loops:
        return source
    if factory.crosses_processes and len(loops) > 1:
        raise ValueError("a rewrite onto other processes takes one loop at a time")
    module = Source.for_rewrite(source)
    names = ModuleNames(module, factory.import_module, factory.import_name)
    context = _Context(
        module,
        factory,
        names,
        _Names(
            fresh_name("executor", names.uses),
            fresh_name("result", names.uses),
            fresh_name("items", names.uses),
            fresh_name("results", names.uses),
        ),
    )
    problems: dict[int, str] = {}
    plans: list[_Plan] = []
    # concadvise: ignore[CA102]: the loops of one fix, applied in order on one source
    for where, workers in sorted(loops.items(), key=lambda item: _line_of(item[0])):
        plan = _plan_loop(where, workers, context, chunksize)
        if isinstance(plan, str):
            problems[_line_of(where)] = plan
        else:
            plans.append(plan)
    claimed: list[tuple[LineEdit, int]] = []
    for plan in plans:
        for edit in plan.edits:
            for other, owner in claimed:
                if edit.first <= other.last and other.first <= edit.last:
                    problems.setdefault(plan.line, f"overlaps the loop rewritten at line {owner}")
            claimed.append((edit, plan.line))
    if problems:
        raise RewriteError(
            "; ".join(f"line {line}: {why}" for line, why in sorted(problems.items()))
        )
    edits = [edit for plan in plans for edit in plan.edits]
    text = apply_line_edits(module.lines, edits)
    imports = list(dict.fromkeys(item for plan in plans for item in plan.imports))
    # Imports go before the first statement after the leading imports, or before the first
    # rewritten line if it comes first (the comments a rewrite moves stay with its code).
    anchors = [first_statement_after_header(module.tree), *(e.first for e in edits)]
    text = add_imports(text, min(a for a in anchors if a is not None), imports)
    return check_compiles(source, text)


def rewrite_loop(
    source: str,
    where: int | Site,
    workers: int | None,
    factory: PoolFactory,
    *,
    chunksize: int | None = None,
) -> str:
    """One loop onto ``factory``'s pool: see :func:`rewrite_loops`."""
    return rewrite_loops(source, {where: workers}, factory, chunksize=chunksize)


def _line_of(where: int | Site) -> int:
    return where if isinstance(where, int) else where.line
