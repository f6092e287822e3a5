"""Resolving expressions to qualified names through a module's imports, cheaply.

Built from Python's own ``ast`` in one pass over the module: a map of import aliases and of
module-level instances is enough to tell ``ur.urlopen`` from ``urllib.request.urlopen`` and
``session.get`` from ``requests.Session().get``. (libcst's QualifiedNameProvider would need full
scope analysis, ~1.6k lines/s; this costs next to nothing.)
"""

from __future__ import annotations

import ast
import builtins
from dataclasses import dataclass, field

from advisor.syntax.bindings import bindings, import_bindings
from advisor.syntax.statements import statements_in

__all__ = ["NameResolver", "build_resolver"]

_BUILTINS = frozenset(dir(builtins))


@dataclass(frozen=True, slots=True)
class NameResolver:
    """Local name → qualified name, for imports anywhere and module-level instances."""

    aliases: dict[str, str]
    defined: frozenset[str]  # names bound by the module itself (functions, classes, assignments)
    # in a method: "self.session" -> "requests.Session()", what the class binds its attributes to
    attributes: dict[str, str] = field(default_factory=dict)
    # what a call makes, spelled by its type: "sqlite3.connect()" -> "sqlite3.Connection()"
    made: dict[str, str] = field(default_factory=dict)
    # the module's functions that return such an object: "make_session" -> "requests.Session()"
    returns: dict[str, str] = field(default_factory=dict)
    # names bound by `import x` / `import x.y as z` anywhere: modules, never a loop's values
    modules: frozenset[str] = frozenset()

    def qualify(self, expr: ast.expr) -> str | None:
        """The qualified name an expression refers to, if it can be told."""
        if isinstance(expr, ast.Call):
            if self.returns and isinstance(expr.func, ast.Name) and expr.func.id in self.returns:
                return self.returns[expr.func.id]
            inner = self.qualify(expr.func)
            if inner is None:
                return None
            called = f"{inner}()"
            return self.made.get(called, called) if self.made else called
        if isinstance(expr, ast.Attribute):
            if self.attributes and isinstance(expr.value, ast.Name):
                instance = self.attributes.get(f"{expr.value.id}.{expr.attr}")
                if instance is not None:
                    return instance
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


def _import_aliases(tree: ast.Module, package: str | None) -> dict[str, str]:
    aliases: dict[str, str] = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.Import | ast.ImportFrom):
            for name, qualified in import_bindings(node, package):
                if qualified is not None:
                    aliases[name] = qualified
    return aliases


def build_resolver(
    tree: ast.Module, made: dict[str, str] | None = None, package: str | None = None
) -> NameResolver:
    """The module's resolver; ``made`` names the type each known maker call returns, and
    ``package`` the module's package (its relative imports resolve inside it)."""
    aliases = _import_aliases(tree, package)
    defined: set[str] = set()
    made = made or {}
    partial = NameResolver(aliases=aliases, defined=frozenset(), made=made)
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
    returns: dict[str, str] = {}
    if made and _imports_a_maker(aliases, made):
        known = frozenset(made.values())
        aliases |= _module_objects(tree, partial, known)
        returns = _functions_returning(tree, partial, known)
    defined_names = frozenset(defined - aliases.keys())
    modules = frozenset(
        (alias.asname or alias.name.split(".")[0])
        for node in ast.walk(tree)
        if isinstance(node, ast.Import)
        for alias in node.names
    )
    return NameResolver(aliases, defined_names, made=made, returns=returns, modules=modules)


def _functions_returning(
    tree: ast.Module, resolver: NameResolver, known: frozenset[str]
) -> dict[str, str]:
    """The module's functions whose every ``return`` gives an object of one known type, made
    there (``return requests.Session()``, or a local assigned once from such a call):
    ``session = make_session()`` then holds one too."""
    found: dict[str, str] = {}
    for function in tree.body:
        if not isinstance(function, ast.FunctionDef):
            continue
        statements = list(statements_in(function.body))  # nested functions' returns are theirs
        made_locally: dict[str, str | None] = {}
        for statement in statements:
            if isinstance(statement, ast.Assign) and len(statement.targets) == 1:
                target, value = statement.targets[0], statement.value
                if isinstance(target, ast.Name):
                    kind = resolver.qualify(value) if isinstance(value, ast.Call) else None
                    seen = made_locally.get(target.id, kind)
                    made_locally[target.id] = kind if seen == kind else None
        kinds: set[str | None] = set()
        for statement in statements:
            if not isinstance(statement, ast.Return):
                continue
            value = statement.value
            if isinstance(value, ast.Call):
                kinds.add(resolver.qualify(value))
            elif isinstance(value, ast.Name):
                kinds.add(made_locally.get(value.id))
            else:
                kinds.add(None)
        if len(kinds) == 1 and (kind := next(iter(kinds))) in known:
            found[function.name] = kind  # type: ignore[assignment]
    return found


def _imports_a_maker(aliases: dict[str, str], made: dict[str, str]) -> bool:
    """Does the module import any package a known object comes from (a quick way out)?"""
    packages = {maker.split(".")[0] for maker in made}
    return any(imported.split(".")[0] in packages for imported in aliases.values())


def _module_objects(
    tree: ast.Module, resolver: NameResolver, known: frozenset[str]
) -> dict[str, str]:
    """Module-level names bound once, anywhere outside functions, to an object of a known type:
    ``with requests.Session() as session:`` or ``conn = sqlite3.connect(DB)`` under ``if
    __name__ == "__main__":``, where scripts make them."""
    kinds: dict[str, str | None] = {}
    for binding in bindings(tree.body):
        node, kind = binding.node, None
        if binding.name in kinds:
            kinds[binding.name] = None  # bound twice: could be anything
            continue
        if isinstance(node, ast.withitem) and isinstance(node.optional_vars, ast.Name):
            value = node.context_expr
        elif isinstance(node, ast.Assign) and len(node.targets) == 1:
            value = node.value
        else:
            value = None
        if isinstance(value, ast.Call):
            kind = resolver.qualify(value)
        kinds[binding.name] = kind if kind in known else None
    return {name: kind for name, kind in kinds.items() if kind is not None}
