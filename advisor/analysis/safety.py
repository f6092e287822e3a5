"""Why running a loop's iterations concurrently could change what the program does.

A rewrite is ``safe`` only when this finds nothing: no early exit, no carried dependency beyond the
recognised accumulator forms, no ordered output, no write to shared state in the body or in
same-module callees, and no use of the loop variable after the loop (the pool does not bind it).
"""

from __future__ import annotations

import libcst as cst

from advisor.analysis.effects import MUTATING_METHODS, EffectAnalyzer, Effects
from advisor.analysis.names import bound_name_nodes, bound_names, dotted_name


class _EarlyExitFinder(cst.CSTVisitor):
    def __init__(self) -> None:
        self.found: list[str] = []
        self._depth = 0  # nested loops own their break/continue

    def visit_Break(self, node: cst.Break) -> None:
        if self._depth == 0:
            self.found.append("`break` ends the loop early (a search): later items must not run")

    def visit_Return(self, node: cst.Return) -> None:
        self.found.append("`return` inside the loop ends it early")

    def visit_Yield(self, node: cst.Yield) -> None:
        self.found.append("`yield` inside the loop hands control back on every item")

    def visit_Await(self, node: cst.Await) -> None:
        self.found.append("`await` inside the loop: a thread pool cannot run it")

    def visit_For(self, node: cst.For) -> None:
        self._depth += 1

    def leave_For(self, original_node: cst.For) -> None:
        self._depth -= 1

    def visit_While(self, node: cst.While) -> None:
        self._depth += 1

    def leave_While(self, original_node: cst.While) -> None:
        self._depth -= 1

    def visit_FunctionDef(self, node: cst.FunctionDef) -> bool:
        return False

    def visit_Lambda(self, node: cst.Lambda) -> bool:
        return False


class _NameUse(cst.CSTVisitor):
    """Names read and written in a loop body, in evaluation order.

    A name is carried from one iteration to the next when the body reads it before writing it
    (``token = fetch_next(token)``); ``x = f(u); out.append(x)`` writes first, so it is not.
    ``acc += v`` and ``acc.append(v)`` are reductions: fine unless ``acc`` is also read.
    """

    def __init__(self) -> None:
        self.first_use: dict[str, str] = {}  # name -> "read" | "write" | "reduce"
        self.reads: set[str] = set()
        self.writes: set[str] = set()
        self.reductions: set[str] = set()
        self.body_writes: list[str] = []  # attribute/subscript writes, described

    def _use(self, name: str, kind: str) -> None:
        self.first_use.setdefault(name, kind)
        {"read": self.reads, "write": self.writes, "reduce": self.reductions}[kind].add(name)

    def carried(self) -> set[str]:
        written = self.writes | self.reductions
        return {
            name
            for name in written
            if self.first_use.get(name) == "read"
            or (name in self.reductions and name in self.reads)
        }

    def _store(self, target: cst.BaseExpression, kind: str = "write") -> None:
        names = bound_name_nodes(target)
        if names:
            for node in names:
                self._use(node.value, kind)
            return
        if isinstance(target, (cst.Attribute, cst.Subscript)):
            self.body_writes.append(dotted_name(target.value) or "")
            if isinstance(target, cst.Subscript):
                for element in target.slice:
                    element.visit(self)
                if isinstance(target.value, cst.Name):
                    # `d[k] = v` writes into d; reading d elsewhere in the body is a dependency
                    self._use(target.value.value, "reduce")
                    return
            target.value.visit(self)

    def visit_Assign(self, node: cst.Assign) -> bool:
        node.value.visit(self)
        for target in node.targets:
            self._store(target.target)
        return False

    def visit_AnnAssign(self, node: cst.AnnAssign) -> bool:
        if node.value is not None:
            node.value.visit(self)
        self._store(node.target)
        return False

    def visit_AugAssign(self, node: cst.AugAssign) -> bool:
        node.value.visit(self)
        self._store(node.target, "reduce")
        return False

    def visit_NamedExpr(self, node: cst.NamedExpr) -> bool:
        node.value.visit(self)
        self._store(node.target)
        return False

    def visit_For(self, node: cst.For) -> bool:
        node.iter.visit(self)
        self._store(node.target)
        node.body.visit(self)
        if node.orelse is not None:
            node.orelse.visit(self)
        return False

    def visit_WithItem(self, node: cst.WithItem) -> bool:
        node.item.visit(self)
        if node.asname is not None:
            self._store(node.asname.name)
        return False

    def visit_Call(self, node: cst.Call) -> bool:
        func = node.func
        if (
            isinstance(func, cst.Attribute)
            and func.attr.value in MUTATING_METHODS
            and isinstance(func.value, cst.Name)
        ):
            for arg in node.args:
                arg.visit(self)
            self._use(func.value.value, "reduce")
            return False
        return True

    def visit_Name(self, node: cst.Name) -> None:
        self._use(node.value, "read")

    def visit_Attribute(self, node: cst.Attribute) -> bool:
        node.value.visit(self)  # the attribute's own name is not a variable
        return False

    def visit_FunctionDef(self, node: cst.FunctionDef) -> bool:
        return False


def effect_reasons(effects: Effects) -> list[str]:
    reasons = [
        f"per-item work produces ordered output (`{name}`): concurrent items would interleave it"
        for name in sorted(effects.output)
    ]
    reasons += [f"per-item work {write}" for write in sorted(effects.shared_writes)]
    return reasons


def for_loop_reasons(loop: cst.For, analyzer: EffectAnalyzer, dict_target: str | None) -> list[str]:
    """Reasons a `for` loop's iterations are not independent.

    An accumulator (``acc.append(x)``, ``acc += x``, ``d[key] = x``) is written but never read in
    the body, so it is not a carried dependency; ``dict_target`` names the recognised dict whose
    item write is allowed."""
    reasons: list[str] = []
    if loop.orelse is not None:
        reasons.append("the loop has an `else` clause that depends on how it ends")
    exits = _EarlyExitFinder()
    loop.body.visit(exits)
    reasons += list(dict.fromkeys(exits.found))

    use = _NameUse()
    loop.body.visit(use)
    targets = bound_names(loop.target)
    carried = use.carried() - targets
    for name in sorted(carried):
        reasons.append(f"`{name}` is carried from one iteration to the next")
    for base in use.body_writes:
        if dict_target is not None and base == dict_target:
            continue
        reasons.append(f"the loop body writes into `{base or 'an object'}`: shared state")

    reasons += effect_reasons(analyzer.effects_of(loop.body))
    return reasons


def comprehension_reasons(comprehension: cst.CSTNode, analyzer: EffectAnalyzer) -> list[str]:
    use = _NameUse()
    comprehension.visit(use)
    reasons = [f"`{n}` is assigned with `:=` inside the comprehension" for n in sorted(use.writes)]
    reasons += [f"the comprehension mutates `{n}`" for n in sorted(use.reductions)]
    return reasons + effect_reasons(analyzer.effects_of(comprehension))
