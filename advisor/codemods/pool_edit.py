"""The frame every pool fixer shares: find the node a finding points at, pick names the module
does not use, keep comments a rewrite would drop, and finish (imports, compile check).

Each pool fixer (``pool_collect``, ``pool_bounded``, ``pool_hoist``, ``pool_lift``,
``pool_swap``) only decides *what* replaces which statements; reading positions, scopes and
qualified names, and turning the new tree into checked text, is done once, here.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field

import libcst as cst
from libcst.codemod import CodemodContext
from libcst.codemod.visitors import AddImportsVisitor, RemoveImportsVisitor
from libcst.metadata import (
    BuiltinAssignment,
    ComprehensionScope,
    FunctionScope,
    GlobalScope,
    MetadataWrapper,
    ParentNodeProvider,
    PositionProvider,
    QualifiedNameProvider,
    Scope,
    ScopeProvider,
)

from advisor.errors import RewriteError
from advisor.model import Site
from advisor.syntax.comments import lost_comments
from advisor.syntax.edits import Change, replace_nodes

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


class _Stores(cst.CSTVisitor):
    """Names a block binds in its own scope (nested functions and classes only by their name)."""

    def __init__(self) -> None:
        self.names: set[str] = set()

    def _bind(self, target: cst.CSTNode | None) -> None:
        if isinstance(target, cst.Name):
            self.names.add(target.value)
        elif isinstance(target, cst.Tuple | cst.List):
            for element in target.elements:
                self._bind(element.value)
        elif isinstance(target, cst.StarredElement):
            self._bind(target.value)

    def visit_AssignTarget(self, node: cst.AssignTarget) -> None:
        self._bind(node.target)

    def visit_AnnAssign(self, node: cst.AnnAssign) -> None:
        self._bind(node.target)

    def visit_AugAssign(self, node: cst.AugAssign) -> None:
        self._bind(node.target)

    def visit_For(self, node: cst.For) -> None:
        self._bind(node.target)

    def visit_NamedExpr(self, node: cst.NamedExpr) -> None:
        self._bind(node.target)

    def visit_AsName(self, node: cst.AsName) -> None:
        self._bind(node.name)

    def visit_Del(self, node: cst.Del) -> None:
        self._bind(node.target)

    def visit_FunctionDef(self, node: cst.FunctionDef) -> bool:
        self._bind(node.name)
        return False

    def visit_ClassDef(self, node: cst.ClassDef) -> bool:
        self._bind(node.name)
        return False

    def visit_Lambda(self, node: cst.Lambda) -> bool:
        return False

    def visit_CompFor(self, node: cst.CompFor) -> bool:
        return False  # a comprehension's variables are its own (`:=` inside is not followed)

    def visit_Import(self, node: cst.Import) -> None:
        for alias in node.names:
            if alias.asname is None:
                root = alias.name
                while isinstance(root, cst.Attribute):
                    root = root.value
                self._bind(root)

    def visit_ImportFrom(self, node: cst.ImportFrom) -> None:
        if not isinstance(node.names, cst.ImportStar):
            for alias in node.names:
                if alias.asname is None:
                    self._bind(alias.name)


def names_stored(node: cst.CSTNode) -> set[str]:
    stores = _Stores()
    node.visit(stores)
    return stores.names


def _identifiers(tree: cst.Module) -> set[str]:
    """Every name that is or could be a variable: not an attribute's, keyword's or module's."""
    not_variables = set()
    for node in walk(tree):
        if isinstance(node, cst.Attribute):
            not_variables.add(id(node.attr))
        elif isinstance(node, cst.Arg) and node.keyword is not None:
            not_variables.add(id(node.keyword))
        elif isinstance(node, cst.ImportFrom) and node.module is not None:
            not_variables.update(id(n) for n in walk(node.module))
    return {n.value for n in walk(tree) if isinstance(n, cst.Name) and id(n) not in not_variables}


