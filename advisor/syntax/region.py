"""The region a rewrite edits, parsed with libcst on its own: one statement, or the innermost
function around some lines; and statements printed back at an indentation.

Only the region's lines are parsed (with the metadata a rewrite asks for, resolved when first
asked): parsing a 60,000-line module whole with libcst and its metadata took 70-150 s, for one
loop. The rest of the module is answered from the ``ast`` of :class:`~advisor.syntax.source.Source`.
The region sits in a wrapper that keeps its indentation as it is (dedenting would break
multi-line strings), and one block indented by the module's unit first makes libcst take that
unit as its default indentation for the blocks a rewrite adds.
"""

from __future__ import annotations

import ast
from collections.abc import Collection, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import Any

import libcst as cst
from libcst.metadata import (
    CodeRange,
    ExpressionContext,
    ExpressionContextProvider,
    MetadataWrapper,
    ParentNodeProvider,
    PositionProvider,
    QualifiedName,
    QualifiedNameProvider,
    Scope,
    ScopeProvider,
)

from advisor.errors import RewriteError
from advisor.syntax.edits import LineEdit, Replacement, replace_nodes
from advisor.syntax.names import fresh_name
from advisor.syntax.source import Source
from advisor.syntax.statements import enclosing_region, first_line

__all__ = ["Region", "parse_region", "region_around", "render_statements"]

_SCOPES = (cst.FunctionDef, cst.Lambda, cst.ClassDef)


@dataclass(frozen=True)
class Region:
    """One statement of a module (with its decorators) parsed with libcst from its own lines,
    what is around it in the ``ast``, and its metadata on demand."""

    source: Source
    node: ast.stmt  # the statement parsed
    outer: tuple[ast.AST, ...]  # the nodes around it, the module first
    module: cst.Module  # the wrapper holding it
    wrapper: str  # the wrapper's own text, before the statement's lines
    first: int  # first and last line of the statement in the module
    last: int
    indent: str  # its indentation

    @property
    def statement(self) -> cst.BaseStatement:
        """The region's own libcst node (the wrapper's last statement, or inside it)."""
        top = self.module.body[-1]
        if self.indent:
            if not (isinstance(top, cst.If) and isinstance(top.body, cst.IndentedBlock)):
                raise RewriteError("the statement is not where it was parsed")
            return top.body.body[0]
        return top

    # --- printing ----------------------------------------------------------------------------

    def render(self, statements: Sequence[cst.BaseStatement], indent: str | None = None) -> str:
        """``statements`` printed at ``indent`` (the statement's own by default), ending the way
        the statement does (without a line ending at the end of a file that has none)."""
        return render_statements(
            statements,
            self.indent if indent is None else indent,
            unit=self.source.indent_unit,
            newline=self.source.newline,
            trailing_newline=self.module.has_trailing_newline,
        )

    def edited(self, changes: Mapping[cst.CSTNode, Replacement]) -> LineEdit:
        """The line edit that puts the statement back with ``changes`` made (node identity)."""
        new = replace_nodes(self.module, changes).code
        if not new.startswith(self.wrapper):
            raise RewriteError("the rewrite left the statement it was given")
        return LineEdit(self.first, self.last, new[len(self.wrapper) :])

    # --- metadata ----------------------------------------------------------------------------

    @cached_property
    def _metadata(self) -> MetadataWrapper:
        return MetadataWrapper(self.module, unsafe_skip_copy=True)

    @cached_property
    def positions(self) -> Mapping[cst.CSTNode, CodeRange]:
        return self._metadata.resolve(PositionProvider)

    @cached_property
    def parents(self) -> Mapping[cst.CSTNode, cst.CSTNode]:
        return self._metadata.resolve(ParentNodeProvider)

    @cached_property
    def contexts(self) -> Mapping[cst.CSTNode, ExpressionContext]:
        """Load / store / del of each name."""
        return self._metadata.resolve(ExpressionContextProvider)

    @cached_property
    def scopes(self) -> Mapping[cst.CSTNode, Scope | None]:
        """libcst's scope analysis of the region (and of its prelude, if it was given one)."""
        return self._metadata.resolve(ScopeProvider)

    @cached_property
    def qualified(self) -> Mapping[cst.CSTNode, Collection[QualifiedName]]:
        return self._metadata.resolve(QualifiedNameProvider)

    @property
    def _offset(self) -> int:
        """A line of the module = a line of the wrapper + this."""
        return self.first - 1 - self.wrapper.count(self.source.newline)

    def line(self, node: cst.CSTNode) -> int:
        """The module line ``node`` starts on."""
        return self.positions[node].start.line + self._offset

    def end_line(self, node: cst.CSTNode) -> int:
        return self.positions[node].end.line + self._offset

    def start(self, node: cst.CSTNode) -> tuple[int, int]:
        """(module line, column in characters) where ``node`` starts."""
        position = self.positions[node].start
        return position.line + self._offset, position.column

    def ancestors(self, node: cst.CSTNode) -> Iterator[cst.CSTNode]:
        while node in self.parents:
            node = self.parents[node]
            yield node

    def nodes(self, kind: type[cst.CSTNode] | tuple[type[cst.CSTNode], ...]) -> Iterator[Any]:
        """The region's nodes of a kind, in source order."""
        return (node for node in self.positions if isinstance(node, kind))

    def inside(self, node: cst.CSTNode, container: cst.CSTNode) -> bool:
        return node is container or any(a is container for a in self.ancestors(node))

    def block_statement(self, node: cst.CSTNode) -> cst.BaseStatement:
        """The statement holding ``node`` that sits directly in a block (or the module): where
        new statements can go in front of it."""
        current = node
        for parent in self.ancestors(node):
            if isinstance(current, cst.BaseStatement) and isinstance(
                parent, cst.IndentedBlock | cst.Module
            ):
                return current
            current = parent
        raise RewriteError("the code is not inside a block of statements")

    def scope_of(self, node: cst.CSTNode) -> cst.FunctionDef | cst.Lambda | cst.ClassDef | None:
        """The innermost def, lambda or class around ``node`` (None: the module, or the class
        around a module-level region's statement)."""
        for parent in self.ancestors(node):
            if isinstance(parent, _SCOPES):
                return parent
        return None

    def fresh(self, base: str, taken: Iterable[str] = ()) -> str:
        """``base``, or ``base_1``, ``base_2``, …: the first the module does not use anywhere."""
        avoid = self.source.words | set(taken)
        return fresh_name(base, avoid)

    def names(self, root: cst.CSTNode) -> list[cst.Name]:
        """The variables under ``root``, in source order: not attribute or keyword names."""
        return variables(root)

    def reads(self, root: cst.CSTNode) -> list[cst.Name]:
        """Variables read under ``root`` (an augmented assignment reads its target too)."""
        return [
            name
            for name in variables(root)
            if self.contexts.get(name) is ExpressionContext.LOAD
            or isinstance(self.parents.get(name), cst.AugAssign)
        ]

    def reads_in(self, roots: Iterable[cst.CSTNode]) -> list[cst.Name]:
        return [name for root in roots for name in self.reads(root)]

    def writes(self, root: cst.CSTNode) -> list[cst.Name]:
        return [n for n in variables(root) if self.contexts.get(n) is ExpressionContext.STORE]


