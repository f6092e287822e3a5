"""CA206: a pool created in every iteration of a loop becomes one pool made before the loop.

``with Pool(...) as pool:`` directly in a loop body is turned inside out: the ``with`` goes
around the loop, and the loop body keeps its other statements with the ``with`` block's
statements in place. A pool assigned by hand (``pool = Pool()`` … ``pool.close()``) is created
before the loop, and its ``close``/``join``/``shutdown``/``terminate`` calls run after it.

It is refused when the pool's arguments change per iteration (or call code that would now run
once instead of every time), when its name is bound again or read elsewhere in the loop, or
when its shutdown is not a plain statement of the loop body. A pool under several loops is
hoisted out of each, while an enclosing loop could still make it more than a few times.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import libcst as cst

from advisor.analysis.knowledge import load_knowledge
from advisor.codemods.pool_edit import (
    ParsedModule,
    RewriteError,
    code_of,
    finish,
    line_of,
    lost_comments,
    names_read,
    names_stored,
    walk,
)
from advisor.model import Finding, Site

__all__ = ["fix_pool_in_loop"]

_POOLS = load_knowledge().pools  # data (pools.toml)
POOLS, MIN_POOL_ITERATIONS = _POOLS.pools, _POOLS.min_iterations
_POOL_CLASSES = frozenset({name.rpartition(".")[2] for name in POOLS})
_LIFECYCLE = frozenset({"close", "join", "shutdown", "terminate"})
# Calls in a pool's arguments that give the same value every time (and run no user code).
_STEADY_CALLS = frozenset(
    {"len", "min", "max", "int", "os.cpu_count", "os.process_cpu_count",
     "multiprocessing.cpu_count", "multiprocessing.get_context", "functools.partial"}
)  # fmt: skip


def fix_pool_in_loop(source: str, finding: Finding) -> str:
    """CA206: create the pool once, before the loop (or loops) that made it per iteration."""
    parsed = ParsedModule.for_finding(source, finding)
    call = _pool_at(parsed, finding.site or finding.line)
    statement, name = _pool_statement(parsed, call)
    loops = _enclosing_loops(parsed, statement)
    if not loops:
        raise RewriteError("the pool is not created directly in the body of a loop")
    _require_steady_arguments(parsed, call)
    current: cst.CSTNode = loops[0]
    hoisted = _hoist(current, statement, name, call)
    if isinstance(hoisted, str):
        raise RewriteError(hoisted)
    # concadvise: ignore[CA102]: the two or three loops around one pool
    for index, outer in enumerate(loops[1:], start=1):
        if all(_is_small(loop) for loop in loops[index:]):
            break  # the pool is made only a few times now: not worth moving further
        body = outer.body
        if not isinstance(body, cst.IndentedBlock):
            raise RewriteError("unexpected code shape: `body` is not an IndentedBlock")
        position = next(i for i, s in enumerate(body.body) if s is current)
        new_body = [*body.body[:position], *hoisted.statements, *body.body[position + 1 :]]
        widened = outer.with_changes(body=body.with_changes(body=new_body))
        again = _hoist(widened, hoisted.pool, name, call)
        if isinstance(again, str):
            break  # hoisted as far as it can go
        current, hoisted = outer, again
    return finish(parsed, {current: cst.FlattenSentinel(hoisted.statements)})


# --- the pool ----------------------------------------------------------------------------------


def _pool_at(parsed: ParsedModule, where: int | Site) -> cst.Call:
    for call in parsed.calls_at(where):
        func = call.func
        last = func.attr.value if isinstance(func, cst.Attribute) else getattr(func, "value", "")
        if parsed.qualified_names(func) & POOLS or last in _POOL_CLASSES:
            return call
    raise RewriteError(f"no pool constructor starts on line {line_of(where)}")


def _pool_statement(parsed: ParsedModule, call: cst.Call) -> tuple[cst.BaseStatement, str]:
    """(the statement that makes the pool, the name it binds the pool to)."""
    holder = parsed.parent(call)
    if isinstance(holder, cst.WithItem):
        statement = parsed.parent(holder)
        if not isinstance(statement, cst.With) or len(statement.items) != 1:
            raise RewriteError("the pool's `with` statement opens other things too")
        if statement.asynchronous is not None:
            raise RewriteError("the pool is opened with `async with`")
        asname = holder.asname.name if holder.asname is not None else None
        if not isinstance(asname, cst.Name):
            raise RewriteError("the pool is not bound to a name by its `with` statement")
        return statement, asname.value
    line = parsed.parent(holder) if holder is not None else None
    if (
        isinstance(holder, cst.Assign)
        and holder.value is call
        and len(holder.targets) == 1
        and isinstance(holder.targets[0].target, cst.Name)
        and isinstance(line, cst.SimpleStatementLine)
        and len(line.body) == 1
    ):
        return line, holder.targets[0].target.value
    raise RewriteError("the pool is neither opened by `with` nor assigned to a name")


def _enclosing_loops(parsed: ParsedModule, statement: cst.CSTNode) -> list[cst.For | cst.While]:
    """The loops, innermost first, each holding the previous one directly in its body."""
    loops: list[cst.For | cst.While] = []
    current = statement
    while True:
        block = parsed.parent(current)
        loop = parsed.parent(block) if block is not None else None
        if not (
            isinstance(block, cst.IndentedBlock)
            and isinstance(loop, cst.For | cst.While)
            and loop.body is block
        ):
            return loops
        loops.append(loop)
        current = loop


def _require_steady_arguments(parsed: ParsedModule, call: cst.Call) -> None:
    """Made once, the pool's arguments are evaluated once: they must not run user code."""
    for argument in call.args:
        for node in walk(argument.value):
            if isinstance(node, cst.Call) and not parsed.qualified_names(node.func) & (
                _STEADY_CALLS | {f"builtins.{n}" for n in _STEADY_CALLS}
            ):
                raise RewriteError(
                    f"the pool's arguments call `{code_of(node.func)}`, which would run once "
                    "instead of in every iteration"
                )
            if isinstance(node, cst.Lambda | cst.NamedExpr | cst.Await | cst.Yield):
                raise RewriteError("the pool's arguments hold a lambda, `:=`, await or yield")


