"""The frame every pool fixer shares: the statement a finding is in, parsed on its own; the node
the finding points at; names the module does not use; and finish (imports, compile check).

Each pool fixer (``pool_collect``, ``pool_bounded``, ``pool_hoist``, ``pool_lift``,
``pool_swap``) only decides *what* replaces which nodes; reading positions, scopes and qualified
names, and turning the new statement into checked text, is done once, here. Only the
module-level statement holding the finding is parsed with libcst (see :class:`ParsedModule`);
the rest of the module is read from its ``ast``. One CA206 fix in a 60,000-line module took
74 s with the whole module parsed, 3.6 s this way (most of it compiling the result).
"""

from __future__ import annotations

import ast
import io
import textwrap
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property

import libcst as cst
from libcst.metadata import (
    BuiltinAssignment,
    CodeRange,
    ComprehensionScope,
    FunctionScope,
    GlobalScope,
    Scope,
)

from advisor.errors import RewriteError
from advisor.model import Finding, Site
from advisor.syntax.bindings import bindings, binds_anywhere, bound_in, reads_global
from advisor.syntax.comments import lost_comments
from advisor.syntax.edits import Change, apply_line_edits, check_compiles, replace_nodes
from advisor.syntax.imports import ImportItem, add_imports, first_statement_after_header
from advisor.syntax.names import variable_names
from advisor.syntax.region import Region, parse_region
from advisor.syntax.source import Source
from advisor.syntax.statements import DEFINITIONS, first_line

__all__ = [
    "Change",
    "Imports",
    "ParsedModule",
    "RewriteError",
    "code_of",
    "finish",
    "is_name_chain",
    "line_of",
    "lost_comments",
    "names_read",
    "names_stored",
    "replace_nodes",
    "walk",
]

_SCOPE_NODES = (cst.FunctionDef, cst.ClassDef, cst.Lambda)


def code_of(node: cst.CSTNode) -> str:
    """The source of one node, as it would be printed (for messages and comparisons)."""
    return cst.Module([]).code_for_node(node)


def walk(node: cst.CSTNode) -> Iterator[cst.CSTNode]:
    """Every node of the subtree, ``node`` first, in source order."""
    stack = [node]
    while stack:
        current = stack.pop()
        yield current
        stack.extend(reversed(current.children))


def is_name_chain(expression: cst.BaseExpression) -> bool:
    """``f`` or ``module.f``: evaluating it runs no code of the user's."""
    while isinstance(expression, cst.Attribute):
        expression = expression.value
    return isinstance(expression, cst.Name)


class _Reads(cst.CSTVisitor):
    """Names an expression or statement reads (an attribute's or keyword's name is not one)."""

    def __init__(self) -> None:
        self.names: set[str] = set()

    def visit_Attribute(self, node: cst.Attribute) -> bool:
        node.value.visit(self)
        return False

    def visit_Arg(self, node: cst.Arg) -> bool:
        node.value.visit(self)
        return False

    def visit_Param(self, node: cst.Param) -> bool:
        for part in (node.annotation, node.default):
            if part is not None:
                part.visit(self)
        return False

    def visit_Name(self, node: cst.Name) -> None:
        self.names.add(node.value)


def names_read(node: cst.CSTNode) -> set[str]:
    reads = _Reads()
    node.visit(reads)
    return reads.names


def names_stored(node: cst.CSTNode) -> set[str]:
    """Names a statement (or a block of them) binds in its own scope, as the one binding model
    (:mod:`advisor.syntax.bindings`) reads the statement's own code."""
    if isinstance(node, cst.IndentedBlock | cst.SimpleStatementSuite):
        # concadvise: ignore[CA102]: a block of a few statements, each parsed in microseconds
        return set().union(set(), *(names_stored(statement) for statement in node.body))
    try:
        tree = ast.parse(textwrap.dedent(code_of(node)))
    except SyntaxError:
        raise RewriteError(f"cannot read what `{code_of(node).strip()}` binds") from None
    return bound_in(tree.body)


