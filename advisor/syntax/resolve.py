"""Resolving expressions to qualified names through a module's imports, cheaply.

Built from Python's own ``ast`` in one pass over the module: a map of import aliases and of
module-level instances is enough to tell ``ur.urlopen`` from ``urllib.request.urlopen`` and
``session.get`` from ``requests.Session().get``. (libcst's QualifiedNameProvider would need full
scope analysis, ~1.6k lines/s; this costs next to nothing.)
"""

from __future__ import annotations

import ast
import builtins
from dataclasses import dataclass

from advisor.syntax.bindings import import_bindings

__all__ = ["NameResolver", "build_resolver"]

_BUILTINS = frozenset(dir(builtins))


@dataclass(frozen=True, slots=True)
class NameResolver:
    """Local name → qualified name, for imports anywhere and module-level instances."""

    aliases: dict[str, str]
    defined: frozenset[str]  # names bound by the module itself (functions, classes, assignments)

    def qualify(self, expr: ast.expr) -> str | None:
        """The qualified name an expression refers to, if it can be told."""
        if isinstance(expr, ast.Call):
            inner = self.qualify(expr.func)
            return None if inner is None else f"{inner}()"
        if isinstance(expr, ast.Attribute):
            base = self.qualify(expr.value)
            return None if base is None else f"{base}.{expr.attr}"
        if isinstance(expr, ast.Name):
            name = expr.id
            if name in self.aliases:
                return self.aliases[name]
            if name in self.defined:
                return None
            if name in _BUILTINS:
                return f"builtins.{name}"
        return None


def _import_aliases(tree: ast.Module) -> dict[str, str]:
    aliases: dict[str, str] = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.Import | ast.ImportFrom):
            for name, qualified in import_bindings(node):
                if qualified is not None:
                    aliases[name] = qualified
    return aliases


def build_resolver(tree: ast.Module) -> NameResolver:
    aliases = _import_aliases(tree)
    defined: set[str] = set()
    partial = NameResolver(aliases=aliases, defined=frozenset())
    for statement in tree.body:
        if isinstance(statement, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            defined.add(statement.name)
        elif isinstance(statement, ast.Assign) and len(statement.targets) == 1:
            target = statement.targets[0]
            if not isinstance(target, ast.Name):
                continue
            # `session = requests.Session()` makes `session.get` resolve to `requests.Session().get`
            instance = (
                partial.qualify(statement.value) if isinstance(statement.value, ast.Call) else None
            )
            if instance is not None:
                aliases[target.id] = instance
            else:
                defined.add(target.id)
    return NameResolver(aliases=aliases, defined=frozenset(defined - aliases.keys()))
