"""How an item flows through a loop body: the statement that collects it (the accumulator), the
filter in front of it, and whether the statements before the last one can become the body of a
function that returns the item's value (the function each item of a rewritten loop runs). The
analysis reports these forms and the codemods rewrite them: both ask here.

Read with ``ast`` (its load and store contexts make the flow of names simple to follow). The
statements must compute the item from the loop variable and temporaries they assign before
reading them; a name read before it is assigned in the same iteration would carry a value from
the previous iteration, which the function does not see.
"""

from __future__ import annotations

import ast
from collections.abc import Collection, Iterator, Sequence

from advisor.syntax.bindings import bound_in, bound_names, dotted_name, loads, target_names
from advisor.syntax.name_uses import ScopeNames

__all__ = [
    "ACCUMULATING_METHODS",
    "CONSUMERS",
    "FRAME_SENSITIVE",
    "MUTATING_METHODS",
    "NameUse",
    "dict_item_base",
    "filtered_body",
    "loop_accumulator",
    "prelude_reason",
    "read_after_reasons",
    "work_reason",
]

# Methods that mutate their receiver in place: calling one on shared state is a write.
MUTATING_METHODS = frozenset(
    {"append", "extend", "insert", "add", "update", "pop", "popitem", "remove", "discard",
     "clear", "setdefault", "sort", "reverse", "write", "writelines"}
)  # fmt: skip
# The methods of the recognised accumulators: `acc.append(v)`, `s.add(v)`, `acc.extend(v)`.
ACCUMULATING_METHODS = frozenset({"append", "add", "extend"})

# Calls whose meaning depends on the calling frame: inside a lambda or a function they would see
# other locals.
FRAME_SENSITIVE = frozenset({"locals", "vars", "dir", "eval", "exec", "super"})
# Builtins that consume a generator argument before they return: a generator expression given to
# one is not a closure that outlives the iteration.
CONSUMERS = frozenset(
    {"sum", "any", "all", "min", "max", "list", "tuple", "set", "frozenset", "sorted", "dict"}
)


class NameUse(ast.NodeVisitor):
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

    def carried(self, modules: Collection[str] = ()) -> set[str]:
        """The names carried from one iteration to the next. ``modules``: the names the module
        imports; a call on one (``os.remove(path)``, whose method name is a list's) changes no
        value the next item reads, unless the body binds the name itself."""
        return {
            name
            for name in self.writes | self.reductions
            if (
                self.first_use.get(name) == "read"
                or (name in self.reductions and name in self.reads)
            )
            and not (name in modules and name not in self.writes)
        }

    def _store(self, target: ast.expr, kind: str = "write") -> None:
        names = target_names(target)
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


def filtered_body(loop: ast.For) -> list[ast.stmt]:
    """The statements each kept item runs, past a filter: the body of ``if COND:`` when that is
    the whole loop body, or what follows ``if COND: continue``; else the whole body. (The same
    forms as :func:`advisor.syntax.loop_shape.filtered_loop` takes apart in libcst.)"""
    body = loop.body
    first = body[0]
    if isinstance(first, ast.If) and not first.orelse:
        if len(body) == 1:
            return first.body
        if len(first.body) == 1 and isinstance(first.body[0], ast.Continue):
            return body[1:]
    return body


def _last_statement(loop: ast.For) -> ast.stmt:
    """The statement each item ends with: the last of :func:`filtered_body`, or of a plain
    `with` block that is the whole body (``with urlopen(u) as r: pages.append(r.read())``, the
    shape advisor.syntax.loop_shape takes apart the same way)."""
    body = filtered_body(loop)
    if len(body) == 1 and isinstance(body[0], ast.With | ast.AsyncWith) and body is loop.body:
        return body[0].body[-1]
    return body[-1]


def loop_accumulator(loop: ast.For) -> str | None:
    """The name the loop's last statement accumulates into, when it is a recognised form:
    ``acc.append(v)``, ``s.add(v)``, ``acc.extend(v)``, ``d[<loop variable>] = v``,
    ``acc += v`` (behind a filter too: see :func:`filtered_body`; inside a `with` block that
    is the whole body too: see :func:`_last_statement`)."""
    last = _last_statement(loop)
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
    return dict_item_base(loop)


def dict_item_base(loop: ast.For) -> str | None:
    """``d`` when the body ends with ``d[<loop variable>] = value`` (the recognised dict form;
    with ``for k, v in pairs`` either name is a loop variable)."""
    last = _last_statement(loop)
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


def prelude_reason(loop_code: str, target: str, accumulator: str | None) -> str | None:
    """Why the statements of the loop (``loop_code``, a ``for`` statement alone) before its last
    one could not become the body of a function that returns the item's value, else None."""
    parsed = ast.parse(loop_code).body[0]
    if not isinstance(parsed, ast.For):
        return "the loop does not parse as a `for` loop on its own"
    *prelude, last = parsed.body
    accumulator = accumulator or ""
    found = _forbidden(prelude)
    if found is not None:
        return found
    if accumulator in {n.id for n in _all_names(prelude)}:
        return f"the body uses the accumulator `{accumulator}` before its last statement"
    return _function_body_reason(prelude, [last], target, bound_in(parsed.body) - {accumulator})