def parse_region(
    source: Source,
    node: ast.stmt,
    outer: tuple[ast.AST, ...] = (),
    *,
    prelude: Sequence[str] = (),
    from_line: int | None = None,
) -> Region | str:
    """Parse ``node``'s lines (its decorators included) alone, or say why not.

    ``prelude`` is statements (one line each) parsed before the region and never edited, for
    the scope analysis to see what the module binds elsewhere; ``from_line`` starts the region
    at an earlier line, so that the blank and comment lines above the statement are its own as
    they are in the whole module."""
    first, last = first_line(node), node.end_lineno or node.lineno
    decorators = getattr(node, "decorator_list", [])
    column = decorators[0].col_offset - 1 if decorators else node.col_offset  # `@`
    before = source.lines[first - 1].encode()[:column].strip()
    rest = source.after(last, node.end_col_offset or 0).strip()
    if before or (rest and not rest.startswith("#")):
        return "line has several statements"
    indent = source.indentation(first)
    nl, unit = source.newline, source.indent_unit
    head = "".join(f"{statement}{nl}" for statement in prelude)
    wrapper = head + f"if 1:{nl}{unit}pass{nl}" + (f"if 1:{nl}" if indent else "")
    if from_line is not None:
        first = min(first, from_line)
    try:
        parsed = cst.parse_module(wrapper + "".join(source.lines[first - 1 : last]))
    except (cst.ParserSyntaxError, RecursionError):
        return "libcst cannot parse this statement"
    body: Sequence[cst.BaseStatement] = parsed.body[len(prelude) + 1 :]
    if indent:
        block = parsed.body[-1]
        if not (isinstance(block, cst.If) and isinstance(block.body, cst.IndentedBlock)):
            return "libcst cannot parse this statement"
        body = block.body.body
    if len(body) != 1:
        return "line has several statements"
    return Region(source, node, outer, parsed, wrapper, first, last, indent)


def region_around(source: Source, line: int, end_line: int | None = None) -> Region:
    """The innermost function holding lines ``line``..``end_line`` (else the module-level
    statement holding them), parsed; RewriteError when it cannot be."""
    node, outer = enclosing_region(source.tree, line, end_line or line)
    region = parse_region(source, node, outer)
    if isinstance(region, str):
        raise RewriteError(f"line {first_line(node)}: {region}")
    return region


def variables(root: cst.CSTNode) -> list[cst.Name]:
    """The variables under ``root``, in source order: not attribute, keyword or import names."""
    collector = _VariableCollector()
    root.visit(collector)
    return collector.found


class _VariableCollector(cst.CSTVisitor):
    def __init__(self) -> None:
        self.found: list[cst.Name] = []

    def visit_Name(self, node: cst.Name) -> None:
        self.found.append(node)

    def visit_Attribute(self, node: cst.Attribute) -> bool:
        node.value.visit(self)  # `x.attr` uses x, not a variable called attr
        return False

    def visit_Arg(self, node: cst.Arg) -> bool:
        node.value.visit(self)  # a keyword argument's name is not a variable
        return False

    def visit_ImportAlias(self, node: cst.ImportAlias) -> bool:
        return False


def render_statements(
    statements: Sequence[cst.BaseStatement],
    indent: str,
    *,
    unit: str,
    newline: str,
    trailing_newline: bool = True,
) -> str:
    """Source of ``statements`` at ``indent``, nested blocks indented by ``unit``."""
    if not indent:
        module = cst.Module(
            body=list(statements),
            default_indent=unit,
            default_newline=newline,
            has_trailing_newline=trailing_newline,
        )
        return module.code
    wrapper = cst.If(test=cst.Integer("1"), body=cst.IndentedBlock(list(statements), indent=indent))
    code = cst.Module(
        body=[wrapper],
        default_indent=unit,
        default_newline=newline,
        has_trailing_newline=trailing_newline,
    ).code
    header = f"if 1:{newline}"
    if not code.startswith(header):
        raise RewriteError("the new statements do not print as a block")
    return code[len(header) :]
