"""CA207: a lambda or a nested function sent to a process pool cannot be pickled; it becomes a
function at module level, which pickle sends by name.

Variables the lambda (or nested function) read from its enclosing function become parameters,
passed explicitly with ``functools.partial``::

    pool.map(lambda x: x * k, xs)   →   def _times_k(x, k): return x * k
                                        pool.map(functools.partial(_times_k, k=k), xs)

``partial`` takes those values where the lambda was made, and they are pickled with the task:
the rewrite is refused when one cannot be (a lock, an open file, a module, a local function),
when one is assigned only after the lambda or function is made, and for shapes a module-level
function cannot reproduce (decorators, ``nonlocal``, ``super()``/``locals()``, defaults
computed from local variables, a function that calls itself while it needs new parameters).
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import libcst as cst
from libcst.helpers import parse_template_expression
from libcst.metadata import ComprehensionScope, FunctionScope, GlobalScope, Scope

from advisor.analysis.knowledge import load_knowledge
from advisor.codemods.pool_edit import (
    Imports,
    ParsedModule,
    RewriteError,
    code_of,
    finish,
    line_of,
    names_read,
    walk,
)
from advisor.model import Finding, Site
from advisor.syntax.names import fresh_name

__all__ = ["fix_unpicklable_task"]

UNPICKLABLE = load_knowledge().pools.unpicklable  # data (pools.toml)
# Pool methods that pickle the callable they are given (CA207's list).
_PICKLING = frozenset(
    {"submit", "map", "imap", "imap_unordered", "starmap", "apply", "apply_async", "map_async",
     "starmap_async"}
)  # fmt: skip
# Calls whose meaning depends on the frame or class they run in.
_FRAME_SENSITIVE = frozenset({"locals", "vars", "dir", "eval", "exec", "super"})
_OPERATORS = {
    cst.Multiply: "times", cst.Add: "plus", cst.Subtract: "minus", cst.Divide: "over",
    cst.FloorDivide: "over", cst.Modulo: "mod", cst.Power: "power",
}  # fmt: skip
_LITERALS = (cst.Integer, cst.Float, cst.Imaginary, cst.SimpleString, cst.ConcatenatedString)


def fix_unpicklable_task(source: str, finding: Finding) -> str:
    """CA207: move the lambda or nested function a process pool is given to module level."""
    parsed = ParsedModule.for_finding(source, finding)
    given = _given(parsed, _pool_call_at(parsed, finding.site or finding.line))
    if isinstance(given, cst.Lambda):
        return _lift_lambda(parsed, given, hint=None)
    if isinstance(given, cst.Attribute):
        raise RewriteError(
            f"`{code_of(given)}` is a bound method of an object pickle cannot send: no "
            "mechanical fix, split the work from the object"
        )
    if not isinstance(given, cst.Name):
        raise RewriteError(f"`{code_of(given)}` is not a lambda or a function's name")
    found = parsed.bindings(given)
    if len(found) != 1:
        raise RewriteError(f"`{given.value}` is bound more than once")
    binding = getattr(found[0], "node", None)
    scope = getattr(found[0], "scope", None)
    if isinstance(binding, cst.FunctionDef) and isinstance(scope, FunctionScope):
        return _lift_function(parsed, binding)
    assign = _assignment_of(parsed, binding)
    if assign is not None and parsed.in_prelude(assign):
        # bound by another module-level statement: that statement is the one to parse and edit
        elsewhere = parsed.module_statement_binding(given.value)
        if elsewhere is None:
            raise RewriteError(f"`{given.value}` is not a lambda or a nested function")
        parsed = ParsedModule.around(source, elsewhere.lineno, elsewhere.end_lineno)
        line = parsed.region.statement
        small = line.body[0] if isinstance(line, cst.SimpleStatementLine) else None
        assign = small if isinstance(small, cst.Assign) and len(line.body) == 1 else None  # type: ignore[union-attr]
    if assign is not None and isinstance(assign.value, cst.Lambda):
        if isinstance(scope, GlobalScope):
            return _lambda_to_def(parsed, assign)
        return _lift_lambda(parsed, assign.value, hint=given.value)
    raise RewriteError(f"`{given.value}` is not a lambda or a nested function")


# --- what the pool is given ----------------------------------------------------------------


def _pool_call_at(parsed: ParsedModule, where: int | Site) -> cst.Call:
    for call in parsed.calls_at(where):
        if isinstance(call.func, cst.Attribute) and call.func.attr.value in _PICKLING:
            return call
    raise RewriteError(f"no pool method call starts on line {line_of(where)}")


def _given(parsed: ParsedModule, call: cst.Call) -> cst.BaseExpression:
    """The callable handed to the pool, inside any ``functools.partial(...)``."""
    given = call.args[0].value if call.args and call.args[0].keyword is None else None
    if given is None:
        given = next(
            (a.value for a in call.args if a.keyword and a.keyword.value in ("fn", "func")), None
        )
    while (
        isinstance(given, cst.Call)
        and given.args
        and "functools.partial" in parsed.qualified_names(given.func)
    ):
        given = given.args[0].value
    if given is None:
        raise RewriteError("the pool call is given no callable")
    return given


def _assignment_of(parsed: ParsedModule, target: object) -> cst.Assign | None:
    """``name = value`` alone on its line, when ``target`` is its ``name``."""
    holder = parsed.parent(target) if isinstance(target, cst.Name) else None
    assign = parsed.parent(holder) if isinstance(holder, cst.AssignTarget) else None
    line = parsed.parent(assign) if assign is not None else None
    if (
        isinstance(assign, cst.Assign)
        and len(assign.targets) == 1
        and isinstance(line, cst.SimpleStatementLine)
        and len(line.body) == 1
    ):
        return assign
    return None


# --- what it reads from its enclosing function ------------------------------------------------


def _inner_scopes(parsed: ParsedModule, node: cst.CSTNode) -> list[Scope]:
    inside = {id(n) for n in walk(node)}
    scopes = {id(s): s for s in parsed.scopes.values() if s is not None}
    return [s for s in scopes.values() if id(getattr(s, "node", None)) in inside]


def _captured(parsed: ParsedModule, node: cst.CSTNode) -> list[str]:
    """Variables of enclosing functions (or comprehensions) that ``node`` reads, in order.

    Each must become a parameter; a value pickle refuses, or one assigned only after ``node``
    is made, cannot be passed where the function is made, and the rewrite is refused."""
    inner = _inner_scopes(parsed, node)
    inner_ids = {id(s) for s in inner}
    start = parsed.positions[node].start  # type: ignore[attr-defined]
    found: dict[str, tuple[int, int]] = {}
    for scope in inner:
        for access in scope.accesses:
            for referent in access.referents:
                owner = getattr(referent, "scope", None)
                if getattr(referent, "node", None) is node:
                    continue  # the function calling itself: see `_lift_function`
                if id(owner) in inner_ids:
                    continue
                # A global bound only under `if __name__ == "__main__":` does not exist in a
                # worker that imports the module (spawn, forkserver): it is passed like a local.
                if not isinstance(owner, FunctionScope | ComprehensionScope) and not (
                    isinstance(owner, GlobalScope) and _under_main_guard(parsed, referent)
                ):
                    continue
                name = referent.name
                _require_passable(parsed, name, referent, start, owner)
                at = parsed.positions[access.node].start  # type: ignore[attr-defined]
                found[name] = min(found.get(name, (at.line, at.column)), (at.line, at.column))
    return sorted(found, key=found.__getitem__)


def _under_main_guard(parsed: ParsedModule, referent: object) -> bool:
    bound = getattr(referent, "node", None)
    if bound is None:
        return False
    for ancestor in parsed.ancestors(bound):
        if isinstance(ancestor, cst.If) and _is_main_test(ancestor.test):
            return True
    return False


def _is_main_test(test: cst.BaseExpression) -> bool:
    """``__name__ == "__main__"``, either way round."""
    if not (isinstance(test, cst.Comparison) and len(test.comparisons) == 1):
        return False
    target = test.comparisons[0]
    sides = {code_of(test.left).strip(), code_of(target.comparator).strip()}
    main = {'"__main__"', "'__main__'"}
    return isinstance(target.operator, cst.Equal) and "__name__" in sides and bool(sides & main)


def _require_passable(
    parsed: ParsedModule, name: str, referent: object, start: object, owner: object
) -> None:
    bound = getattr(referent, "node", None)
    if isinstance(bound, cst.FunctionDef | cst.ClassDef | cst.Lambda):
        raise RewriteError(f"it uses `{name}`, a function or class of the enclosing function")
    if isinstance(bound, cst.Import):
        raise RewriteError(f"it uses `{name}`, a module, which pickle cannot send")
    holder = parsed.parent(bound) if bound is not None else None
    if isinstance(holder, cst.AsName):
        raise RewriteError(f"it uses `{name}`, bound by a `with` (a file, lock or connection?)")
    assign = parsed.parent(holder) if isinstance(holder, cst.AssignTarget) else None
    value = assign.value if isinstance(assign, cst.Assign) else None
    if isinstance(value, cst.Lambda | cst.GeneratorExp):
        raise RewriteError(f"it uses `{name}`, a lambda or generator, which pickle cannot send")
    if isinstance(value, cst.Call):
        creators = {q.removesuffix("()") for q in parsed.qualified_names(value.func)}
        refused = sorted(creators & UNPICKLABLE)
        if refused:
            raise RewriteError(f"it uses `{name}`, a `{refused[0]}`, which pickle cannot send")
    if isinstance(owner, ComprehensionScope) or isinstance(bound, cst.Param):
        return  # bound before anything in the comprehension or function body runs
    if isinstance(owner, GlobalScope) and bound is None:
        return
    where = parsed.positions.get(bound) if bound is not None else None
    if where is None or (where.start.line, where.start.column) > (start.line, start.column):  # type: ignore[attr-defined]
        raise RewriteError(f"`{name}` is assigned after the function is made")


def _require_movable(parsed: ParsedModule, node: cst.CSTNode) -> None:
    """What a module-level function cannot do the same way."""
    for inner in walk(node):
        if isinstance(inner, cst.Nonlocal):
            raise RewriteError("it assigns a variable of the enclosing function (nonlocal)")
        if isinstance(inner, cst.NamedExpr):
            raise RewriteError("it uses an assignment expression (:=)")
        if (
            isinstance(inner, cst.Call)
            and isinstance(inner.func, cst.Name)
            and inner.func.value in _FRAME_SENSITIVE
        ):
            raise RewriteError(f"it calls {inner.func.value}(), which depends on where it runs")
        if isinstance(inner, cst.Name) and inner.value == "__class__":
            raise RewriteError("it uses __class__, which depends on its class")
    params = getattr(node, "params", None)
    if isinstance(params, cst.Parameters):
        for param in (*params.params, *params.posonly_params, *params.kwonly_params):
            if param.default is not None and not _is_literal(param.default):
                raise RewriteError(
                    f"the default of `{param.name.value}` is computed where the function is made"
                )
            if param.annotation is not None and _reads_locals(parsed, param.annotation):
                raise RewriteError(f"the annotation of `{param.name.value}` uses a local name")


def _is_literal(expression: cst.BaseExpression) -> bool:
    if isinstance(expression, cst.UnaryOperation):
        return _is_literal(expression.expression)
    if isinstance(expression, cst.Name):
        return expression.value in ("None", "True", "False")
    return isinstance(expression, _LITERALS)


def _reads_locals(parsed: ParsedModule, expression: cst.CSTNode) -> bool:
    return any(
        isinstance(n, cst.Name) and any(parsed.local_scope_of(b) for b in parsed.bindings(n))
        for n in walk(expression)
    )


# --- building the module-level function ------------------------------------------------------


def _with_parameters(params: cst.Parameters, captured: Sequence[str]) -> cst.Parameters:
    """``params`` with one more parameter per captured variable (keyword-only if needed)."""
    extra = [cst.Param(cst.Name(name)) for name in captured]
    if not extra:
        return params
    plain = (
        not params.kwonly_params
        and not isinstance(params.star_arg, cst.Param | cst.ParamStar)
        and params.star_kwarg is None
        and all(p.default is None for p in (*params.posonly_params, *params.params))
    )
    if plain:
        return params.with_changes(params=[*params.params, *extra])
    star = params.star_arg if isinstance(params.star_arg, cst.Param | cst.ParamStar) else None
    return params.with_changes(
        star_arg=star or cst.ParamStar(), kwonly_params=[*params.kwonly_params, *extra]
    )


def _reference(function: str, captured: Sequence[str]) -> cst.BaseExpression:
    """``function``, or ``functools.partial(function, k=k)`` passing the captured values."""
    if not captured:
        return cst.Name(function)
    keywords = ", ".join(f"{name}={name}" for name in captured)
    return parse_template_expression(
        f"functools.partial({{function}}, {keywords})", function=cst.Name(function)
    )


def _lambda_name(lam: cst.Lambda, hint: str | None) -> str:
    """A name that says what the lambda computes: ``_times_k`` for ``x * k``."""
    if hint:
        return f"_{hint}"
    body = lam.body
    base = "task"
    if isinstance(body, cst.BinaryOperation):
        word = _OPERATORS.get(type(body.operator), "")
        left, right = body.left, body.right
        if (
            isinstance(body.operator, cst.Multiply)
            and isinstance(left, cst.Name)
            and isinstance(right, cst.Name)
            and left.value == right.value
        ):
            base = "square"
        elif word and isinstance(right, cst.Name | cst.Integer):
            base = f"{word}_{right.value}"
        elif word:
            base = word
    elif isinstance(body, cst.Call):
        func = body.func
        last = func.attr.value if isinstance(func, cst.Attribute) else getattr(func, "value", "")
        base = last or "task"
    elif isinstance(body, cst.Attribute):
        base = f"get_{body.attr.value}"
    base = re.sub(r"\W", "_", base)
    return f"_{base}"


def _insert_before(
    parsed: ParsedModule, top: cst.BaseStatement, function: cst.FunctionDef
) -> dict[cst.CSTNode, object]:
    """Put ``function`` before the module-level statement ``top``, two blank lines around it;
    comments right above ``top`` stay with ``top``."""
    lines = list(top.leading_lines)
    blank = 0
    while blank < len(lines) and lines[blank].comment is None:
        blank += 1
    spacing = lines[:blank] if blank >= 2 else [cst.EmptyLine(), cst.EmptyLine()]
    placed = function.with_changes(leading_lines=[*spacing, *function.leading_lines])
    rest = [cst.EmptyLine(), cst.EmptyLine(), *lines[blank:]]

    def add(updated: cst.CSTNode) -> cst.FlattenSentinel:
        return cst.FlattenSentinel([placed, updated.with_changes(leading_lines=rest)])

    return {top: add}


def _finish(parsed: ParsedModule, changes: dict[cst.CSTNode, object], partial: bool) -> str:
    if partial and parsed.rebinds("functools", imported_from="functools"):
        raise RewriteError("the module binds `functools` to something else")
    imports = Imports(added=(("functools", None),)) if partial else Imports()
    return finish(parsed, changes, imports)  # type: ignore[arg-type]


def _lift_lambda(parsed: ParsedModule, lam: cst.Lambda, hint: str | None) -> str:
    _require_movable(parsed, lam)
    captured = _captured(parsed, lam)
    name = fresh_name(_lambda_name(lam, hint), parsed.identifiers)
    function = cst.FunctionDef(
        name=cst.Name(name),
        params=_with_parameters(lam.params, captured),
        body=cst.IndentedBlock([cst.SimpleStatementLine([cst.Return(value=lam.body)])]),
    )
    changes = _insert_before(parsed, parsed.top_statement(lam), function)
    changes[lam] = _reference(name, captured)
    return _finish(parsed, changes, bool(captured))


def _lambda_to_def(parsed: ParsedModule, assign: cst.Assign) -> str:
    """``square = lambda n: n * n`` at module level becomes ``def square(n): return n * n``."""
    lam = assign.value
    if not isinstance(lam, cst.Lambda):
        raise RewriteError("unexpected code shape: `lam` is not a Lambda")
    target = assign.targets[0].target
    if not isinstance(target, cst.Name):
        raise RewriteError("unexpected code shape: `target` is not a Name")
    _require_movable(parsed, lam)
    line = parsed.parent(assign)
    if not isinstance(line, cst.SimpleStatementLine):
        raise RewriteError("unexpected code shape: `line` is not a SimpleStatementLine")
    function = cst.FunctionDef(
        name=target,
        params=lam.params,
        body=cst.IndentedBlock(
            [cst.SimpleStatementLine([cst.Return(value=lam.body)])],
            header=line.trailing_whitespace,
        ),
        leading_lines=line.leading_lines,
    )
    return _finish(parsed, {line: function}, False)


def _without_leading_blank_lines(statement: cst.CSTNode) -> cst.CSTNode:
    """The statement that now opens its block loses the blank lines that followed the def."""
    lines = list(statement.leading_lines)  # type: ignore[attr-defined]
    while lines and lines[0].comment is None:
        lines.pop(0)
    return statement.with_changes(leading_lines=lines)


def _lift_function(parsed: ParsedModule, function: cst.FunctionDef) -> str:
    local = function.name.value
    if function.decorators:
        raise RewriteError(f"`{local}` is decorated: the decorator must work at module level too")
    _require_movable(parsed, function)
    returns = function.returns.annotation if function.returns is not None else None
    if returns is not None and _reads_locals(parsed, returns):
        raise RewriteError(f"the return annotation of `{local}` uses a local name")
    captured = _captured(parsed, function)
    module_level = local
    if captured or parsed.binds_at_module_level(local):
        module_level = fresh_name(f"_{local}", parsed.identifiers)
    recursive = local in names_read(function.body)
    if recursive and module_level != local:
        raise RewriteError(f"`{local}` calls itself and would need its new parameters there")
    comments = [line for line in function.leading_lines if line.comment is not None]
    blank = [line for line in function.leading_lines if line.comment is None]
    lifted = function.with_changes(
        name=cst.Name(module_level),
        params=_with_parameters(function.params, captured),
        leading_lines=comments,
    )
    changes = _insert_before(parsed, parsed.top_statement(function), lifted)
    if module_level == local:
        changes[function] = cst.RemovalSentinel.REMOVE
        block, index = parsed.block_of(function)
        following = block.body[index + 1] if index + 1 < len(block.body) else None  # type: ignore[attr-defined]
        if index == 0 and following is not None:
            changes[following] = _without_leading_blank_lines
    else:
        binding = cst.SimpleStatementLine(
            [
                cst.Assign(
                    targets=[cst.AssignTarget(cst.Name(local))],
                    value=_reference(module_level, captured),
                )
            ],
            leading_lines=blank,
        )
        changes[function] = binding
    return _finish(parsed, changes, bool(captured))
