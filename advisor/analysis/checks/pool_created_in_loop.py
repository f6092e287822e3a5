"""CA206: a pool created in every iteration of a loop, paying its start-up per item.

Hoisting it out is safe when its arguments do not change per iteration and every task given to
it is finished within the iteration anyway (its shutdown is no longer the barrier code relies on).
"""

from __future__ import annotations

import ast

from advisor.analysis.pool_checker import (
    POOL_KNOWLEDGE,
    WAITS,
    EnclosingLoop,
    PoolChecker,
    pool_family,
    safety_of,
)
from advisor.analysis.pool_shapes import assigned_name, is_method_call, read_names, with_ancestors

RULE = "CA206"

# Methods whose result is a finished list: using them keeps a per-iteration pool's barrier.
_EAGER = {"executor": frozenset(), "mp": frozenset({"map", "starmap", "apply"})}
_MAPS = frozenset({"map", "imap", "imap_unordered", "starmap"})
_LIFECYCLE = frozenset({"close", "join", "shutdown", "terminate"})
MIN_POOL_ITERATIONS = POOL_KNOWLEDGE.min_iterations  # fewer make a pool per iteration not worth it


def on_pool(checker: PoolChecker, call: ast.Call, pool: str) -> None:
    if isinstance(checker.parents[-1], ast.Expr):
        return  # made and thrown away (a test that expects the constructor to raise)
    loop = next(
        (
            loop
            for loop in reversed(checker.loops)
            if (items := checker.loop_count(loop)[1]) is None or items >= MIN_POOL_ITERATIONS
        ),
        None,
    )
    if loop is None:
        return
    safety, why = safety_of(_pool_in_loop_reasons(checker, call, pool, loop))
    checker.add(
        RULE,
        call,
        f"`{checker.text(call.func)}(...)` creates a new pool in every iteration of "
        f"{loop.phrase}: create one pool before the loop and reuse it",
        kind="unknown",
        suggestion="bounded_pool",
        fix_safety=safety,
        reasons=why,
    )


def _pool_in_loop_reasons(
    checker: PoolChecker, call: ast.Call, pool: str, loop: EnclosingLoop
) -> list[str]:
    """Moving the pool out is safe when its arguments do not change per iteration and every
    task it is given is finished within the iteration anyway."""
    reasons = [
        f"the pool's arguments use `{name}`, which changes in every iteration"
        for name in sorted(read_names([*call.args, *call.keywords]) & loop.bound_names())
    ]
    parent = checker.parents[-1]
    name = (
        parent.optional_vars.id
        if isinstance(parent, ast.withitem) and isinstance(parent.optional_vars, ast.Name)
        else assigned_name(parent, call)
    )
    if name is None:
        return [*reasons, "the pool is not bound to a name, so its uses cannot be followed"]
    family = pool_family(pool)
    region = loop.statements or [loop.node]
    for node, up in with_ancestors(region):
        if not (isinstance(node, ast.Name) and node.id == name):
            continue
        use = up[-1] if up else None
        if not isinstance(node.ctx, ast.Load) or isinstance(use, ast.withitem):
            continue
        method = use.attr if isinstance(use, ast.Attribute) else None
        if method in _LIFECYCLE or method in _EAGER[family]:
            continue
        if method in _MAPS:
            called = up[-2] if len(up) > 1 else None
            holder = up[-3] if len(up) > 2 and is_method_call(use, called, _MAPS) else None
            if _consumes(holder, called):
                continue
            reasons.append(
                f"the result of `{name}.{method}(...)` (line {node.lineno}) is not consumed "
                "where it is made, so the pool's shutdown may be what waits for it"
            )
        elif method in {*WAITS, "map_async", "starmap_async"}:
            reasons.append(
                f"tasks given with `{name}.{method}` (line {node.lineno}) are waited for by "
                "the pool's shutdown at the end of every iteration, and later code may rely "
                "on that"
            )
        else:
            reasons.append(
                f"the pool is used as `{checker.text(use or node)}` (line {node.lineno}), "
                "so its uses cannot be followed"
            )
    return reasons


def _consumes(holder: ast.AST | None, call: ast.AST | None) -> bool:
    """``list(pool.map(...))``, ``for r in pool.map(...)``: the results are read right away."""
    if isinstance(holder, ast.Call):
        return call is not holder.func
    return isinstance(holder, (ast.For, ast.AsyncFor, ast.comprehension)) and holder.iter is call
