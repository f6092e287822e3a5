"""Names resolved per function: a local bound once to a known constructor (``client =
httpx.Client()``, ``async with asyncio.TaskGroup() as tg``, a parameter annotated ``client:
httpx.Client``, a local ``import``) resolves like a module-level instance, and a local that
shadows an import or a builtin (``def f(open): open(x)``) resolves to nothing. The analysis and
the fixers resolve the same call the same way, from this one reading of each scope's bindings.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass, field

from advisor.syntax.bindings import bindings, declarations, target_names
from advisor.syntax.resolve import NameResolver
from advisor.syntax.statements import FUNCTIONS

__all__ = ["Scope", "annotated_instance", "int_value", "module_constants", "scope_of"]

FunctionNode = ast.FunctionDef | ast.AsyncFunctionDef


@dataclass
class Scope:
    """What a function's body binds: its resolver, the functions it defines, and the names bound
    once to an int (``TOTAL = 25``), enclosing scopes' included."""

    resolver: NameResolver
    functions: dict[str, FunctionNode]
    constants: dict[str, int] = field(default_factory=dict)


def _union_members(annotation: ast.expr, resolver: NameResolver) -> list[ast.expr]:
    """``A | None`` and ``Optional[A]`` / ``Union[A, B]`` → their members; else the annotation."""
    if isinstance(annotation, ast.BinOp) and isinstance(annotation.op, ast.BitOr):
        return [
            *_union_members(annotation.left, resolver),
            *_union_members(annotation.right, resolver),
        ]
    if isinstance(annotation, ast.Subscript) and resolver.qualify(annotation.value) in (
        "typing.Optional",
        "typing.Union",
    ):
        inner = annotation.slice
        return list(inner.elts) if isinstance(inner, ast.Tuple) else [inner]
    return [annotation]


def annotated_instance(annotation: ast.expr | None, resolver: NameResolver) -> str | None:
    """``client: httpx.Client | None`` binds an instance: ``httpx.Client()``."""
    if annotation is None:
        return None
    for member in _union_members(annotation, resolver):
        if isinstance(member, ast.Constant) and member.value is None:
            continue
        qualified = resolver.qualify(member)
        if qualified is not None:
            return f"{qualified}()"
    return None


def _bound_value(value: ast.expr | None, resolver: NameResolver) -> str | None:
    return resolver.qualify(value) if isinstance(value, ast.Call) else None


def _single_name(targets: list[ast.expr]) -> bool:
    return len(targets) == 1 and isinstance(targets[0], ast.Name)


def _kind(node: ast.AST, imported: str | None, resolver: NameResolver) -> str | None:
    """What a binding binds the name to, when it is a known instance (or a module, for an
    import); None for anything else."""
    if isinstance(node, ast.Assign):
        return _bound_value(node.value, resolver) if _single_name(node.targets) else None
    if isinstance(node, ast.AnnAssign):
        return annotated_instance(node.annotation, resolver) or _bound_value(node.value, resolver)
    if isinstance(node, ast.withitem) and node.optional_vars is not None:
        single = isinstance(node.optional_vars, ast.Name)
        return _bound_value(node.context_expr, resolver) if single else None
    if isinstance(node, ast.Import | ast.ImportFrom):
        return imported
    return None


def scope_of(function: FunctionNode | ast.Lambda, enclosing: Scope) -> Scope:
    """The scope inside ``function``: its locals shadow the enclosing scope's names unless every
    binding of a local is the same known instance. Read twice, so that a local made from
    another local (``pool = ctx.Pool()`` after ``ctx = multiprocessing.get_context()``)
    resolves too."""
    first = _scope_reading(function, enclosing, enclosing.resolver)
    return _scope_reading(function, enclosing, first.resolver)


def _scope_reading(
    function: FunctionNode | ast.Lambda, enclosing: Scope, reader: NameResolver
) -> Scope:
    outer = enclosing.resolver
    kinds: dict[str, set[str | None]] = {}
    counts: dict[str, int] = {}
    values: dict[str, int] = {}
    functions: dict[str, FunctionNode] = {}

    def bind(name: str, kind: str | None) -> None:
        kinds.setdefault(name, set()).add(kind)
        counts[name] = counts.get(name, 0) + 1

    args = function.args
    for arg in (*args.posonlyargs, *args.args, *args.kwonlyargs, args.vararg, args.kwarg):
        if arg is not None:
            bind(arg.arg, annotated_instance(arg.annotation, outer))
    is_function = isinstance(function, FUNCTIONS)
    body = function.body if is_function else [function.body]
    for binding in bindings(body):
        node = binding.node
        bind(binding.name, _kind(node, binding.imported, reader))
        if isinstance(node, ast.Assign) and _single_name(node.targets):
            value = int_value(node.value, {})
            if value is not None:
                values[binding.name] = value
        elif isinstance(node, FUNCTIONS):
            functions[node.name] = node
    outward = set(declarations(function)) if is_function else set()  # type: ignore[arg-type]
    aliases = dict(outer.aliases)
    defined = set(outer.defined)
    constants = {n: v for n, v in enclosing.constants.items() if n not in kinds or n in outward}
    constants |= {n: v for n, v in values.items() if counts[n] == 1 and n not in outward}
    for name, bound in kinds.items():
        if name in outward:
            continue
        [kind] = bound if len(bound) == 1 else [None]
        if kind is not None:
            aliases[name] = kind
            defined.discard(name)
        else:
            aliases.pop(name, None)
            defined.add(name)
    return Scope(NameResolver(aliases=aliases, defined=frozenset(defined)), functions, constants)


def module_constants(tree: ast.Module) -> dict[str, int]:
    """Module-level names assigned once, to an int: ``WORKERS = 8``."""
    values: dict[str, int | None] = {}
    for statement in tree.body:
        if isinstance(statement, ast.Assign):
            for target in statement.targets:
                for name in (n.id for n in target_names(target)):
                    single = len(statement.targets) == 1 and name not in values
                    values[name] = int_value(statement.value, {}) if single else None
    return {name: value for name, value in values.items() if value is not None}


def int_value(node: ast.expr, constants: dict[str, int]) -> int | None:
    """The int an expression is, when it is a literal (``25``, ``-1``) or a known constant."""
    if isinstance(node, ast.Constant) and type(node.value) is int:
        return node.value
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
        inner = int_value(node.operand, constants)
        return None if inner is None else -inner
    if isinstance(node, ast.Name):
        return constants.get(node.id)
    return None
