"""Why running a loop's iterations concurrently could change what the program does.

A rewrite is ``safe`` only when this finds nothing: no early exit, no carried dependency beyond the
recognised accumulator forms, no ordered output, no write to shared state in the body or in
same-module callees, and no use of the loop variable after the loop (the pool does not bind it).
"""

from __future__ import annotations

import ast

from advisor.analysis.effects import EffectAnalyzer, Effects
from advisor.syntax.bindings import SCOPE_NODES, bound_names
from advisor.syntax.item_flow import NameUse, dict_item_base, loop_accumulator


def _early_exits(body: list[ast.stmt]) -> list[str]:
    found: list[str] = []

    def walk(nodes: list[ast.AST], loop_depth: int) -> None:
        for node in nodes:
            if isinstance(node, SCOPE_NODES):
                continue
            if isinstance(node, ast.Break) and loop_depth == 0:
                found.append("`break` ends the loop early (a search): later items must not run")
            elif isinstance(node, ast.Return):
                found.append("`return` inside the loop ends it early")
            elif isinstance(node, (ast.Yield, ast.YieldFrom)):
                found.append("`yield` inside the loop hands control back on every item")
            elif isinstance(node, ast.Await):
                found.append("`await` inside the loop: a thread pool cannot run it")
            inner = loop_depth + isinstance(node, (ast.For, ast.AsyncFor, ast.While))
            walk(list(ast.iter_child_nodes(node)), inner)

    walk(list(body), 0)
    return list(dict.fromkeys(found))


def effect_reasons(effects: Effects) -> list[str]:
    reasons = [
        f"per-item work produces ordered output (`{name}`): concurrent items would interleave it"
        for name in sorted(effects.output)
    ]
    reasons += [f"per-item work {write}" for write in sorted(effects.shared_writes)]
    return reasons


def for_loop_reasons(loop: ast.For, analyzer: EffectAnalyzer) -> list[str]:
    """Reasons a `for` loop's iterations are not independent.

    An accumulator (``acc.append(x)``, ``acc += x``, ``d[key] = x``) is written but never read
    in the body, so it is not a carried dependency.
    """
    reasons: list[str] = []
    if loop.orelse:
        reasons.append("the loop has an `else` clause that depends on how it ends")
    reasons += _early_exits(loop.body)
    use = NameUse()
    for statement in loop.body:
        use.visit(statement)
    for name in sorted(use.carried() - bound_names(loop.target)):
        reasons.append(f"`{name}` is carried from one iteration to the next")
    dict_item = dict_item_base(loop)
    for base in use.body_writes:
        if base != dict_item:
            reasons.append(f"the loop body writes into `{base or 'an object'}`: shared state")
    # When the last statement builds the result, another collection filled on the way would be
    # filled in whatever order the items finish.
    accumulator = loop_accumulator(loop)
    if accumulator is not None:
        for name in sorted(use.reductions - use.writes - use.carried() - {accumulator}):
            reasons.append(f"the loop body also fills `{name}`: shared state")
    reasons += effect_reasons(analyzer.effects_of(loop.body))
    return reasons


def comprehension_reasons(comprehension: ast.expr, analyzer: EffectAnalyzer) -> list[str]:
    use = NameUse()
    use.visit(comprehension)
    reasons = [f"`{n}` is assigned with `:=` inside the comprehension" for n in sorted(use.writes)]
    reasons += [f"the comprehension mutates `{n}`" for n in sorted(use.reductions)]
    return reasons + effect_reasons(analyzer.effects_of(comprehension))
