"""What a piece of code does when it runs: blocking calls, ordered output, writes to shared state.

Facts of same-module functions are followed transitively, so ``for u in urls: fetch(u)`` is known
to block when ``fetch`` calls ``urlopen`` three calls down.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import libcst as cst

from advisor.analysis.knowledge import CallKnowledge
from advisor.analysis.names import NameResolver, bound_names, dotted_name

# Methods that mutate their receiver in place: calling one on shared state is a write.
MUTATING_METHODS = frozenset(
    {
        "append",
        "extend",
        "insert",
        "add",
        "update",
        "pop",
        "popitem",
        "remove",
        "discard",
        "clear",
        "setdefault",
        "sort",
        "reverse",
        "write",
        "writelines",
    }
)


@dataclass(frozen=True, slots=True)
class Effects:
    blocking: frozenset[str] = frozenset()
    output: frozenset[str] = frozenset()
    shared_writes: frozenset[str] = frozenset()

    def __or__(self, other: Effects) -> Effects:
        return Effects(
            self.blocking | other.blocking,
            self.output | other.output,
            self.shared_writes | other.shared_writes,
        )


def _bound_names(function: cst.FunctionDef) -> set[str]:
    """Parameters and names assigned in a function: its locals (nested scopes ignored)."""
    names = {p.name.value for p in function.params.params}
    names |= {p.name.value for p in function.params.kwonly_params}
    names |= {p.name.value for p in function.params.posonly_params}
    for star in (function.params.star_arg, function.params.star_kwarg):
        if isinstance(star, cst.Param):
            names.add(star.name.value)

    class Binder(cst.CSTVisitor):
        def visit_AssignTarget(self, node: cst.AssignTarget) -> None:
            names.update(bound_names(node.target))

        def visit_AnnAssign(self, node: cst.AnnAssign) -> None:
            names.update(bound_names(node.target))

        def visit_For(self, node: cst.For) -> None:
            names.update(bound_names(node.target))

        def visit_WithItem(self, node: cst.WithItem) -> None:
            if node.asname is not None:
                names.update(bound_names(node.asname.name))

        def visit_FunctionDef(self, node: cst.FunctionDef) -> bool:
            names.add(node.name.value)
            return False

    function.body.visit(Binder())
    return names


@dataclass
class EffectAnalyzer:
    """Computes Effects of code in one module, memoising same-module functions."""

    module: cst.Module
    resolver: NameResolver
    knowledge: CallKnowledge
    _functions: dict[str, cst.FunctionDef] = field(default_factory=dict)
    _memo: dict[str, Effects] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for statement in self.module.body:
            if isinstance(statement, cst.FunctionDef):
                self._functions[statement.name.value] = statement

    def function_effects(self, name: str) -> Effects:
        if name in self._memo:
            return self._memo[name]
        self._memo[name] = Effects()  # guards recursion
        function = self._functions[name]
        local = _bound_names(function)
        effects = self.effects_of(function.body, local_names=local, in_function=name)
        self._memo[name] = effects
        return effects

    def effects_of(
        self, node: cst.CSTNode, local_names: set[str] | None = None, in_function: str | None = None
    ) -> Effects:
        collector = _EffectCollector(self, local_names, in_function)
        node.visit(collector)
        return collector.effects


class _EffectCollector(cst.CSTVisitor):
    def __init__(
        self, analyzer: EffectAnalyzer, local_names: set[str] | None, in_function: str | None
    ) -> None:
        self.analyzer = analyzer
        self.local_names = local_names  # None: the loop body itself (its writes are judged apart)
        self.in_function = in_function
        self.effects = Effects()

    def _where(self) -> str:
        return f" in `{self.in_function}()`" if self.in_function else ""

    def _add(self, **kinds: frozenset[str]) -> None:
        self.effects = self.effects | Effects(**kinds)

    def visit_Call(self, node: cst.Call) -> None:
        knowledge = self.analyzer.knowledge
        qualified = self.analyzer.resolver.qualify(node.func)
        if qualified is not None:
            if knowledge.blocking_io.matches(qualified):
                self._add(blocking=frozenset({qualified}))
            if knowledge.ordered_output.matches(qualified):
                self._add(output=frozenset({qualified}))
        if (
            qualified is None
            and isinstance(node.func, cst.Name)
            and node.func.value in self.analyzer._functions
        ):
            self.effects = self.effects | self.analyzer.function_effects(node.func.value)
        if (
            self.local_names is not None
            and isinstance(node.func, cst.Attribute)
            and node.func.attr.value in MUTATING_METHODS
        ):
            receiver = dotted_name(node.func.value)
            root = receiver.split(".")[0] if receiver else None
            if root is not None and (root not in self.local_names or "." in receiver):
                self._add(shared_writes=frozenset({f"mutates `{receiver}`{self._where()}"}))
            elif root is not None and self._is_parameter(root):
                self._add(shared_writes=frozenset({f"mutates argument `{root}`{self._where()}"}))

    def _is_parameter(self, name: str) -> bool:
        function = self.analyzer._functions.get(self.in_function or "")
        return function is not None and any(p.name.value == name for p in function.params.params)

    def visit_Global(self, node: cst.Global) -> None:
        names = ", ".join(n.name.value for n in node.names)
        self._add(shared_writes=frozenset({f"writes global `{names}`{self._where()}"}))

    def visit_Nonlocal(self, node: cst.Nonlocal) -> None:
        names = ", ".join(n.name.value for n in node.names)
        self._add(shared_writes=frozenset({f"writes nonlocal `{names}`{self._where()}"}))

    def _judge_target(self, target: cst.BaseExpression) -> None:
        if self.local_names is None:
            return
        if isinstance(target, cst.Attribute):
            self._add(
                shared_writes=frozenset(
                    {f"writes `{dotted_name(target) or 'an attribute'}`{self._where()}"}
                )
            )
        elif isinstance(target, cst.Subscript):
            base = dotted_name(target.value)
            if base is None or base.split(".")[0] not in self.local_names or "." in base:
                self._add(
                    shared_writes=frozenset(
                        {f"writes into `{base or 'a container'}[...]`{self._where()}"}
                    )
                )
            elif self._is_parameter(base):
                self._add(
                    shared_writes=frozenset({f"writes into argument `{base}`{self._where()}"})
                )

    def visit_AssignTarget(self, node: cst.AssignTarget) -> None:
        self._judge_target(node.target)

    def visit_AugAssign(self, node: cst.AugAssign) -> None:
        self._judge_target(node.target)

    def visit_FunctionDef(self, node: cst.FunctionDef) -> bool:
        return False  # a nested definition does nothing until called
