"""Which names a piece of code binds and reads, and in which scope: the one scope and binding
model the analysis and every rewrite share.

Binding forms (all of them, once): assignment, augmented and annotated assignment, ``for``
targets, ``with ... as``, ``except ... as``, ``import`` (``as``), ``def`` and ``class``, the
walrus (which binds in the enclosing scope even inside a comprehension), ``del``, and ``match``
captures (``case x``, ``case [*rest]``, ``case {**rest}``). ``global`` and ``nonlocal`` are
declarations, not bindings: :func:`locals_of` takes them out. Nested functions, lambdas, classes
and comprehensions have scopes of their own: what they bind is theirs.
"""

from __future__ import annotations

import ast
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from advisor.syntax.statements import DEFINITIONS, statements_in

__all__ = [
    "COMPREHENSIONS",
    "EXPRESSION_SCOPES",
    "SCOPE_NODES",
    "Binding",
    "binding_name",
    "bindings",
    "binds_anywhere",
    "bound_in",
    "bound_names",
    "declarations",
    "dotted_name",
    "global_reads",
    "import_bindings",
    "loads",
    "locals_of",
    "module_binds",
    "parameters",
    "reads_global",
    "reads_of",
    "target_names",
    "walk_scope",
]

COMPREHENSIONS = (ast.ListComp, ast.SetComp, ast.DictComp, ast.GeneratorExp)
# Nodes whose inside runs in a scope of its own (or later): a walk of one scope does not enter.
SCOPE_NODES = (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda, ast.ClassDef)
# Expressions with variables of their own: only what they read from the enclosing scope counts.
EXPRESSION_SCOPES = (ast.Lambda, *COMPREHENSIONS)


@dataclass(frozen=True, slots=True)
class Binding:
    """One name bound in a scope, by ``node``: the Assign, AnnAssign, AugAssign, For/AsyncFor,
    withitem, NamedExpr, ExceptHandler, Import/ImportFrom, FunctionDef/ClassDef, Delete or match
    pattern that binds it."""

    name: str
    node: ast.AST
    imported: str | None = None  # an import's qualified name: `import a.b` binds a → "a"


def dotted_name(node: ast.expr) -> str | None:
    """``a.b.c`` for a Name/Attribute chain, else None."""
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        base = dotted_name(node.value)
        return None if base is None else f"{base}.{node.attr}"
    return None


def target_names(target: ast.expr) -> list[ast.Name]:
    """The names an assignment or loop target binds: ``a``, ``a, (b, *c)`` → a, b, c."""
    if isinstance(target, ast.Name):
        return [target]
    if isinstance(target, (ast.Tuple, ast.List)):
        return [n for element in target.elts for n in target_names(element)]
    if isinstance(target, ast.Starred):
        return target_names(target.value)
    return []


def bound_names(target: ast.expr) -> set[str]:
    return {node.id for node in target_names(target)}


def import_bindings(
    node: ast.Import | ast.ImportFrom, package: str | None = None
) -> list[tuple[str, str | None]]:
    """(name bound, qualified name it stands for) of each alias of an import; the qualified name
    is None for a relative import, unless the module's ``package`` is known (``from .net import
    get`` in package ``shop`` is ``shop.net.get``). ``from m import *`` binds nothing."""
    found: list[tuple[str, str | None]] = []
    if isinstance(node, ast.Import):
        for alias in node.names:
            if alias.asname:
                found.append((alias.asname, alias.name))
            else:
                top = alias.name.split(".")[0]
                found.append((top, top))
        return found
    base = node.module if not node.level else _relative_base(node, package)
    for alias in node.names:
        if alias.name != "*":
            qualified = f"{base}.{alias.name}" if base else None
            found.append((alias.asname or alias.name, qualified))
    return found


def _relative_base(node: ast.ImportFrom, package: str | None) -> str | None:
    """The absolute module a relative import names, inside ``package``; None when unknown or
    above the top package."""
    if not package:
        return None
    parts = package.split(".")
    if node.level - 1 >= len(parts):
        return None
    base = ".".join(parts[: len(parts) - (node.level - 1)])
    return f"{base}.{node.module}" if node.module else base


