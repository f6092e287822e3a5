"""Everything a detector may ask of one module, computed once: its source and syntax tree, how
its names resolve, and what its code does (effects, followed through same-module functions)."""

from __future__ import annotations

from dataclasses import dataclass

from advisor.analysis.effects import EffectAnalyzer
from advisor.analysis.knowledge import CallKnowledge
from advisor.syntax.resolve import NameResolver, build_resolver
from advisor.syntax.source import Source


@dataclass(frozen=True, slots=True)
class ModuleFacts:
    source: Source
    knowledge: CallKnowledge
    resolver: NameResolver
    effects: EffectAnalyzer

    @property
    def path(self) -> str:
        return self.source.path


def module_facts(source: Source, knowledge: CallKnowledge) -> ModuleFacts:
    resolver = build_resolver(source.tree)
    return ModuleFacts(
        source=source,
        knowledge=knowledge,
        resolver=resolver,
        effects=EffectAnalyzer(source.tree, resolver, knowledge),
    )
