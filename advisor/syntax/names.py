"""Fresh names for what a rewrite adds, and which of the names a loop rewrite relies on the
module binds to something else of its own."""

from __future__ import annotations

import ast
from collections.abc import Callable, Iterable

from advisor.syntax.bindings import binding_name, import_bindings
from advisor.syntax.source import Source

__all__ = ["ModuleNames", "fresh_name", "variable_names"]


def fresh_name(base: str, taken: Callable[[str], bool] | Iterable[str]) -> str:
    """``base``, or ``base_1``, ``base_2``, … : the first that is not taken (a set of names, or
    a question such as ``ModuleNames.uses`` that looks at the module only when asked)."""
    is_taken = taken if callable(taken) else set(taken).__contains__
    if not is_taken(base):
        return base
    index = 1
    while is_taken(f"{base}_{index}"):
        index += 1
    return f"{base}_{index}"


class ModuleNames:
    """Which identifiers the module spells, and which of the names the rewrite relies on (the
    pool's name, the builtins it calls, ``functools``) the module binds to something else.

    A name that appears nowhere in the text (one regex pass, ~0.1 s for 60,000 lines) is neither;
    only when one does is the syntax tree walked (~0.5 s for such a file) to tell a variable from
    a word in a comment or string."""

    def __init__(self, module: Source, import_module: str, import_name: str) -> None:
        self._tree = module.tree
        self._pool = (import_module, import_name)
        self._words = module.words
        self._exact: tuple[frozenset[str], frozenset[str]] | None = None

    def uses(self, name: str) -> bool:
        return name in self._words and name in self._walked()[0]

    def rebinds(self, name: str) -> bool:
        return name in self._words and name in self._walked()[1]

    def _walked(self) -> tuple[frozenset[str], frozenset[str]]:
        if self._exact is None:
            self._exact = _walk_names(self._tree, *self._pool)
        return self._exact


# The names whose rebinding the rewrites check (see ModuleNames.rebinds).
_WATCHED_BUILTINS = frozenset({"list", "dict", "functools"})


def _walk_names(
    tree: ast.Module, import_module: str, import_name: str
) -> tuple[frozenset[str], frozenset[str]]:
    """(every identifier the module spells, the watched names it binds to something else):
    importing ``import_name`` from ``import_module`` is not binding it to something else, nor
    is ``import functools`` (what the rewrite itself adds). What binds is the binding model's
    answer (``binding_name``, ``import_bindings``)."""
    watched = _WATCHED_BUILTINS | {import_name}
    used: set[str] = set()
    rebound: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import | ast.ImportFrom):
            spelled = (alias.name for alias in node.names if alias.name != "*")
            used.update(part for name in spelled for part in name.split("."))
            for name, qualified in import_bindings(node):
                used.add(name)
                means = _what_the_rewrite_means(qualified, import_module, import_name)
                if name in watched and not means:
                    rebound.add(name)
            continue
        if isinstance(node, ast.Attribute):
            used.add(node.attr)
        elif isinstance(node, ast.keyword) and node.arg:
            used.add(node.arg)
        elif isinstance(node, ast.Global | ast.Nonlocal):
            used.update(node.names)
        elif isinstance(node, ast.Name):
            used.add(node.id)
        bound = binding_name(node)
        if bound is not None:
            used.add(bound)
            if bound in watched:
                rebound.add(bound)
    return frozenset(used), frozenset(rebound)


def _what_the_rewrite_means(qualified: str | None, import_module: str, import_name: str) -> bool:
    """Does an import bind its name to what the rewrite means by it: ``functools`` itself, or
    the pool class from its module (or a submodule of it)?"""
    if qualified is None:
        return False
    if qualified == "functools":
        return True
    module, _, name = qualified.rpartition(".")
    ours = module == import_module or module.startswith(import_module + ".")
    return ours and name == import_name


def variable_names(tree: ast.Module) -> frozenset[str]:
    """Every name that is or could be a variable somewhere in the module: names read or bound,
    parameters, definitions, imported names, global and nonlocal declarations, ``as`` and match
    captures; not an attribute's, a keyword argument's or an imported module's dotted tail."""
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Name):
            found.add(node.id)
        elif isinstance(node, ast.MatchClass):
            found.update(node.kwd_attrs)
        elif isinstance(node, ast.Global | ast.Nonlocal):
            found.update(node.names)
        elif isinstance(node, ast.Import):
            for alias in node.names:
                found.add(alias.name.split(".")[0])
                if alias.asname is not None:
                    found.add(alias.asname)
        elif isinstance(node, ast.ImportFrom):
            for alias in node.names:
                if alias.name != "*":
                    found.add(alias.name)
                if alias.asname is not None:
                    found.add(alias.asname)
        bound = binding_name(node)
        if bound is not None:
            found.add(bound)
    return frozenset(found)
