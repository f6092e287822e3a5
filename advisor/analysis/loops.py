"""Finding loop sites in a module: every `for`, `while` and comprehension statement.

The facts come from Python's ``ast`` (fast: every file of a tree can afford it). Only the sites a
caller cares about (candidates of a rule, hot loops of a profile) then have their own lines
parsed with libcst to learn whether the codemod can rewrite their shape:
:func:`~advisor.syntax.loop_shape.locate_loop` answers, for the codemod too, so the analysis and
the rewrite agree.
"""

from __future__ import annotations

import ast
import dataclasses
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from advisor.analysis.effects import Enclosing, FunctionNode
from advisor.analysis.facts import ModuleFacts
from advisor.analysis.independence import Doubt
from advisor.analysis.safety import comprehension_doubts, for_loop_doubts
from advisor.model import LoopSite
from advisor.syntax.bindings import EXPRESSION_SCOPES, bound_names
from advisor.syntax.item_flow import read_after_reasons
from advisor.syntax.name_uses import ScopeNames, record_name
from advisor.syntax.scopes import int_value
from advisor.syntax.serial_tail import serial_tail
from advisor.syntax.sites import site_of
from advisor.syntax.started_work import coordinating_call

if TYPE_CHECKING:
    from advisor.syntax.loop_shape import LoopAt

WHILE_LOOP = "a `while` loop"  # the unsupported reason every while loop gets
_COMPREHENSIONS = (ast.ListComp, ast.DictComp, ast.SetComp, ast.GeneratorExp)


@dataclass
class _RawLoop:
    node: ast.stmt
    comprehension: ast.expr | None
    function: str | None
    within: Enclosing  # the functions around it, outermost first
    scope: ScopeNames
    outer_loop: ast.stmt | None  # the outermost loop around it in the same scope


class _LoopCollector(ast.NodeVisitor):
    def __init__(self) -> None:
        self.loops: list[_RawLoop] = []
        self._functions: list[FunctionNode] = []
        self._scopes: list[ScopeNames] = [ScopeNames()]
        self._open_loops: list[list[ast.stmt]] = [[]]  # per scope, outermost first

    def _record(self, node: ast.stmt, comprehension: ast.expr | None = None) -> None:
        function = self._functions[-1].name if self._functions else None
        outer = self._open_loops[-1][0] if self._open_loops[-1] else None
        within = tuple(self._functions)
        self.loops.append(_RawLoop(node, comprehension, function, within, self._scopes[-1], outer))

    def visit_FunctionDef(self, node: ast.FunctionDef | ast.AsyncFunctionDef) -> None:
        self._functions.append(node)
        self._scopes.append(ScopeNames())
        self._open_loops.append([])
        self.generic_visit(node)
        self._functions.pop()
        self._scopes.pop()
        self._open_loops.pop()

    visit_AsyncFunctionDef = visit_FunctionDef

    def visit_For(self, node: ast.For | ast.While) -> None:
        self._record(node)
        self._open_loops[-1].append(node)
        self.generic_visit(node)
        self._open_loops[-1].pop()

    visit_While = visit_For

    def generic_visit(self, node: ast.AST) -> None:
        # a simple statement holding a comprehension (`x = [f(u) for u in us]`)
        if isinstance(node, ast.stmt) and not hasattr(node, "body"):
            comprehension = _first_comprehension(node)
            if comprehension is not None:
                self._record(node, comprehension)
        record_name(self._scopes[-1], node)
        if isinstance(node, EXPRESSION_SCOPES):
            return  # what a lambda or comprehension reads is recorded; the rest is its own
        super().generic_visit(node)


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


def _static_length(iterable: ast.expr, facts: ModuleFacts) -> int | None:
    """How many items the source says a loop takes: a literal, or ``range`` of whole numbers
    and module constants (``range(1, PAGES + 1)`` after ``PAGES = 8``)."""
    literal = _literal_length(iterable)
    if literal is not None:
        return literal
    if not (
        isinstance(iterable, ast.Call)
        and facts.resolver.qualify(iterable.func) == "builtins.range"
        and 1 <= len(iterable.args) <= 3
        and not iterable.keywords
    ):
        return None
    bounds = [_whole_number(a, facts.constants) for a in iterable.args]
    if any(b is None for b in bounds):
        return None
    try:
        return len(range(*bounds))  # type: ignore[arg-type]  # None excluded above
    except (ValueError, OverflowError):
        return None


def _whole_number(node: ast.expr, constants: dict[str, int]) -> int | None:
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add | ast.Sub | ast.Mult):
        left, right = _whole_number(node.left, constants), _whole_number(node.right, constants)
        if left is None or right is None:
            return None
        if isinstance(node.op, ast.Add):
            return left + right
        return left - right if isinstance(node.op, ast.Sub) else left * right
    return int_value(node, constants)


