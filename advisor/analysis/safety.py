"""Why running a loop's iterations concurrently could change what the program does.

A rewrite is ``safe`` only when this finds nothing: no early exit, no carried dependency beyond the
recognised accumulator forms, no ordered output, no write to shared state in the body or in
same-module callees, and no use of the loop variable after the loop (the pool does not bind it).
"""

from __future__ import annotations

import ast

from advisor.analysis.effects import MUTATING_METHODS, SCOPE_NODES, EffectAnalyzer, Effects
from advisor.analysis.names import bound_name_nodes, bound_names, dotted_name


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


class _NameUse(ast.NodeVisitor):
    """Names read and written in a loop body, in evaluation order.

    A name is carried from one iteration to the next when the body reads it before writing it
    (``token = fetch_next(token)``); ``x = f(u); out.append(x)`` writes first, so it is not.
    ``acc += v``, ``acc.append(v)`` and ``d[k] = v`` are reductions: fine unless ``acc`` is read.
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
        return {
            name
            for name in self.writes | self.reductions
            if self.first_use.get(name) == "read"
            or (name in self.reductions and name in self.reads)
        }

    def _store(self, target: ast.expr, kind: str = "write") -> None:
        names = bound_name_nodes(target)
        if names:
            for node in names:
                self._use(node.id, kind)
            return
        if isinstance(target, (ast.Attribute, ast.Subscript)):
            self.body_writes.append(dotted_name(target.value) or "")
            if isinstance(target, ast.Subscript):
                self.visit(target.slice)
                if isinstance(target.value, ast.Name):
                    # `d[k] = v` writes into d; reading d elsewhere in the body is a dependency
                    self._use(target.value.id, "reduce")
                    return
            self.visit(target.value)

    def visit_Assign(self, node: ast.Assign) -> None:
        self.visit(node.value)
        for target in node.targets:
            self._store(target)

    def visit_AnnAssign(self, node: ast.AnnAssign) -> None:
        if node.value is not None:
            self.visit(node.value)
        self._store(node.target)

    def visit_AugAssign(self, node: ast.AugAssign) -> None:
        self.visit(node.value)
        self._store(node.target, "reduce")

    def visit_NamedExpr(self, node: ast.NamedExpr) -> None:
        self.visit(node.value)
        self._store(node.target)

    def visit_For(self, node: ast.For) -> None:
        self.visit(node.iter)
        self._store(node.target)
        for statement in (*node.body, *node.orelse):
            self.visit(statement)

    visit_AsyncFor = visit_For

    def visit_withitem(self, node: ast.withitem) -> None:
        self.visit(node.context_expr)
        if node.optional_vars is not None:
            self._store(node.optional_vars)

    def visit_Call(self, node: ast.Call) -> None:
        func = node.func
        if (
            isinstance(func, ast.Attribute)
            and func.attr in MUTATING_METHODS
            and isinstance(func.value, ast.Name)
        ):
            for arg in (*node.args, *node.keywords):
                self.visit(arg)
            self._use(func.value.id, "reduce")
            return
        self.generic_visit(node)

    def visit_Name(self, node: ast.Name) -> None:
        self._use(node.id, "read")

    def visit_FunctionDef(self, node: ast.AST) -> None:
        return None

    visit_AsyncFunctionDef = visit_FunctionDef
    visit_ClassDef = visit_FunctionDef


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
    use = _NameUse()
    for statement in loop.body:
        use.visit(statement)
    for name in sorted(use.carried() - bound_names(loop.target)):
        reasons.append(f"`{name}` is carried from one iteration to the next")
    dict_item = _dict_item_base(loop)
    for base in use.body_writes:
        if base != dict_item:
            reasons.append(f"the loop body writes into `{base or 'an object'}`: shared state")
    reasons += effect_reasons(analyzer.effects_of(loop.body))
    return reasons


def _dict_item_base(loop: ast.For) -> str | None:
    """``d`` when the body is exactly ``d[<loop variable>] = value`` (the recognised dict form)."""
    if len(loop.body) != 1 or not isinstance(loop.body[0], ast.Assign):
        return None
    [target] = loop.body[0].targets if len(loop.body[0].targets) == 1 else [None]
    if (
        isinstance(target, ast.Subscript)
        and isinstance(target.value, ast.Name)
        and isinstance(target.slice, ast.Name)
        and isinstance(loop.target, ast.Name)
        and target.slice.id == loop.target.id
    ):
        return target.value.id
    return None


def comprehension_reasons(comprehension: ast.expr, analyzer: EffectAnalyzer) -> list[str]:
    use = _NameUse()
    use.visit(comprehension)
    reasons = [f"`{n}` is assigned with `:=` inside the comprehension" for n in sorted(use.writes)]
    reasons += [f"the comprehension mutates `{n}`" for n in sorted(use.reductions)]
    return reasons + effect_reasons(analyzer.effects_of(comprehension))
