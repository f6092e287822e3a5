"""Why running a loop's iterations concurrently could change what the program does.

A rewrite is ``safe`` only when this finds nothing: no early exit, no carried dependency beyond the
recognised accumulator forms, no ordered output, no write to shared state in the body or in
same-module callees, and no use of the loop variable after the loop (the pool does not bind it).
"""

from __future__ import annotations

import ast
import bisect
from collections.abc import Iterable

from advisor.analysis.effects import MUTATING_METHODS, SCOPE_NODES, EffectAnalyzer, Effects
from advisor.analysis.names import bound_name_nodes, bound_names, dotted_name
from advisor.codemods.scopes import loads

# The methods of the recognised accumulators: `acc.append(v)`, `s.add(v)`, `acc.extend(v)`.
ACCUMULATING_METHODS = frozenset({"append", "add", "extend"})


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
    # When the last statement builds the result, another collection filled on the way would be
    # filled in whatever order the items finish.
    accumulator = loop_accumulator(loop)
    if accumulator is not None:
        for name in sorted(use.reductions - use.writes - use.carried() - {accumulator}):
            reasons.append(f"the loop body also fills `{name}`: shared state")
    reasons += effect_reasons(analyzer.effects_of(loop.body))
    return reasons


def filtered_body(loop: ast.For) -> list[ast.stmt]:
    """The statements each kept item runs, past a filter: the body of ``if COND:`` when that is
    the whole loop body, or what follows ``if COND: continue``; else the whole body."""
    body = loop.body
    first = body[0]
    if isinstance(first, ast.If) and not first.orelse:
        if len(body) == 1:
            return first.body
        if len(first.body) == 1 and isinstance(first.body[0], ast.Continue):
            return body[1:]
    return body


def loop_accumulator(loop: ast.For) -> str | None:
    """The name the loop's last statement accumulates into, when it is a recognised form:
    ``acc.append(v)``, ``s.add(v)``, ``acc.extend(v)``, ``d[<loop variable>] = v``,
    ``acc += v`` (behind a filter too: see :func:`filtered_body`)."""
    last = filtered_body(loop)[-1]
    if isinstance(last, ast.Expr) and isinstance(last.value, ast.Call):
        func = last.value.func
        if (
            isinstance(func, ast.Attribute)
            and func.attr in ACCUMULATING_METHODS
            and isinstance(func.value, ast.Name)
        ):
            return func.value.id
    if isinstance(last, ast.AugAssign) and isinstance(last.target, ast.Name):
        return last.target.id
    return _dict_item_base(loop)


def _dict_item_base(loop: ast.For) -> str | None:
    """``d`` when the body ends with ``d[<loop variable>] = value`` (the recognised dict form;
    with ``for k, v in pairs`` either name is a loop variable)."""
    last = filtered_body(loop)[-1]
    if not isinstance(last, ast.Assign) or len(last.targets) != 1:
        return None
    target = last.targets[0]
    if (
        isinstance(target, ast.Subscript)
        and isinstance(target.value, ast.Name)
        and isinstance(target.slice, ast.Name)
        and target.slice.id in bound_names(loop.target)
    ):
        return target.value.id
    return None


class ScopeNames:
    """Every use of a name in one scope (nested functions excluded), by position, to answer
    "is it read after this line before anything binds it again?" cheaply for many loops."""

    def __init__(self) -> None:
        self._uses: dict[str, list[tuple[int, int, bool]]] = {}
        self._sorted: set[str] = set()

    def add(self, line: int, column: int, name: str, is_store: bool) -> None:
        self._uses.setdefault(name, []).append((line, column, is_store))
        self._sorted.discard(name)

    def read_after(self, name: str, line: int) -> bool:
        """Is ``name`` read after ``line`` before anything binds it again?"""
        uses = self._uses.get(name)
        if not uses:
            return False
        if name not in self._sorted:
            uses.sort()
            self._sorted.add(name)
        index = bisect.bisect_right(uses, (line, 1 << 30, True))
        return index < len(uses) and not uses[index][2]

    def read_between(self, name: str, first: int, last: int) -> bool:
        """Is ``name`` read anywhere on lines ``first``..``last``?"""
        return any(
            first <= line <= last and not is_store for line, _, is_store in self._uses.get(name, ())
        )


def scope_names(statements: Iterable[ast.AST]) -> ScopeNames:
    """The names of the scope whose code is ``statements`` (a function's body or a module's):
    functions defined in it are scopes of their own; class bodies are counted in; of lambdas and
    comprehensions only what they read from the scope counts (their own variables are theirs)."""
    names = ScopeNames()
    stack = list(statements)
    while stack:
        node = stack.pop()
        record_name(names, node)
        if not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, *EXPRESSION_SCOPES)):
            stack.extend(ast.iter_child_nodes(node))
    return names


# Expressions with variables of their own: only what they read from the enclosing scope counts.
EXPRESSION_SCOPES = (ast.Lambda, ast.ListComp, ast.SetComp, ast.DictComp, ast.GeneratorExp)


def record_name(names: ScopeNames, node: ast.AST) -> None:
    """Record ``node`` if it is a name of the scope, or what a lambda or comprehension (one of
    EXPRESSION_SCOPES, whose inside the caller then skips) reads from the scope."""
    if isinstance(node, ast.Name):
        names.add(node.lineno, node.col_offset, node.id, not isinstance(node.ctx, ast.Load))
    elif isinstance(node, EXPRESSION_SCOPES):
        for read in loads(node):
            names.add(read.lineno, read.col_offset, read.id, False)


def read_after_reasons(
    loop: ast.For, scope: ScopeNames, outer_loop: ast.stmt | None = None
) -> list[str]:
    """The loop's variable and the temporaries its body assigns no longer exist after a rewrite
    (the pool runs the body in a function): code after the loop must not read them, nor code
    before it in an enclosing loop of the same scope (``outer_loop``), which runs after it in
    the next iteration."""
    end = loop.end_lineno or loop.lineno

    def read_later(name: str) -> bool:
        if scope.read_after(name, end):
            return True
        return outer_loop is not None and scope.read_between(
            name, outer_loop.lineno, loop.lineno - 1
        )

    target = bound_names(loop.target)
    reasons = [
        f"the loop variable `{name}` is read after the loop"
        for name in sorted(target)
        if read_later(name)
    ]
    use = _NameUse()
    for statement in loop.body:
        use.visit(statement)
    temporaries = use.writes - target - {loop_accumulator(loop)}
    reasons += [
        f"`{name}`, assigned in the loop body, is read after the loop"
        for name in sorted(temporaries)
        if read_later(name)
    ]
    return reasons


def comprehension_reasons(comprehension: ast.expr, analyzer: EffectAnalyzer) -> list[str]:
    use = _NameUse()
    use.visit(comprehension)
    reasons = [f"`{n}` is assigned with `:=` inside the comprehension" for n in sorted(use.writes)]
    reasons += [f"the comprehension mutates `{n}`" for n in sorted(use.reductions)]
    return reasons + effect_reasons(analyzer.effects_of(comprehension))
