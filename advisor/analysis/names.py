"""Resolving call expressions to qualified names through a module's imports, cheaply.

libcst's QualifiedNameProvider needs full scope analysis (~1.6k lines/s); a map of import aliases
and module-level instances built in one pass over top-level statements is enough to tell
``ur.urlopen`` from ``urllib.request.urlopen`` and ``session.get`` from ``requests.Session().get``.
"""

from __future__ import annotations

import builtins
from dataclasses import dataclass

import libcst as cst
import libcst.matchers as m

_BUILTINS = frozenset(dir(builtins))


def dotted_name(node: cst.BaseExpression) -> str | None:
    """``a.b.c`` for a Name/Attribute chain, else None."""
    if isinstance(node, cst.Name):
        return node.value
    if isinstance(node, cst.Attribute):
        base = dotted_name(node.value)
        return None if base is None else f"{base}.{node.attr.value}"
    return None


def bound_name_nodes(target: cst.BaseExpression) -> list[cst.Name]:
    """The names an assignment or loop target binds: ``a``, ``a, (b, *c)`` → a, b, c."""
    if isinstance(target, cst.Name):
        return [target]
    if isinstance(target, (cst.Tuple, cst.List)):
        return [n for element in target.elements for n in bound_name_nodes(element.value)]
    if isinstance(target, cst.StarredElement):
        return bound_name_nodes(target.value)
    return []


def bound_names(target: cst.BaseExpression) -> set[str]:
    return {node.value for node in bound_name_nodes(target)}


def _module_name(node: cst.BaseExpression) -> str:
    return dotted_name(node) or ""


@dataclass(frozen=True, slots=True)
class NameResolver:
    """Local name → qualified name, for imports anywhere and module-level instances."""

    aliases: dict[str, str]
    defined: frozenset[str]  # names bound by the module itself (functions, classes, assignments)

    def qualify(self, expr: cst.BaseExpression) -> str | None:
        """The qualified name a call's function expression refers to, if it can be told."""
        if isinstance(expr, cst.Call):
            inner = self.qualify(expr.func)
            return None if inner is None else f"{inner}()"
        if isinstance(expr, cst.Attribute):
            base = self.qualify(expr.value)
            return None if base is None else f"{base}.{expr.attr.value}"
        if isinstance(expr, cst.Name):
            name = expr.value
            if name in self.aliases:
                return self.aliases[name]
            if name in self.defined:
                return None
            if name in _BUILTINS:
                return f"builtins.{name}"
            return None
        return None


class _ImportCollector(cst.CSTVisitor):
    def __init__(self) -> None:
        self.aliases: dict[str, str] = {}

    def visit_Import(self, node: cst.Import) -> None:
        for alias in node.names:
            full = _module_name(alias.name)
            if alias.asname is not None and isinstance(alias.asname.name, cst.Name):
                self.aliases[alias.asname.name.value] = full
            else:
                top = full.split(".")[0]
                self.aliases[top] = top

    def visit_ImportFrom(self, node: cst.ImportFrom) -> None:
        if node.relative or node.module is None or isinstance(node.names, cst.ImportStar):
            return
        module = _module_name(node.module)
        for alias in node.names:
            name = _module_name(alias.name)
            local = name
            if alias.asname is not None and isinstance(alias.asname.name, cst.Name):
                local = alias.asname.name.value
            self.aliases[local] = f"{module}.{name}"


def build_resolver(module: cst.Module) -> NameResolver:
    collector = _ImportCollector()
    module.visit(collector)
    aliases = dict(collector.aliases)
    defined: set[str] = set()
    partial = NameResolver(aliases=aliases, defined=frozenset())
    for statement in module.body:
        if isinstance(statement, (cst.FunctionDef, cst.ClassDef)):
            defined.add(statement.name.value)
            continue
        if not isinstance(statement, cst.SimpleStatementLine):
            continue
        for small in statement.body:
            # `session = requests.Session()` makes `session.get` resolve to `requests.Session().get`
            if m.matches(small, m.Assign(targets=[m.AssignTarget(target=m.Name())])):
                target = small.targets[0].target.value
                value = small.value
                instance = partial.qualify(value) if isinstance(value, cst.Call) else None
                if instance is not None:
                    aliases[target] = instance
                else:
                    defined.add(target)
    return NameResolver(aliases=aliases, defined=frozenset(defined - aliases.keys()))
