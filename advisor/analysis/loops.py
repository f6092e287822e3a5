"""Finding loop sites in a module: every `for`, `while` and comprehension statement.

Each site carries its line span, its rewritable shape (if any), the blocking calls it reaches and
why a rewrite may be unsafe."""

from __future__ import annotations

from dataclasses import dataclass, field

import libcst as cst
from libcst.metadata import MetadataWrapper, PositionProvider

from advisor.analysis.effects import EffectAnalyzer
from advisor.analysis.knowledge import CallKnowledge
from advisor.analysis.names import bound_name_nodes, build_resolver
from advisor.analysis.safety import comprehension_reasons, for_loop_reasons
from advisor.analysis.source import SourceFile
from advisor.codemods.thread_pool import LoopShape, recognise_loop_shape
from advisor.model import LoopSite

WHILE_LOOP = "a `while` loop"  # the unsupported reason every while loop gets
_COMPREHENSIONS = (cst.ListComp, cst.DictComp, cst.SetComp, cst.GeneratorExp)


@dataclass
class _Scope:
    # (line, column, name, is_store) of every name in the scope, in source order
    names: list[tuple[int, int, str, bool]] = field(default_factory=list)

    def read_after(self, name: str, line: int) -> bool:
        """Is ``name`` read after ``line`` before anything binds it again?"""
        for used_line, _column, used, is_store in self.names:
            if used == name and used_line > line:
                return not is_store
        return False


class _LoopCollector(cst.CSTVisitor):
    METADATA_DEPENDENCIES = (PositionProvider,)

    def __init__(self) -> None:
        self.loops: list[tuple[cst.CSTNode, int, int, str | None, _Scope]] = []
        self._functions: list[str] = []
        self._scopes: list[_Scope] = [_Scope()]
        self._stores: set[int] = set()

    def _span(self, node: cst.CSTNode) -> tuple[int, int]:
        position = self.get_metadata(PositionProvider, node)
        return position.start.line, position.end.line

    def _record(self, node: cst.CSTNode) -> None:
        start, end = self._span(node)
        function = self._functions[-1] if self._functions else None
        self.loops.append((node, start, end, function, self._scopes[-1]))

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        self._functions.append(node.name.value)
        self._scopes.append(_Scope())

    def leave_FunctionDef(self, original_node: cst.FunctionDef) -> None:
        self._functions.pop()
        self._scopes.pop()

    def visit_For(self, node: cst.For) -> None:
        self._stores.update(id(n) for n in bound_name_nodes(node.target))
        self._record(node)

    def visit_While(self, node: cst.While) -> None:
        self._record(node)

    def visit_AssignTarget(self, node: cst.AssignTarget) -> None:
        self._stores.update(id(n) for n in bound_name_nodes(node.target))

    def visit_SimpleStatementLine(self, node: cst.SimpleStatementLine) -> None:
        finder = _ComprehensionFinder()
        node.visit(finder)
        if finder.found:
            self._record(node)

    def visit_Name(self, node: cst.Name) -> None:
        start = self.get_metadata(PositionProvider, node).start
        self._scopes[-1].names.append(
            (start.line, start.column, node.value, id(node) in self._stores)
        )


class _ComprehensionFinder(cst.CSTVisitor):
    def __init__(self) -> None:
        self.found: list[cst.CSTNode] = []

    def on_visit(self, node: cst.CSTNode) -> bool:
        if isinstance(node, _COMPREHENSIONS):
            self.found.append(node)
            return False
        return not isinstance(node, cst.Lambda)


def _literal_length(node: cst.CSTNode) -> int | None:
    """How many items a loop over a literal ``(a, b)`` / ``[a, b]`` / ``{a, b}`` has."""
    if isinstance(node, cst.For):
        iterable = node.iter
    else:
        finder = _ComprehensionFinder()
        node.visit(finder)
        if not finder.found:
            return None
        iterable = finder.found[0].for_in.iter
    if isinstance(iterable, (cst.Tuple, cst.List, cst.Set)) and not any(
        isinstance(e, cst.StarredElement) for e in iterable.elements
    ):
        return len(iterable.elements)
    return None


def find_loop_sites(source: SourceFile, knowledge: CallKnowledge) -> list[LoopSite]:
    """Every loop of the module, outermost first, with static facts for advice and rewriting."""
    wrapper = MetadataWrapper(source.module, unsafe_skip_copy=True)
    collector = _LoopCollector()
    wrapper.visit(collector)
    analyzer = EffectAnalyzer(source.module, build_resolver(source.module), knowledge)
    sites: list[LoopSite] = []
    for node, start, end, function, scope in collector.loops:
        sites.append(_site(source.path, node, start, end, function, scope, analyzer))
    return sites


def _site(
    path: str,
    node: cst.CSTNode,
    start: int,
    end: int,
    function: str | None,
    scope: _Scope,
    analyzer: EffectAnalyzer,
) -> LoopSite:
    shape = recognise_loop_shape(node) if not isinstance(node, cst.While) else WHILE_LOOP
    form = shape.form if isinstance(shape, LoopShape) else "other"
    unsupported = None if isinstance(shape, LoopShape) else shape
    if isinstance(node, cst.For):
        dict_target = getattr(shape, "accumulator", None) if form == "for_dict_item" else None
        reasons = for_loop_reasons(node, analyzer, dict_target)
        target = cst.Module([]).code_for_node(node.target)
        for name in sorted({n.value for n in bound_name_nodes(node.target)}):
            if scope.read_after(name, end):
                reasons.append(f"the loop variable `{name}` is read after the loop")
        body_blocking = analyzer.effects_of(node.body).blocking
    elif isinstance(node, cst.While):
        reasons, target = [], ""
        body_blocking = analyzer.effects_of(node.body).blocking
    else:
        finder = _ComprehensionFinder()
        node.visit(finder)
        comprehension = finder.found[0]
        reasons = comprehension_reasons(comprehension, analyzer)
        target = cst.Module([]).code_for_node(comprehension.for_in.target)
        elements = [
            getattr(comprehension, a) for a in ("elt", "key", "value") if hasattr(comprehension, a)
        ]
        body_blocking = frozenset().union(*(analyzer.effects_of(e).blocking for e in elements))
    return LoopSite(
        literal_items=_literal_length(node),
        path=path,
        line=start,
        end_line=end,
        form=form,
        target=target,
        io_calls=tuple(sorted(body_blocking)),
        unsafe_reasons=tuple(dict.fromkeys(reasons)),
        unsupported_reason=unsupported,
        enclosing_function=function,
    )
