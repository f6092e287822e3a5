"""Finding loop sites in a module: every `for`, `while` and comprehension statement.

The facts come from Python's ``ast`` (fast: every file of a tree can afford it). Only the sites a
caller cares about (candidates of a rule, hot loops of a profile) are then parsed with libcst to
learn whether the codemod can rewrite their shape, since that is the expensive step.
"""

from __future__ import annotations

import ast
import dataclasses
import textwrap
from collections.abc import Callable
from dataclasses import dataclass, field

import libcst as cst
from libcst.metadata import MetadataWrapper, PositionProvider

from advisor.analysis.effects import EffectAnalyzer
from advisor.analysis.facts import ModuleFacts
from advisor.analysis.names import bound_names
from advisor.analysis.safety import comprehension_reasons, for_loop_reasons
from advisor.codemods.thread_pool import LoopShape, recognise_loop_shape
from advisor.model import LoopSite

WHILE_LOOP = "a `while` loop"  # the unsupported reason every while loop gets
_COMPREHENSIONS = (ast.ListComp, ast.DictComp, ast.SetComp, ast.GeneratorExp)


@dataclass
class _Scope:
    # (line, column, name, is_store) of every name in the scope, in source order
    names: list[tuple[int, int, str, bool]] = field(default_factory=list)

    def read_after(self, name: str, line: int) -> bool:
        """Is ``name`` read after ``line`` before anything binds it again?"""
        for used_line, _column, used, is_store in sorted(self.names):
            if used == name and used_line > line:
                return not is_store
        return False


@dataclass
class _RawLoop:
    node: ast.stmt
    comprehension: ast.expr | None
    function: str | None
    scope: _Scope


class _LoopCollector(ast.NodeVisitor):
    def __init__(self) -> None:
        self.loops: list[_RawLoop] = []
        self._functions: list[str] = []
        self._scopes: list[_Scope] = [_Scope()]

    def _record(self, node: ast.stmt, comprehension: ast.expr | None = None) -> None:
        function = self._functions[-1] if self._functions else None
        self.loops.append(_RawLoop(node, comprehension, function, self._scopes[-1]))

    def visit_FunctionDef(self, node: ast.FunctionDef | ast.AsyncFunctionDef) -> None:
        self._functions.append(node.name)
        self._scopes.append(_Scope())
        self.generic_visit(node)
        self._functions.pop()
        self._scopes.pop()

    visit_AsyncFunctionDef = visit_FunctionDef

    def visit_For(self, node: ast.For) -> None:
        self._record(node)
        self.generic_visit(node)

    def visit_While(self, node: ast.While) -> None:
        self._record(node)
        self.generic_visit(node)

    def generic_visit(self, node: ast.AST) -> None:
        # a simple statement holding a comprehension (`x = [f(u) for u in us]`)
        if isinstance(node, ast.stmt) and not hasattr(node, "body"):
            comprehension = _first_comprehension(node)
            if comprehension is not None:
                self._record(node, comprehension)
        super().generic_visit(node)

    def visit_Name(self, node: ast.Name) -> None:
        store = isinstance(node.ctx, (ast.Store, ast.Del))
        self._scopes[-1].names.append((node.lineno, node.col_offset, node.id, store))


def _first_comprehension(statement: ast.stmt) -> ast.expr | None:
    stack: list[ast.AST] = [statement]
    while stack:
        node = stack.pop()
        if isinstance(node, _COMPREHENSIONS):
            return node
        if not isinstance(node, ast.Lambda):
            stack.extend(reversed(list(ast.iter_child_nodes(node))))
    return None


def _literal_length(iterable: ast.expr) -> int | None:
    """How many items a loop over a literal ``(a, b)`` / ``[a, b]`` / ``{a, b}`` has."""
    if isinstance(iterable, (ast.Tuple, ast.List, ast.Set)) and not any(
        isinstance(e, ast.Starred) for e in iterable.elts
    ):
        return len(iterable.elts)
    return None