def _is_small(loop: cst.For | cst.While) -> bool:
    """A loop over a literal or ``range`` of literals with fewer items than the rule counts."""
    if not isinstance(loop, cst.For):
        return False
    iterable = loop.iter
    if isinstance(iterable, cst.Tuple | cst.List | cst.Set):
        if any(isinstance(e, cst.StarredElement) for e in iterable.elements):
            return False
        return len(iterable.elements) < MIN_POOL_ITERATIONS
    if (
        isinstance(iterable, cst.Call)
        and isinstance(iterable.func, cst.Name)
        and iterable.func.value == "range"
        and 1 <= len(iterable.args) <= 3
        and all(isinstance(a.value, cst.Integer) and not a.keyword for a in iterable.args)
    ):
        bounds = [int(a.value.value, 0) for a in iterable.args]  # type: ignore[attr-defined]
        try:
            return len(range(*bounds)) < MIN_POOL_ITERATIONS
        except ValueError:  # a step of 0
            return False
    return False


# --- one level ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Hoisted:
    statements: tuple[cst.BaseStatement, ...]  # what replaces the loop
    pool: cst.BaseStatement  # the `with` around it, or the assignment before it


def _hoist(
    loop: cst.For | cst.While,
    statement: cst.BaseStatement,
    name: str,
    call: cst.Call,
) -> _Hoisted | str:
    """The statements replacing ``loop`` with ``statement`` moved out of it, or why not."""
    if loop.orelse is not None and not isinstance(statement, cst.With):
        return "the loop has an else clause"
    body = loop.body
    if not isinstance(body, cst.IndentedBlock):
        raise RewriteError("unexpected code shape: `body` is not an IndentedBlock")
    statements = list(body.body)
    position = next((i for i, s in enumerate(statements) if s is statement), None)
    if position is None:
        return "the pool is not created directly in the loop body"
    variables = _loop_variables(loop, statements)
    changing = sorted(names_read(call) & (variables - {name}))
    if changing:
        return f"the pool's arguments use `{changing[0]}`, which changes in every iteration"
    header = loop.iter if isinstance(loop, cst.For) else loop.test
    if name in names_read(header):
        return f"the loop's {'iterable' if isinstance(loop, cst.For) else 'test'} reads `{name}`"
    others = [s for i, s in enumerate(statements) if i != position]
    if isinstance(statement, cst.With):
        return _hoist_with(loop, statement, name, statements, position, others)
    return _hoist_assignment(loop, statement, name, statements, position)


def _loop_variables(loop: cst.For | cst.While, statements: Sequence[cst.CSTNode]) -> set[str]:
    # concadvise: ignore[CA102]: a few statements of one loop body
    names = set().union(*(names_stored(s) for s in statements))
    if isinstance(loop, cst.For):
        names |= {n.value for n in walk(loop.target) if isinstance(n, cst.Name)}
    return names


