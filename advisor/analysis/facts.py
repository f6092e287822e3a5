"""Everything a detector may ask of one module, computed once: its source and syntax tree, how
its names resolve, and what its code does (effects, followed through same-module functions)."""

from __future__ import annotations

import ast
from dataclasses import dataclass, field

from advisor.analysis.concurrency_knowledge import load_concurrency_knowledge
from advisor.analysis.effects import EffectAnalyzer
from advisor.analysis.independence import IndependenceProof
from advisor.analysis.knowledge import CallKnowledge
from advisor.analysis.project import ProjectModules
from advisor.syntax.resolve import NameResolver, build_resolver
from advisor.syntax.scopes import FunctionScopes, Scope, module_constants
from advisor.syntax.source import Source


@dataclass(frozen=True, slots=True)
class ModuleFacts:
    source: Source
    knowledge: CallKnowledge
    resolver: NameResolver
    effects: EffectAnalyzer
    _lazy: _Lazy = field(default_factory=lambda: _Lazy())

    @property
    def path(self) -> str:
        return self.source.path

    @property
    def constants(self) -> dict[str, int]:
        """Module-level names bound once to a whole number (``PAGES = 8``)."""
        if self._lazy.constants is None:
            self._lazy.constants = module_constants(self.source.tree)
        return self._lazy.constants

    def proof(self, *, cooperative: bool = False) -> IndependenceProof:
        """The independence proof of this module's loops, for items run as threads or (with
        ``cooperative``) as coroutines gathered on one thread; built on first use, since most
        files have no candidate loop."""
        proof = self._lazy.proofs.get(cooperative)
        if proof is None:
            proof = self._lazy.proofs[cooperative] = IndependenceProof(
                self.source.tree,
                self.effects.scopes,
                load_concurrency_knowledge(),
                cooperative=cooperative,
            )
        return proof

    def surroundings(self, node: ast.AST) -> tuple[list[FunctionNode], ast.ClassDef | None]:
        """The functions around ``node`` (innermost first) and the class whose method holds it."""
        parents = self._lazy.parents
        if parents is None:
            parents = self._lazy.parents = {
                id(child): parent
                for parent in ast.walk(self.source.tree)
                for child in ast.iter_child_nodes(parent)
            }
        functions: list[FunctionNode] = []
        cls: ast.ClassDef | None = None
        current = parents.get(id(node))
        while current is not None:
            if isinstance(current, FunctionNode):
                functions.append(current)
            elif isinstance(current, ast.ClassDef):
                if len(functions) == 1 and cls is None:
                    cls = current
                break
            current = parents.get(id(current))
        return functions, cls


FunctionNode = ast.FunctionDef | ast.AsyncFunctionDef


class _Lazy:
    """What a ModuleFacts computes on first use and keeps."""

    __slots__ = ("constants", "parents", "proofs")

    def __init__(self) -> None:
        self.proofs: dict[bool, IndependenceProof] = {}
        self.parents: dict[int, ast.AST] | None = None
        self.constants: dict[str, int] | None = None


def module_facts(
    source: Source, knowledge: CallKnowledge, project: ProjectModules | None = None
) -> ModuleFacts:
    """``project``: where calls into the project's other modules are followed (none: not)."""
    tree = source.tree
    package = None if project is None else project.package_of(source.path)
    resolver = build_resolver(tree, knowledge.instance_types, package)
    functions = {s.name: s for s in tree.body if isinstance(s, FunctionNode)}
    scopes = FunctionScopes(tree, Scope(resolver, functions, module_constants(tree)))
    return ModuleFacts(
        source=source,
        knowledge=knowledge,
        resolver=resolver,
        effects=EffectAnalyzer(tree, resolver, knowledge, scopes, project),
    )