def work_reason(
    loop_code: str, target: str, tail_length: int, head_length: int = 0, unpack: int = 0
) -> str | None:
    """Why the statements of the loop between its first ``head_length`` and its last
    ``tail_length`` ones (a serial head and tail, see advisor/syntax/serial_tail.py), after the
    first ``unpack`` ones (the item unpacked, which opens both), could not become the body of a
    function that returns what the tail reads, else None."""
    parsed = ast.parse(loop_code).body[0]
    if not isinstance(parsed, ast.For):
        return "the loop does not parse as a `for` loop on its own"
    split = len(parsed.body) - tail_length
    work = [*parsed.body[:unpack], *parsed.body[head_length:split]]
    tail = parsed.body[split:]
    return _function_body_reason(work, tail, target, bound_in(work))


def _function_body_reason(
    body: list[ast.stmt], after: list[ast.stmt], target: str, bound: set[str]
) -> str | None:
    """Why ``body`` could not become a function of the item whose results ``after`` reads."""
    found = _forbidden(body)
    if found is not None:
        return found
    shared = _shared_change(body, bound | {target})
    if shared is not None:
        return f"the loop body also changes `{shared}`, which every item shares"
    flow = _Flow(bound)
    assigned = flow.block(body, {target})
    for statement in after:
        flow.read(statement, assigned if assigned is not None else set(bound) | {target})
    if flow.problem is not None:
        return flow.problem
    closure = _late_binding([*body, *after], bound | {target})
    if closure is not None:
        return f"a closure made in the loop body reads `{closure}`, which every iteration rebinds"
    return None


def _forbidden(statements: Sequence[ast.stmt]) -> str | None:
    """The first construct that means something else once the statements are a function body."""
    for node in _walk(statements):
        if isinstance(node, ast.Global | ast.Nonlocal):
            keyword = "global" if isinstance(node, ast.Global) else "nonlocal"
            return f"the loop body declares `{keyword} {', '.join(node.names)}`"
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            return "the loop body defines a function or class"
        if isinstance(node, ast.Await | ast.AsyncFor | ast.AsyncWith):
            return "the loop body awaits (a pool's worker cannot)"
        if isinstance(node, ast.NamedExpr):
            return "the loop body uses an assignment expression (:=)"
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Name)
            and node.func.id in FRAME_SENSITIVE
        ):
            return f"the loop body calls {node.func.id}(), which sees other locals in a function"
    return None


def _shared_change(statements: Sequence[ast.stmt], own: set[str]) -> str | None:
    """A name from outside the body that the statements mutate (``seen.add(x)``,
    ``cache[k] = v``, ``obj.n = 1``): the items would change it concurrently, in any order."""
    for node in _walk(statements):
        changed: ast.expr | None = None
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr in MUTATING_METHODS
        ):
            changed = node.func.value
        elif isinstance(node, ast.Attribute | ast.Subscript) and isinstance(
            node.ctx, ast.Store | ast.Del
        ):
            changed = node.value
        while isinstance(changed, ast.Attribute | ast.Subscript):
            changed = changed.value
        if isinstance(changed, ast.Name) and changed.id not in own:
            return changed.id
    return None


def _walk(nodes: Sequence[ast.AST]) -> Iterator[ast.AST]:
    """Every node under ``nodes``, nested lambdas' bodies included (they may hide a walrus)."""
    for node in nodes:
        yield from ast.walk(node)


def _all_names(nodes: Sequence[ast.AST]) -> Iterator[ast.Name]:
    return (n for n in _walk(nodes) if isinstance(n, ast.Name))