def _hoist_with(
    loop: cst.For | cst.While,
    pool: cst.With,
    name: str,
    statements: list[cst.BaseStatement],
    position: int,
    others: list[cst.BaseStatement],
) -> _Hoisted | str:
    if any(name in names_read(s) or name in names_stored(s) for s in others):
        return f"`{name}` is used or bound again elsewhere in the loop"
    inner = pool.body
    if name in names_stored(inner):
        return f"`{name}` is bound again inside the `with` block"
    if _calls_lifecycle(inner, name):
        return f"`{name}` is shut down by hand inside the `with` block"
    if isinstance(inner, cst.IndentedBlock):
        moved: list[cst.BaseStatement] = list(inner.body)
        header = inner.header
    else:  # `with Pool() as pool: pool.map(f, xs)` on one line
        moved = [
            cst.SimpleStatementLine(body=inner.body, trailing_whitespace=inner.trailing_whitespace)
        ]
        header = cst.TrailingWhitespace()
    new_statements = [*statements[:position], *moved, *statements[position + 1 :]]
    body = loop.body
    if not isinstance(body, cst.IndentedBlock):
        raise RewriteError("unexpected code shape: `body` is not an IndentedBlock")
    new_loop = loop.with_changes(body=body.with_changes(body=new_statements), leading_lines=[])
    # comments above the `with` describe the pool: they go up with it (blank lines stay out)
    described = [line for line in pool.leading_lines if line.comment is not None]
    new_pool = pool.with_changes(
        body=cst.IndentedBlock(body=[new_loop], header=header),
        leading_lines=[*loop.leading_lines, *described],
    )
    lost = lost_comments([loop], [new_pool])
    if lost:
        new_pool = new_pool.with_changes(leading_lines=[*new_pool.leading_lines, *lost])
    return _Hoisted((new_pool,), new_pool)


def _calls_lifecycle(node: cst.CSTNode, name: str) -> bool:
    return any(
        isinstance(n, cst.Call)
        and isinstance(n.func, cst.Attribute)
        and isinstance(n.func.value, cst.Name)
        and n.func.value.value == name
        and n.func.attr.value in _LIFECYCLE
        for n in walk(node)
    )


def _lifecycle_statement(statement: cst.CSTNode, name: str) -> bool:
    """``pool.close()`` (or join/shutdown/terminate) alone on its line."""
    if not isinstance(statement, cst.SimpleStatementLine) or len(statement.body) != 1:
        return False
    expression = statement.body[0]
    return (
        isinstance(expression, cst.Expr)
        and _calls_lifecycle(expression, name)
        and (
            isinstance(expression.value, cst.Call)
            and isinstance(expression.value.func, cst.Attribute)
            and isinstance(expression.value.func.value, cst.Name)
        )
    )


def _hoist_assignment(
    loop: cst.For | cst.While,
    pool: cst.BaseStatement,
    name: str,
    statements: list[cst.BaseStatement],
    position: int,
) -> _Hoisted | str:
    before, after = statements[:position], statements[position + 1 :]
    if any(name in names_read(s) or name in names_stored(s) for s in before):
        return f"`{name}` is used before the pool is made in the loop body"
    lifecycle = [s for s in after if _lifecycle_statement(s, name)]
    rest = [s for s in after if not any(s is c for c in lifecycle)]
    if any(name in names_stored(s) for s in after):
        return f"`{name}` is bound again in the loop"
    if any(_calls_lifecycle(s, name) for s in rest):
        return f"`{name}` is shut down inside a nested block of the loop"
    if lifecycle:
        first = next(i for i, s in enumerate(after) if s is lifecycle[0])
        if any(name in names_read(s) for s in after[first:] if not any(s is c for c in lifecycle)):
            return f"`{name}` is used after it is shut down in the loop body"
    body = loop.body
    if not isinstance(body, cst.IndentedBlock):
        raise RewriteError("unexpected code shape: `body` is not an IndentedBlock")
    new_loop = loop.with_changes(body=body.with_changes(body=[*before, *rest]), leading_lines=[])
    created = pool.with_changes(leading_lines=[*loop.leading_lines, *pool.leading_lines])  # type: ignore[attr-defined]
    lost = lost_comments([loop], [created, new_loop, *lifecycle])
    if lost:
        created = created.with_changes(leading_lines=[*created.leading_lines, *lost])
    return _Hoisted((created, new_loop, *lifecycle), created)
