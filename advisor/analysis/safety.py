"""Why running a loop's iterations concurrently could change what the program does.

A rewrite is ``safe`` only when this finds nothing: no early exit, no carried dependency beyond the
recognised accumulator forms, and every operation of the per-item work proven safe to run
concurrently (:mod:`advisor.analysis.independence`; a doubt that a verified run can settle is
kept apart from one it cannot).
"""

from __future__ import annotations

import ast

from advisor.analysis.effects import Effects
from advisor.analysis.facts import ModuleFacts
from advisor.analysis.independence import Doubt
from advisor.syntax.bindings import SCOPE_NODES, bound_names
from advisor.syntax.item_flow import NameUse, loop_accumulator
from advisor.syntax.serial_tail import SerialTail, serial_tail


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


def _progress_bar(iterable: ast.expr, facts: ModuleFacts) -> list[str]:
    """A loop over a progress bar (``for url in tqdm(urls)``): a pool takes every item at once,
    so the bar would count items handed over, not items done, and print other lines."""
    if not isinstance(iterable, ast.Call):
        return []
    qualified = facts.resolver.qualify(iterable.func)
    if qualified is None or not facts.knowledge.progress_bars.matches(qualified):
        return []
    return [
        f"the loop iterates a progress bar (`{qualified}`): a pool takes every item at once, so "
        "the bar would count items handed over, not items done (wrap the pool's results instead)"
    ]


def effect_reasons(effects: Effects) -> list[str]:
    reasons = [
        f"per-item work produces ordered output (`{name}`): concurrent items would interleave it"
        for name in sorted(effects.output)
    ]
    reasons += [f"per-item work {write}" for write in sorted(effects.shared_writes)]
    return reasons


def for_loop_doubts(
    loop: ast.For, facts: ModuleFacts, *, cooperative: bool = False, split: bool | None = None
) -> list[Doubt]:
    """Why a `for` loop's iterations may not be independent: its shape (an early exit, a value
    carried from one iteration to the next, an `else`) and every operation of its per-item work
    the independence proof cannot vouch for.

    An accumulator (``acc.append(x)``, ``acc += x``, ``d[key] = x``) is written but never read
    in the body, so it is not a carried dependency; how it is filled is the rewrite's business.
    """
    reasons: list[str] = []
    if loop.orelse:
        reasons.append("the loop has an `else` clause that depends on how it ends")
    reasons += _early_exits(loop.body)
    reasons += _progress_bar(loop.iter, facts)
    # With a serial tail (output, counters, several results after the work: loop fission) only
    # the work runs concurrently; the tail keeps its order and may carry its own totals.
    # ``split``: does the rule's rewrite split the loop so (pools and CA104's gather do; CA302's
    # one asyncio.run does not): by default, unless cooperative.
    splits = not cooperative if split is None else split
    # a pool takes each result after its item's head (output before the work) ran; a gather
    # cannot: it raises before any output
    tail = serial_tail(loop, head=not cooperative) if splits else None
    work = loop.body if tail is None else _work_with_its_filter(loop, tail)
    use = NameUse()
    for statement in work:
        use.visit(statement)
    for name in sorted(use.carried(facts.resolver.modules) - bound_names(loop.target)):
        reasons.append(f"`{name}` is carried from one iteration to the next")
    functions, cls = facts.surroundings(loop)
    proof = facts.proof(cooperative=cooperative)
    accumulator = loop_accumulator(loop) if tail is None else None
    doubts = proof.loop_doubts(loop, work, functions, accumulator, cls)
    return [*(Doubt(reason) for reason in reasons), *doubts]


def _work_with_its_filter(loop: ast.For, tail: SerialTail) -> list[ast.stmt]:
    """What runs ahead of the serial tail: the work, behind the loop's filter if it has one
    (its condition is judged with the work: it runs for every item before the pool)."""
    first = loop.body[0]
    lead = len(tail.head)
    if isinstance(first, ast.If) and list(tail.work) == first.body[lead : lead + len(tail.work)]:
        return [ast.If(test=first.test, body=list(tail.work), orelse=[])]
    if isinstance(first, ast.If) and loop.body[1 + lead :] and tail.work[0] is loop.body[1 + lead]:
        return [first, *tail.work]  # `if COND: continue` then the work
    return list(tail.work)


def for_loop_reasons(loop: ast.For, facts: ModuleFacts, *, cooperative: bool = False) -> list[str]:
    """:func:`for_loop_doubts` as reasons, a run-checkable doubt counted as unsafe (for the rules
    whose fixes no run verifies)."""
    return [doubt.reason for doubt in for_loop_doubts(loop, facts, cooperative=cooperative)]


def comprehension_doubts(
    comprehension: ast.expr, facts: ModuleFacts, *, cooperative: bool = False
) -> list[Doubt]:
    use = NameUse()
    use.visit(comprehension)
    reasons = [f"`{n}` is assigned with `:=` inside the comprehension" for n in sorted(use.writes)]
    generators = getattr(comprehension, "generators", [])
    if generators:
        reasons += _progress_bar(generators[0].iter, facts)
    functions, cls = facts.surroundings(comprehension)
    proof = facts.proof(cooperative=cooperative)
    doubts = proof.comprehension_doubts(comprehension, functions, cls)  # type: ignore[arg-type]
    return [*(Doubt(reason) for reason in reasons), *doubts]


def comprehension_reasons(
    comprehension: ast.expr, facts: ModuleFacts, *, cooperative: bool = False
) -> list[str]:
    doubts = comprehension_doubts(comprehension, facts, cooperative=cooperative)
    return [doubt.reason for doubt in doubts]