def bindings(nodes: Iterable[ast.AST]) -> Iterator[Binding]:
    """Every binding the nodes make in their own scope, in the order of the nodes that bind
    (source order, a mapping pattern's ``**rest`` before the patterns inside it)."""
    stack: list[ast.AST] = list(nodes)[::-1]
    while stack:
        node = stack.pop()
        if isinstance(node, DEFINITIONS):
            yield Binding(node.name, node)
            # decorators, defaults and bases run here; the body does not
            stack.extend(reversed(_header_parts(node)))
            continue
        if isinstance(node, ast.Lambda):
            stack.extend(reversed([*node.args.defaults, *(d for d in node.args.kw_defaults if d)]))
            continue
        if isinstance(node, COMPREHENSIONS):
            # its variables are its own; a walrus inside binds here
            stack.extend(reversed([node.generators[0].iter, *_walrus_targets(node)]))
            continue
        if isinstance(node, ast.Assign):
            for target in node.targets:
                yield from (Binding(n.id, node) for n in target_names(target))
        elif isinstance(node, ast.AnnAssign | ast.AugAssign | ast.For | ast.AsyncFor):
            yield from (Binding(n.id, node) for n in target_names(node.target))
        elif isinstance(node, ast.withitem) and node.optional_vars is not None:
            yield from (Binding(n.id, node) for n in target_names(node.optional_vars))
        elif isinstance(node, ast.NamedExpr):
            yield Binding(node.target.id, node)
        elif isinstance(node, ast.ExceptHandler) and node.name:
            yield Binding(node.name, node)
        elif isinstance(node, ast.Import | ast.ImportFrom):
            yield from (Binding(name, node, q) for name, q in import_bindings(node))
        elif isinstance(node, ast.Delete):
            for target in node.targets:
                yield from (Binding(n.id, node) for n in target_names(target))
        elif isinstance(node, ast.MatchAs | ast.MatchStar) and node.name:
            yield Binding(node.name, node)
        elif isinstance(node, ast.MatchMapping) and node.rest:
            yield Binding(node.rest, node)
        stack.extend(reversed(list(ast.iter_child_nodes(node))))


def _header_parts(node: ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef) -> list[ast.AST]:
    if isinstance(node, ast.ClassDef):
        return [*node.decorator_list, *node.bases, *node.keywords]
    args = node.args
    return [*node.decorator_list, *args.defaults, *(d for d in args.kw_defaults if d)]


def _walrus_targets(comprehension: ast.expr) -> list[ast.NamedExpr]:
    return [
        n
        for n in walk_scope([comprehension], enter_comprehensions=True)
        if isinstance(n, ast.NamedExpr)
    ]


def bound_in(statements: Iterable[ast.AST]) -> set[str]:
    """Names the statements bind in their own scope (see :func:`bindings`)."""
    return {binding.name for binding in bindings(statements)}


def walk_scope(nodes: Iterable[ast.AST], *, enter_comprehensions: bool = True) -> Iterator[ast.AST]:
    """Every node under ``nodes`` (themselves included) that runs when they run, in source
    order: a nested def, lambda or class is yielded but not entered (its body runs elsewhere,
    or later)."""
    stack = list(nodes)[::-1]
    while stack:
        node = stack.pop()
        yield node
        if isinstance(node, SCOPE_NODES):
            continue
        if not enter_comprehensions and isinstance(node, COMPREHENSIONS):
            continue
        stack.extend(reversed(list(ast.iter_child_nodes(node))))


def loads(node: ast.AST, hidden: frozenset[str] = frozenset()) -> Iterator[ast.Name]:
    """The names ``node`` reads from its scope, in source order. Names bound by its own lambdas
    and comprehensions are theirs, not reads; the bodies of functions and classes it defines run
    elsewhere and are not entered."""
    if isinstance(node, ast.Name):
        if isinstance(node.ctx, ast.Load) and node.id not in hidden:
            yield node
        return
    if isinstance(node, ast.Lambda):
        yield from _defaults(node.args, hidden)
        yield from loads(node.body, hidden | parameters(node.args))
        return
    if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
        for decorator in node.decorator_list:
            yield from loads(decorator, hidden)
        yield from _defaults(node.args, hidden)
        return
    if isinstance(node, ast.ClassDef):
        for part in (*node.decorator_list, *node.bases, *node.keywords):
            yield from loads(part, hidden)
        return
    if isinstance(node, COMPREHENSIONS):
        inner = hidden
        for index, generator in enumerate(node.generators):
            yield from loads(generator.iter, hidden if index == 0 else inner)
            inner = inner | {n.id for n in ast.walk(generator.target) if isinstance(n, ast.Name)}
            for condition in generator.ifs:
                yield from loads(condition, inner)
        for part in ("elt", "key", "value"):
            if hasattr(node, part):
                yield from loads(getattr(node, part), inner)
        return
    for child in ast.iter_child_nodes(node):
        yield from loads(child, hidden)


def _defaults(args: ast.arguments, hidden: frozenset[str]) -> Iterator[ast.Name]:
    for default in (*args.defaults, *(d for d in args.kw_defaults if d is not None)):
        yield from loads(default, hidden)


def reads_of(nodes: Iterable[ast.AST]) -> list[str]:
    """Distinct names the nodes read, in order of first reading."""
    return list(dict.fromkeys(name.id for node in nodes for name in loads(node)))


def parameters(args: ast.arguments, *, packed: bool = True) -> frozenset[str]:
    """The parameters' names; ``packed=False`` leaves out ``*args`` and ``**kwargs``, whose
    tuple and dict every call makes afresh."""
    every = (*args.posonlyargs, *args.args, *args.kwonlyargs)
    if packed:
        every = (*every, *(a for a in (args.vararg, args.kwarg) if a is not None))
    return frozenset(a.arg for a in every)