class _Flow:
    """Follows which names are certainly assigned in an iteration before each read.

    A name the body binds but may read before binding it in the same iteration carries its value
    from the previous iteration (``last = f(x, last)``, or an ``if`` that assigns it on one branch
    only): that is a loop-carried dependency, and the function the rewrite makes would see no
    value at all."""

    def __init__(self, bound: set[str]) -> None:
        self.bound = bound
        self.problem: str | None = None

    def read(self, node: ast.AST, assigned: set[str]) -> None:
        for name in loads(node):
            if self.problem is None and name.id in self.bound and name.id not in assigned:
                self.problem = f"`{name.id}` may keep its value from the previous iteration"

    def block(self, statements: Sequence[ast.stmt], assigned: set[str]) -> set[str] | None:
        """Names certainly assigned after the statements; None if they never fall through."""
        current: set[str] | None = set(assigned)
        for statement in statements:
            if current is None:
                return None
            current = self.statement(statement, current)
        return current

    def _store(self, target: ast.expr, assigned: set[str]) -> set[str]:
        if isinstance(target, ast.Name):
            return assigned | {target.id}
        if isinstance(target, ast.Tuple | ast.List):
            for element in target.elts:
                assigned = self._store(element, assigned)
            return assigned
        if isinstance(target, ast.Starred):
            return self._store(target.value, assigned)
        self.read(target, assigned)  # `x[i] = ...` / `x.a = ...` read x (and i)
        return assigned

    def statement(self, node: ast.stmt, assigned: set[str]) -> set[str] | None:
        if isinstance(node, ast.Assign):
            self.read(node.value, assigned)
            for target in node.targets:
                assigned = self._store(target, assigned)
            return assigned
        if isinstance(node, ast.AnnAssign):
            if node.value is None:
                return assigned
            self.read(node.value, assigned)
            return self._store(node.target, assigned)
        if isinstance(node, ast.AugAssign):
            # `x += v` reads x first; `x[i] += v` reads x and i
            target = node.target
            self.read(
                ast.Name(target.id, ast.Load()) if isinstance(target, ast.Name) else target,
                assigned,
            )
            self.read(node.value, assigned)
            return assigned
        if isinstance(node, ast.For | ast.AsyncFor):
            self.read(node.iter, assigned)
            self.block(node.body, self._store(node.target, assigned))
            self.block(node.orelse, assigned)
            return assigned  # the loop may run no iteration
        if isinstance(node, ast.While):
            self.read(node.test, assigned)
            self.block(node.body, assigned)
            self.block(node.orelse, assigned)
            return assigned
        if isinstance(node, ast.If):
            self.read(node.test, assigned)
            return _meet(self.block(node.body, assigned), self.block(node.orelse, assigned))
        if isinstance(node, ast.With | ast.AsyncWith):
            for item in node.items:
                self.read(item.context_expr, assigned)
                if item.optional_vars is not None:
                    assigned = self._store(item.optional_vars, assigned)
            return self.block(node.body, assigned)
        if isinstance(node, ast.Try | getattr(ast, "TryStar", ast.Try)):
            return self._try(node, assigned)  # type: ignore[arg-type]
        if isinstance(node, ast.Match):
            self.read(node.subject, assigned)
            for case in node.cases:
                self.read(case.pattern, assigned)
                self.block(case.body, assigned | bound_in([ast.Expr(case.pattern)]))
            return assigned
        if isinstance(node, ast.Raise):
            self.read(node, assigned)
            return None
        if isinstance(node, ast.Delete):
            self.read(node, assigned)
            return assigned - {t.id for t in node.targets if isinstance(t, ast.Name)}
        if isinstance(node, ast.Import | ast.ImportFrom):
            return assigned | bound_in([node])
        self.read(node, assigned)  # Expr, Assert, Pass, and break/continue of inner loops
        return assigned

    def _try(self, node: ast.Try, assigned: set[str]) -> set[str] | None:
        body = self.block(node.body, assigned)
        paths = [self.block(node.orelse, body) if body is not None else None]
        for handler in node.handlers:
            if handler.type is not None:
                self.read(handler.type, assigned)
            caught = assigned | ({handler.name} if handler.name else set())
            paths.append(self.block(handler.body, caught))
        result: set[str] | None = None
        for path in paths:
            result = _meet(result, path) if result is not None else path
        final = self.block(node.finalbody, assigned)
        if final is None:
            return None
        return None if result is None else result | final


def _meet(left: set[str] | None, right: set[str] | None) -> set[str] | None:
    """Names assigned on both paths (a path that never falls through does not count)."""
    if left is None:
        return right
    if right is None:
        return left
    return left & right


def _late_binding(statements: Sequence[ast.stmt], rebound: set[str]) -> str | None:
    """A name of ``rebound`` that a lambda or lazy generator made in the statements reads: made in
    the loop, it sees the name's last value; made in the function, its own."""
    consumed: set[int] = set()
    for node in _walk(statements):
        if isinstance(node, ast.Call):
            if isinstance(node.func, ast.Name) and node.func.id in CONSUMERS:
                consumed |= {id(a) for a in node.args if isinstance(a, ast.GeneratorExp)}
        elif isinstance(node, ast.Lambda):
            for name in loads(node):
                if name.id in rebound:
                    return name.id
        elif isinstance(node, ast.GeneratorExp) and id(node) not in consumed:
            eager = {id(n) for n in loads(node.generators[0].iter)}
            for name in loads(node):
                if name.id in rebound and id(name) not in eager:
                    return name.id
    return None


def read_after_reasons(
    loop: ast.For,
    scope: ScopeNames,
    outer_loop: ast.stmt | None = None,
    kept: frozenset[str] = frozenset(),
) -> list[str]:
    """The loop's variable and the temporaries its body assigns no longer exist after a rewrite
    (the pool runs the body in a function): code after the loop must not read them, nor code
    before it in an enclosing loop of the same scope (``outer_loop``), which runs after it in
    the next iteration. ``kept``: names the rewrite still binds in the loop's scope (a serial
    tail's, see advisor/syntax/serial_tail.py)."""
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
        for name in sorted(target - kept)
        if read_later(name)
    ]
    use = NameUse()
    for statement in loop.body:
        use.visit(statement)
    temporaries = use.writes - target - {loop_accumulator(loop)} - kept
    reasons += [
        f"`{name}`, assigned in the loop body, is read after the loop"
        for name in sorted(temporaries)
        if read_later(name)
    ]
    return reasons