@dataclass(frozen=True)
class ParsedModule:
    """The module-level statement a pool fix edits (the function, class or loop holding the
    finding), parsed with libcst after a prelude of one line per name the rest of the module
    binds (its imports as written, a stub for each other name). libcst's scope and qualified
    name analysis of the region then sees the module as it is, at the cost of parsing that one
    statement: a whole 60,000-line module took 70-150 s. Questions about the rest of the module
    (is a name bound anywhere, read elsewhere, used at all) are asked of its ``ast``."""

    region: Region

    @classmethod
    def around(cls, source: str, line: int, end_line: int | None = None) -> ParsedModule:
        """The module-level statement holding lines ``line``..``end_line``, parsed."""
        module = Source.for_rewrite(source)
        body = module.tree.body
        end_line = end_line or line
        index = next(
            (
                i
                for i, s in enumerate(body)
                if first_line(s) <= line and end_line <= (s.end_lineno or s.lineno)
            ),
            None,
        )
        if index is None:
            raise RewriteError(f"line {line}: no statement holds the finding's lines")
        top = body[index]
        # the blank and comment lines above the statement are its own, as in the whole module
        after = (body[index - 1].end_lineno or body[index - 1].lineno) + 1 if index else None
        region = parse_region(
            module, top, (module.tree,), prelude=_prelude(module.tree, top), from_line=after
        )
        if isinstance(region, str):
            raise RewriteError(f"line {first_line(top)}: {region}")
        return cls(region)

    @classmethod
    def for_finding(cls, source: str, finding: Finding) -> ParsedModule:
        return cls.around(source, finding.line, finding.end_line)

    @property
    def source(self) -> Source:
        return self.region.source

    @property
    def tree(self) -> cst.Module:
        """The parsed wrapper: the prelude, then the statement."""
        return self.region.module

    @property
    def positions(self) -> Mapping[cst.CSTNode, CodeRange]:
        return self.region.positions

    @property
    def scopes(self) -> Mapping[cst.CSTNode, Scope | None]:
        return self.region.scopes

    @cached_property
    def identifiers(self) -> frozenset[str]:
        """Every name that is or could be a variable anywhere in the module."""
        return variable_names(self.source.tree)

    def rebinds(self, name: str, imported_from: str | None = None) -> bool:
        """Does any scope of the module bind ``name`` (so a builtin of that name is hidden),
        other than by ``from <imported_from> import <name>`` or ``import <name>``?"""
        return binds_anywhere(self.source.tree, name, imported_from)

    def module_function(self, name: str) -> ast.FunctionDef | ast.AsyncFunctionDef | None:
        """The module-level function of that name (the last one), from the module's ``ast``."""
        found = [
            node
            for node in self.source.tree.body
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and node.name == name
        ]
        return found[-1] if found else None

    def in_prelude(self, node: cst.CSTNode) -> bool:
        """Is ``node`` one of the prelude's stand-ins for what the rest of the module binds?"""
        return self.line(node) < self.region.first

    def module_statement_binding(self, name: str) -> ast.stmt | None:
        """The module-level statement (outside the parsed one) that alone binds ``name``."""
        found = [
            statement
            for statement in self.source.tree.body
            if statement is not self.region.node and name in bound_in([statement])
        ]
        return found[0] if len(found) == 1 else None

    def binds_at_module_level(self, name: str) -> bool:
        return any(binding.name == name for binding in bindings(self.source.tree.body))

    def line(self, node: cst.CSTNode) -> int:
        return self.region.line(node)

    def end_line(self, node: cst.CSTNode) -> int:
        return self.region.end_line(node)

    def parent(self, node: cst.CSTNode) -> cst.CSTNode | None:
        return self.region.parents.get(node)

    def ancestors(self, node: cst.CSTNode) -> Iterator[cst.CSTNode]:
        return self.region.ancestors(node)

    def qualified_names(self, node: cst.CSTNode) -> frozenset[str]:
        value = self.region.qualified.get(node)
        if callable(value):  # libcst computes qualified names lazily
            value = value()
        return frozenset(q.name for q in value or ())

    def calls_on_line(self, line: int) -> list[cst.Call]:
        """The calls that start on ``line``, outermost first (then left to right)."""
        found = []
        for index, node in enumerate(self.region.nodes(cst.Call)):
            where = self.positions[node]
            if self.region.line(node) == line:
                found.append((where.start.column, -where.end.line, -where.end.column, index, node))
        return [node for *_, node in sorted(found)]

    def calls_at(self, where: int | Site) -> list[cst.Call]:
        """The call at a finding's site; for a finding without one (a saved report, a
        hand-made finding), the calls that start on its line, outermost first."""
        if isinstance(where, int):
            return self.calls_on_line(where)
        start = (where.line, where.column - 1)
        end = (where.end_line, where.end_column - 1)
        found = []
        for call in self.calls_on_line(where.line):
            span = (self.region.start(call), (self.end_line(call), self.positions[call].end.column))
            if span == (start, end):
                found.append(call)
            elif call.lpar and self.region.start(call.func) == start:
                found.append(call)  # libcst counts the parentheses around a call as its own
        return found

    def scope_owner(self, node: cst.CSTNode) -> cst.CSTNode:
        """The function, lambda, class or module whose scope ``node`` runs in."""
        for ancestor in self.ancestors(node):
            if isinstance(ancestor, (*_SCOPE_NODES, cst.Module)):
                return ancestor
        return self.tree

    def in_class_body(self, node: cst.CSTNode) -> bool:
        return isinstance(self.scope_owner(node), cst.ClassDef)

    def block_of(self, statement: cst.CSTNode) -> tuple[cst.CSTNode, int]:
        """The block (module or indented block) holding ``statement``, and its index there."""
        block = self.parent(statement)
        body = getattr(block, "body", None)
        if block is None or not isinstance(body, Sequence):
            raise RewriteError("the statement is not in a block of statements")
        index = next((i for i, s in enumerate(body) if s is statement), None)
        if index is None:
            raise RewriteError("the statement is not in a block of statements")
        return block, index

    def top_statement(self, node: cst.CSTNode) -> cst.BaseStatement:
        """The module-level statement that holds ``node``."""
        current = node
        for ancestor in self.ancestors(node):
            if isinstance(ancestor, cst.Module):
                return current  # type: ignore[return-value]
            current = ancestor
        raise RewriteError("the node is not inside the module")

    def references_outside(self, name: str, at: cst.CSTNode, inside: Sequence[cst.CSTNode]) -> bool:
        """Is ``name``, as bound in the scope of ``at``, read anywhere outside ``inside``?

        Reads by nested functions count: they see the same variable."""
        scope = self.scopes.get(at)
        if scope is None:
            return True
        region = self.region
        if isinstance(scope, GlobalScope) and reads_global(
            self.source.tree, name, (region.first, region.last)
        ):
            return True  # read by the module's code outside the statement
        kept = {id(n) for region in inside for n in walk(region)}
        for assignment in scope.assignments[name]:
            for access in assignment.references:
                if id(access.node) not in kept and not self._rebound_by_loop(name, access.node, at):
                    return True
        return False

    def _rebound_by_loop(self, name: str, read: cst.CSTNode, bound_at: cst.CSTNode) -> bool:
        """Is ``read`` in the body of another ``for`` (not around ``bound_at``) whose target
        binds ``name`` again (``for url in more: print(url)``)? It sees that loop's value."""
        child = read
        for ancestor in self.ancestors(read):
            if isinstance(ancestor, (*_SCOPE_NODES, cst.Module)):
                return False
            if (
                isinstance(ancestor, cst.For)
                and child is ancestor.body
                and ancestor is not bound_at
                and not any(a is ancestor for a in self.ancestors(bound_at))
                and any(n.value == name for n in walk(ancestor.target) if isinstance(n, cst.Name))
            ):
                return True
            child = ancestor
        return False

    def bindings(self, name: cst.Name) -> list[object]:
        """The assignments a read of ``name`` can see (libcst scope analysis)."""
        scope = self.scopes.get(name)
        if scope is None:
            return []
        return list(scope[name.value])

    def is_module_level_callable(self, expression: cst.BaseExpression) -> bool:
        """A function pickle can send by name: a module-level def, an import, a builtin, an
        attribute of an imported module, or ``functools.partial`` of one of those."""
        if isinstance(expression, cst.Call):
            if "functools.partial" not in self.qualified_names(expression.func):
                return False
            return bool(expression.args) and self.is_module_level_callable(expression.args[0].value)
        root = expression
        while isinstance(root, cst.Attribute):
            root = root.value
        if not isinstance(root, cst.Name):
            return False
        attribute = root is not expression
        found = self.bindings(root)
        for assignment in found:
            if isinstance(assignment, BuiltinAssignment):
                continue
            if not isinstance(getattr(assignment, "scope", None), GlobalScope):
                return False
            node = getattr(assignment, "node", None)
            if isinstance(node, cst.Import | cst.ImportFrom):
                continue
            if attribute or not isinstance(node, cst.FunctionDef | cst.ClassDef):
                return False  # an attribute of a module-level object may be a bound method
        return bool(found)

    def local_scope_of(self, assignment: object) -> bool:
        """Is this binding a variable of a function (or comprehension), not global or builtin?"""
        return isinstance(getattr(assignment, "scope", None), FunctionScope | ComprehensionScope)

    def import_of(self, name: cst.Name) -> tuple[str, str | None, str | None] | None:
        """(module, object, asname) of the import that binds ``name``, for removing it."""
        for assignment in self.bindings(name):
            node = getattr(assignment, "node", None)
            if isinstance(node, cst.Import):
                for alias in node.names:
                    bound = alias.evaluated_alias or alias.evaluated_name.split(".")[0]
                    if bound == name.value:
                        return alias.evaluated_name, None, alias.evaluated_alias
            if isinstance(node, cst.ImportFrom) and not isinstance(node.names, cst.ImportStar):
                if node.relative or node.module is None:
                    return None
                for alias in node.names:
                    if (alias.evaluated_alias or alias.evaluated_name) == name.value:
                        return code_of(node.module), alias.evaluated_name, alias.evaluated_alias
        return None