def declarations(function: ast.FunctionDef | ast.AsyncFunctionDef) -> dict[str, str]:
    """Names the function declares ``global`` or ``nonlocal`` → which of the two."""
    declared: dict[str, str] = {}
    for node in statements_in(function.body):
        if isinstance(node, ast.Global | ast.Nonlocal):
            keyword = "global" if isinstance(node, ast.Global) else "nonlocal"
            declared.update(dict.fromkeys(node.names, keyword))
    return declared


def locals_of(function: ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda) -> set[str]:
    """The function's local names: its parameters and what its body binds, less what it
    declares ``global`` or ``nonlocal``."""
    if isinstance(function, ast.Lambda):
        return set(parameters(function.args)) | bound_in([function.body])
    own = parameters(function.args) | bound_in(function.body)
    return own - declarations(function).keys()


def global_reads(definitions: Iterable[ast.AST]) -> dict[str, str]:
    """Names the functions and classes (and everything nested in them) read from the module's
    globals → the name of a function or class that reads it."""
    found: dict[str, str] = {}
    for definition in definitions:
        for node in ast.walk(definition):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                own: set[str] = locals_of(node)
            elif isinstance(node, ast.ClassDef):
                own = bound_in(node.body)
            else:
                continue
            for name in reads_of(node.body):
                if name not in own:
                    found.setdefault(name, node.name)
    return found


def module_binds(tree: ast.Module, name: str) -> bool:
    """Does module-level code bind ``name`` other than by ``import name`` (which is the module
    itself)?"""
    for binding in bindings(tree.body):
        if binding.name != name:
            continue
        if isinstance(binding.node, ast.Import) and binding.imported == name:
            continue
        return True
    return False


def binds_anywhere(tree: ast.Module, name: str, imported_from: str | None = None) -> bool:
    """Does any scope of the module (functions, classes, lambdas and comprehensions included)
    bind ``name``, other than ``from <imported_from> import ...`` or ``import <name>`` when
    ``imported_from`` is given? Then a builtin of that name is hidden somewhere."""
    for node in ast.walk(tree):
        if isinstance(node, ast.Import | ast.ImportFrom):
            imports_it = any(bound == name for bound, _ in import_bindings(node))
            if imports_it and not _allowed_import(node, name, imported_from):
                return True
        elif binding_name(node) == name:
            return True
    return False


def binding_name(node: ast.AST) -> str | None:
    """The name a node other than an import binds (wherever it stands: this does not ask in
    which scope), if it binds one."""
    if isinstance(node, ast.Name):
        return node.id if isinstance(node.ctx, ast.Store) else None
    if isinstance(node, ast.arg):
        return node.arg
    if isinstance(node, (*DEFINITIONS, ast.ExceptHandler, ast.MatchAs, ast.MatchStar)):
        return node.name
    if isinstance(node, ast.MatchMapping):
        return node.rest
    return None


def _allowed_import(node: ast.Import | ast.ImportFrom, name: str, module: str | None) -> bool:
    """Is ``node`` ``from <module> import ...`` or ``import <name>`` (the module itself)?"""
    if module is None:
        return False
    if isinstance(node, ast.ImportFrom):
        return not node.level and node.module == module
    return any(a.name == module == name and a.asname is None for a in node.names)


def reads_global(tree: ast.Module, name: str, skip: tuple[int, int]) -> bool:
    """Is the module-level ``name`` read anywhere outside lines ``skip`` (first, last): by
    module-level code, or by a function, class or lambda that does not bind it itself?"""
    stack: list[tuple[ast.AST, bool]] = [(node, False) for node in tree.body]
    while stack:
        node, shadowed = stack.pop()
        line = getattr(node, "lineno", None)
        end = getattr(node, "end_lineno", None) or line
        if line is not None and skip[0] <= line and end is not None and end <= skip[1]:
            continue
        if isinstance(node, ast.Name):
            if node.id == name and isinstance(node.ctx, ast.Load) and not shadowed:
                return True
            continue
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda):
            inner = shadowed or name in locals_of(node)
            outside = _header_parts(node) if not isinstance(node, ast.Lambda) else []
            stack.extend((part, shadowed) for part in outside)
            body = node.body if isinstance(node.body, list) else [node.body]
            stack.extend((part, inner) for part in body)
            continue
        if isinstance(node, ast.ClassDef):
            stack.extend((part, shadowed) for part in _header_parts(node))
            inner = shadowed or name in bound_in(node.body)
            # a class body's names are not seen by the methods defined in it
            stack.extend(
                (part, shadowed if isinstance(part, DEFINITIONS) else inner) for part in node.body
            )
            continue
        stack.extend((child, shadowed) for child in ast.iter_child_nodes(node))
    return False