@dataclass(frozen=True, slots=True)
class ParsedModule:
    """A module with the metadata the pool fixers read: positions, parents, scopes, and the
    qualified names of calls (through the module's imports)."""

    tree: cst.Module
    positions: Mapping[cst.CSTNode, object]
    parents: Mapping[cst.CSTNode, cst.CSTNode]
    scopes: Mapping[cst.CSTNode, Scope | None]
    qualified: Mapping[cst.CSTNode, object]
    identifiers: frozenset[str] = field(default_factory=frozenset)

    @classmethod
    def parse(cls, source: str) -> ParsedModule:
        try:
            tree = cst.parse_module(source)
        except cst.ParserSyntaxError as error:
            raise RewriteError(f"the module does not parse ({error.message})") from None
        wrapper = MetadataWrapper(tree, unsafe_skip_copy=True)
        return cls(
            tree=tree,
            positions=wrapper.resolve(PositionProvider),
            parents=wrapper.resolve(ParentNodeProvider),
            scopes=wrapper.resolve(ScopeProvider),
            qualified=wrapper.resolve(QualifiedNameProvider),
            identifiers=frozenset(_identifiers(tree)),
        )

    def rebinds(self, name: str, imported_from: str | None = None) -> bool:
        """Does any scope of the module bind ``name`` (so a builtin of that name is hidden),
        other than by ``from <imported_from> import <name>`` or ``import <name>``?"""
        scopes = {id(s): s for s in self.scopes.values() if s is not None}
        for scope in scopes.values():
            for assignment in scope.assignments[name]:
                node = getattr(assignment, "node", None)
                if imported_from is not None and _imports(node, imported_from, name):
                    continue
                return True
        return False

    def binds_at_module_level(self, name: str) -> bool:
        scope = self.scopes.get(self.tree.body[0]) if self.tree.body else None
        while scope is not None and not isinstance(scope, GlobalScope):
            scope = scope.parent
        return scope is not None and bool(scope.assignments[name])

    def line(self, node: cst.CSTNode) -> int:
        return self.positions[node].start.line  # type: ignore[attr-defined]

    def end_line(self, node: cst.CSTNode) -> int:
        return self.positions[node].end.line  # type: ignore[attr-defined]

    def parent(self, node: cst.CSTNode) -> cst.CSTNode | None:
        return self.parents.get(node)

    def ancestors(self, node: cst.CSTNode) -> Iterator[cst.CSTNode]:
        current = self.parents.get(node)
        while current is not None:
            yield current
            current = self.parents.get(current)

    def qualified_names(self, node: cst.CSTNode) -> frozenset[str]:
        value = self.qualified.get(node)
        if callable(value):  # libcst computes qualified names lazily
            value = value()
        return frozenset(q.name for q in value or ())  # type: ignore[attr-defined]

    def calls_on_line(self, line: int) -> list[cst.Call]:
        """The calls that start on ``line``, outermost first (then left to right)."""
        found = [
            (where.start.column, -where.end.line, -where.end.column, index, node)  # type: ignore[attr-defined]
            for index, (node, where) in enumerate(self.positions.items())
            if isinstance(node, cst.Call) and where.start.line == line  # type: ignore[attr-defined]
        ]
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
            span = self.positions[call]
            if ((span.start.line, span.start.column), (span.end.line, span.end.column)) == (  # type: ignore[attr-defined]
                start,
                end,
            ):
                found.append(call)
            elif call.lpar:  # libcst counts the parentheses around a call as its own
                inner = self.positions[call.func].start  # type: ignore[attr-defined]
                if (inner.line, inner.column) == start:
                    found.append(call)
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
        kept = {id(n) for region in inside for n in walk(region)}
        for assignment in scope.assignments[name]:
            for access in assignment.references:
                if id(access.node) not in kept:
                    return True
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


def line_of(where: int | Site) -> int:
    """The line of a finding's site (or the line itself, for a finding without one)."""
    return where if isinstance(where, int) else where.line


def _imports(node: object, module: str, name: str) -> bool:
    """Is ``node`` ``from module import name`` or ``import module`` (binding ``name``)?"""
    if isinstance(node, cst.ImportFrom):
        return not node.relative and node.module is not None and code_of(node.module) == module
    if isinstance(node, cst.Import):
        return any(
            alias.evaluated_name == module == name and alias.asname is None for alias in node.names
        )
    return False


@dataclass(frozen=True, slots=True)
class Imports:
    """Imports a rewrite needs, and imports it may have left unused (removed only if unused)."""

    added: tuple[tuple[str, str | None], ...] = ()  # (module, object or None)
    unused: tuple[tuple[str, str | None, str | None], ...] = ()  # (module, object, asname)


def finish(tree: cst.Module, imports: Imports | None = None) -> str:
    """The new source: imports added once, imports left unused removed, and checked to compile
    (a rewrite that does not compile is a bug of ours, never handed back)."""
    imports = imports or Imports()
    context = CodemodContext()
    for module, obj, asname in imports.unused:
        RemoveImportsVisitor.remove_unused_import(context, module, obj, asname)
    for module, obj in imports.added:
        AddImportsVisitor.add_needed_import(context, module, obj)
    if imports.unused:
        tree = RemoveImportsVisitor(context).transform_module(tree)
    if imports.added:
        tree = AddImportsVisitor(context).transform_module(tree)
    code = tree.code
    try:
        compile(code, "<rewrite>", "exec", dont_inherit=True)
    except (SyntaxError, ValueError) as error:
        where = f"line {error.lineno}: " if isinstance(error, SyntaxError) else ""
        raise RewriteError(f"the rewrite does not compile ({where}{error})") from None
    return code