def _prelude(tree: ast.Module, statement: ast.stmt) -> list[str]:
    """One line per name the module binds outside ``statement`` that ``statement`` mentions:
    its imports as written, ``def`` and ``class`` stubs, ``NAME = None`` for the rest.
    libcst's scope analysis of the statement then finds the module-level functions, classes,
    imports and globals it uses where they are (and parses a few lines, not thousands)."""
    mentioned = {node.id for node in ast.walk(statement) if isinstance(node, ast.Name)}
    lines: list[str] = []
    for binding in bindings(s for s in tree.body if s is not statement):
        node, name = binding.node, binding.name
        if name not in mentioned:
            continue
        if isinstance(node, ast.Import):
            alias = next(a for a in node.names if (a.asname or a.name.split(".")[0]) == name)
            lines.append(ast.unparse(ast.Import(names=[alias])))
        elif isinstance(node, ast.ImportFrom):
            alias = next(a for a in node.names if (a.asname or a.name) == name)
            lines.append(ast.unparse(ast.ImportFrom(node.module, [alias], node.level)))
        elif isinstance(node, DEFINITIONS):
            keyword = {"ClassDef": "class", "AsyncFunctionDef": "async def"}.get(
                type(node).__name__, "def"
            )
            lines.append(f"{keyword} {name}{'' if keyword == 'class' else '()'}: pass")
        elif not isinstance(node, ast.Delete):
            lines.append(f"{name} = None")
    return lines