def _site(facts: ModuleFacts, raw: _RawLoop) -> LoopSite:
    analyzer = facts.effects
    node = raw.node
    start, end = node.lineno, node.end_lineno or node.lineno
    literal: int | None = None
    static: int | None = None
    unsupported: str | None = None
    doubts: list[Doubt] = []
    if isinstance(node, ast.For):
        doubts = for_loop_doubts(node, facts)
        tail = serial_tail(node, head=True)
        kept = frozenset() if tail is None else tail.written | frozenset(tail.returned)
        if tail is not None and tail.head:  # the serial loop binds the item itself
            kept |= bound_names(node.target)
        doubts += [Doubt(r) for r in read_after_reasons(node, raw.scope, raw.outer_loop, kept)]
        target = ast.unparse(node.target)
        effects = analyzer.effects_of(node.body, raw.within)
        literal = _literal_length(node.iter)
        static = _static_length(node.iter, facts)
        coordinates = coordinating_call(bound_names(node.target), node.body)
        shape = "for"
    elif isinstance(node, ast.While):
        target, unsupported = "", WHILE_LOOP
        coordinates = None
        effects = analyzer.effects_of(node.body, raw.within)
        shape = "while"
    else:
        comprehension = raw.comprehension
        assert comprehension is not None
        doubts = comprehension_doubts(comprehension, facts)
        target = ast.unparse(comprehension.generators[0].target)  # type: ignore[attr-defined]
        elements = [
            getattr(comprehension, a) for a in ("elt", "key", "value") if hasattr(comprehension, a)
        ]
        effects = analyzer.effects_of(elements, raw.within)
        first = comprehension.generators[0].iter  # type: ignore[attr-defined]
        literal = _literal_length(first)
        static = _static_length(first, facts)
        targets = {t for g in comprehension.generators for t in bound_names(g.target)}  # type: ignore[attr-defined]
        coordinates = coordinating_call(targets, elements)
        shape = "comprehension"
    # the proof cannot see into other modules: what their functions were seen doing is said here
    doubts += [Doubt(reason) for reason in sorted(effects.elsewhere)]
    return LoopSite(
        path=facts.path,
        line=start,
        end_line=end,
        form="other",
        target=target,
        io_calls=tuple(sorted(effects.blocking)),
        native_calls=tuple(sorted(effects.native)),
        cpu_calls=tuple(sorted(effects.cpu)),
        unsafe_reasons=tuple(dict.fromkeys(d.reason for d in doubts if not d.checkable)),
        checkable_reasons=tuple(dict.fromkeys(d.reason for d in doubts if d.checkable)),
        unsupported_reason=unsupported,
        enclosing_function=raw.function,
        literal_items=literal,
        static_items=static,
        site=site_of(facts.source, node, shape),
        coordinates=coordinates,
        interactive_calls=tuple(
            sorted(c for c in effects.blocking if facts.knowledge.interactive.matches(c))
        ),
    )


def find_loop_sites(
    facts: ModuleFacts, wants_shape: Callable[[LoopSite], bool] | None = None
) -> list[LoopSite]:
    """Every loop of the module, in source order, with static facts for advice and rewriting.

    ``wants_shape`` picks the sites whose rewritable shape is worth a libcst parse (all if None).
    """
    collector = _LoopCollector()
    collector.visit(facts.source.tree)
    sites = [_site(facts, raw) for raw in collector.loops]
    wanted = [
        s for s in sites if s.unsupported_reason is None and (wants_shape is None or wants_shape(s))
    ]
    if not wanted:
        return sites
    # libcst is loaded only here, for the sites that want a shape: `check` of a tree without
    # candidates, and the CLI's start, never pay for it.
    from advisor.syntax.loop_shape import locate_loop

    # concadvise: ignore[CA102]: the few candidate loops of one file; files run in parallel
    shapes = {site.line: locate_loop(facts.source, site.line) for site in wanted}
    return [_with_shape(site, shapes.get(site.line)) if site in wanted else site for site in sites]


def _with_shape(site: LoopSite, found: LoopAt | str | None) -> LoopSite:
    if found is None or isinstance(found, str):
        return dataclasses.replace(site, unsupported_reason=found or "no loop statement found here")
    form = found.shape.form
    located = None if site.site is None else dataclasses.replace(site.site, shape=form)
    return dataclasses.replace(site, form=form, site=located)


__all__ = ["WHILE_LOOP", "find_loop_sites"]