def _site(path: str, raw: _RawLoop, analyzer: EffectAnalyzer) -> LoopSite:
    node = raw.node
    start, end = node.lineno, node.end_lineno or node.lineno
    literal: int | None = None
    unsupported: str | None = None
    if isinstance(node, ast.For):
        reasons = for_loop_reasons(node, analyzer)
        target = ast.unparse(node.target)
        for name in sorted(bound_names(node.target)):
            if raw.scope.read_after(name, end):
                reasons.append(f"the loop variable `{name}` is read after the loop")
        effects = analyzer.effects_of(node.body)
        literal = _literal_length(node.iter)
    elif isinstance(node, ast.While):
        reasons, target, unsupported = [], "", WHILE_LOOP
        effects = analyzer.effects_of(node.body)
    else:
        comprehension = raw.comprehension
        assert comprehension is not None
        reasons = comprehension_reasons(comprehension, analyzer)
        target = ast.unparse(comprehension.generators[0].target)  # type: ignore[attr-defined]
        elements = [
            getattr(comprehension, a) for a in ("elt", "key", "value") if hasattr(comprehension, a)
        ]
        effects = analyzer.effects_of(elements)
        literal = _literal_length(comprehension.generators[0].iter)  # type: ignore[attr-defined]
    return LoopSite(
        path=path,
        line=start,
        end_line=end,
        form="other",
        target=target,
        io_calls=tuple(sorted(effects.blocking)),
        native_calls=tuple(sorted(effects.native)),
        cpu_calls=tuple(sorted(effects.cpu)),
        unsafe_reasons=tuple(dict.fromkeys(reasons)),
        unsupported_reason=unsupported,
        enclosing_function=raw.function,
        literal_items=literal,
    )


def find_loop_sites(
    facts: ModuleFacts, wants_shape: Callable[[LoopSite], bool] | None = None
) -> list[LoopSite]:
    """Every loop of the module, in source order, with static facts for advice and rewriting.

    ``wants_shape`` picks the sites whose rewritable shape is worth a libcst parse (all if None).
    """
    collector = _LoopCollector()
    collector.visit(facts.source.tree)
    sites = [_site(facts.path, raw, facts.effects) for raw in collector.loops]
    wanted = [
        s for s in sites if s.unsupported_reason is None and (wants_shape is None or wants_shape(s))
    ]
    if not wanted:
        return sites
    shapes = loop_shapes(facts.source.text, {s.line: s.end_line for s in wanted})
    return [_with_shape(site, shapes.get(site.line)) if site in wanted else site for site in sites]


def _with_shape(site: LoopSite, shape: LoopShape | str | None) -> LoopSite:
    if isinstance(shape, LoopShape):
        return dataclasses.replace(site, form=shape.form)
    return dataclasses.replace(site, unsupported_reason=shape or "no loop statement found here")


class _ShapeCollector(cst.CSTVisitor):
    METADATA_DEPENDENCIES = (PositionProvider,)

    def __init__(self, lines: set[int]) -> None:
        self.lines = lines
        self.shapes: dict[int, LoopShape | str] = {}

    def _consider(self, node: cst.CSTNode) -> None:
        line = self.get_metadata(PositionProvider, node).start.line
        if line in self.lines and line not in self.shapes:
            self.shapes[line] = recognise_loop_shape(node)

    def visit_For(self, node: cst.For) -> None:
        self._consider(node)

    def visit_SimpleStatementLine(self, node: cst.SimpleStatementLine) -> None:
        self._consider(node)


def _statement_shape(lines: list[str], start: int, end: int) -> LoopShape | str | None:
    """Parse only the statement's own lines: far cheaper than positions for a whole module.

    None when the snippet cannot stand alone (it shares its line with another statement, or a
    multi-line string breaks the dedent); the caller then parses the whole module.
    """
    snippet = textwrap.dedent("".join(lines[start - 1 : end]))
    try:
        module = cst.parse_module(snippet)
    except (cst.ParserSyntaxError, RecursionError):
        return None
    if len(module.body) != 1:
        return None
    return recognise_loop_shape(module.body[0])


def loop_shapes(text: str, spans: dict[int, int]) -> dict[int, LoopShape | str]:
    """The codemod's verdict (shape or reason) for the loops at ``spans`` (first → last line)."""
    lines = text.splitlines(keepends=True)
    shapes: dict[int, LoopShape | str] = {}
    for start, end in spans.items():
        shape = _statement_shape(lines, start, end)
        if shape is not None:
            shapes[start] = shape
    missing = set(spans) - shapes.keys()
    if not missing:
        return shapes
    try:
        module = cst.parse_module(text)
    except (cst.ParserSyntaxError, RecursionError):
        return shapes | {line: "libcst cannot parse this file" for line in missing}
    collector = _ShapeCollector(missing)
    MetadataWrapper(module, unsafe_skip_copy=True).visit(collector)
    return shapes | collector.shapes