def line_of(where: int | Site) -> int:
    """The line of a finding's site (or the line itself, for a finding without one)."""
    return where if isinstance(where, int) else where.line


@dataclass(frozen=True, slots=True)
class Imports:
    """Imports a rewrite needs, and imports it may have left unused (removed only if unused)."""

    added: tuple[tuple[str, str | None], ...] = ()  # (module, object or None)
    unused: tuple[tuple[str, str | None, str | None], ...] = ()  # (module, object, asname)


def finish(
    parsed: ParsedModule, changes: Mapping[cst.CSTNode, Change], imports: Imports | None = None
) -> str:
    """The new source: the statement with ``changes`` made (node identity), imports left unused
    removed, imports added once, and checked to compile (a rewrite that does not compile is a
    bug of ours, never handed back)."""
    imports = imports or Imports()
    region = parsed.region
    source = region.source
    edit = region.edited(changes)
    text = apply_line_edits(source.lines, [edit])
    if imports.added or imports.unused:
        # new imports go before the first statement after the leading imports: the statement's
        # own first line, past the blank and comment lines it now starts with
        header = first_statement_after_header(source.tree)
        first = region.first + _blank_or_comment_lines(edit.text)
        before = first if header is None else min(header, first)
        items = [ImportItem(module, obj) for module, obj in imports.added]
        text = add_imports(text, before, items, imports.unused)
    return check_compiles(source.text, text)


def _blank_or_comment_lines(text: str) -> int:
    count = 0
    for line in io.StringIO(text, newline="").readlines():
        if line.strip() and not line.lstrip().startswith("#"):
            break
        count += 1
    return count
