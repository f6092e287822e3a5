"""What the asyncio fixers share: the part of a module a fix edits, parsed with libcst; fresh
names; splicing new statements in front of a statement; imports; the compile check.

A fix edits one function (the innermost around its finding; a module-level statement when there
is none), so only that statement's lines are parsed with libcst and its metadata. Parsing a
60,000-line module whole took minutes; Python's ``ast`` of the whole module (about a second)
answers what the rest of the module holds: its imports, its module-level names and functions.
The edits are planned on the libcst tree and applied in one transform keyed by node identity,
then the statement's new text is spliced in by line range, so nothing else is ever touched.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import libcst as cst
from libcst.codemod import CodemodContext
from libcst.codemod.visitors import ImportItem, RemoveImportsVisitor
from libcst.metadata import (
    CodeRange,
    ExpressionContext,
    ExpressionContextProvider,
    MetadataWrapper,
    ParentNodeProvider,
    PositionProvider,
)

# The analysis's own name resolution (per function, locals shadowing imports), so a fixer picks
# exactly the call the analysis flagged. `Scope` is the one private piece it needs.
from advisor.analysis.async_rules import Scope, module_constants, scope_of
from advisor.analysis.names import build_resolver
from advisor.codemods.errors import RewriteError
from advisor.codemods.imports import add_imports, first_statement_after_header, header_end
from advisor.codemods.locate import FUNCTIONS, ModuleSource, apply_edits, check_compiles
from advisor.codemods.locate import Edit as LineEdit
from advisor.codemods.scopes import bound_in, locals_of, statements_in

# Without a profile there is no measured rate to size the bound from. 20 is the low end of the
# 20-100 that CA303 recommends and httpx's default keep-alive pool, so calls reuse connections
# instead of opening new ones; the generated line says it is a default to tune.
DEFAULT_LIMIT = 20

_SCOPES = (cst.FunctionDef, cst.Lambda, cst.ClassDef)
_BLANK = cst.EmptyLine(indent=False)  # no trailing spaces on the blank line
_PLACEHOLDER = "pass"

Edit = Callable[[cst.CSTNode], cst.CSTNode | cst.FlattenSentinel | cst.RemovalSentinel]


@dataclass(frozen=True, slots=True)
class ParsedModule:
    """A module's text and ``ast``, and the statement a fix edits parsed with libcst (inside a
    wrapper that keeps its indentation) with the metadata the fixers ask for."""

    source: ModuleSource
    region: ast.stmt  # the statement parsed with libcst
    outer: tuple[ast.AST, ...]  # the nodes around it, the module first
    module: cst.Module  # the wrapper holding it
    wrapper: str  # the wrapper's own text, before the statement's lines
    offset: int  # a line of the module = a line of `module` + offset
    positions: Mapping[cst.CSTNode, CodeRange]
    parents: Mapping[cst.CSTNode, cst.CSTNode]
    contexts: Mapping[cst.CSTNode, ExpressionContext]  # load / store / del of each name
    used: frozenset[str]  # every word of the module: fresh names avoid all of them

    @classmethod
    def around(cls, text: str, line: int, end_line: int | None = None) -> ParsedModule:
        """Parse the innermost function holding lines ``line``..``end_line`` (else the
        module-level statement holding them)."""
        source = ModuleSource.parse(text)
        region, outer = _region(source.tree, line, end_line or line)
        first, last = _first_line(region), region.end_lineno or region.lineno
        indent = source.indentation(first)
        decorators = getattr(region, "decorator_list", [])
        column = decorators[0].col_offset - 1 if decorators else region.col_offset  # `@`
        before = source.lines[first - 1].encode()[:column].strip()
        rest = source.after(last, region.end_col_offset or 0).strip()
        if before or (rest and not rest.startswith("#")):
            raise RewriteError("the statement shares its line with another one")
        nl, unit = source.newline, source.indent_unit
        wrapper = f"if 1:{nl}{unit}pass{nl}" + (f"if 1:{nl}" if indent else "")
        try:
            parsed = MetadataWrapper(
                cst.parse_module(wrapper + "".join(source.lines[first - 1 : last]))
            )
        except (cst.ParserSyntaxError, RecursionError) as error:
            raise RewriteError(f"libcst cannot parse the statement ({error})") from None
        positions = parsed.resolve(PositionProvider)
        return cls(
            source=source,
            region=region,
            outer=outer,
            module=parsed.module,
            wrapper=wrapper,
            offset=first - 1 - wrapper.count(nl),
            positions=positions,
            parents=parsed.resolve(ParentNodeProvider),
            contexts=parsed.resolve(ExpressionContextProvider),
            used=frozenset(re.findall(r"\w+", text)),
        )

    @property
    def statement(self) -> cst.BaseStatement:
        """The region's own libcst node."""
        top = self.module.body[1]
        if isinstance(top, cst.If) and self.wrapper.count("if 1:") == 2:
            assert isinstance(top.body, cst.IndentedBlock)
            return top.body.body[0]
        return top

    def line(self, node: cst.CSTNode) -> int:
        """The module line ``node`` starts on."""
        return self.positions[node].start.line + self.offset

    def end_line(self, node: cst.CSTNode) -> int:
        return self.positions[node].end.line + self.offset

    def start(self, node: cst.CSTNode) -> tuple[int, int]:
        position = self.positions[node].start
        return position.line + self.offset, position.column

    def ancestors(self, node: cst.CSTNode) -> Iterator[cst.CSTNode]:
        while node in self.parents:
            node = self.parents[node]
            yield node

    def nodes(self, kind: type[cst.CSTNode] | tuple[type[cst.CSTNode], ...]) -> Iterator[Any]:
        return (node for node in self.positions if isinstance(node, kind))

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
        avoid = self.used | set(taken)
        name, index = base, 0
        while name in avoid:
            index += 1
            name = f"{base}_{index}"
        return name

    def names(self, root: cst.CSTNode) -> list[cst.Name]:
        """The variables under ``root``, in source order: not attribute or keyword names."""
        collector = _VariableCollector()
        root.visit(collector)
        return collector.found

    def reads(self, root: cst.CSTNode) -> list[cst.Name]:
        """Variables read under ``root`` (an augmented assignment reads its target too)."""
        return [
            name
            for name in self.names(root)
            if self.contexts.get(name) is ExpressionContext.LOAD
            or isinstance(self.parents.get(name), cst.AugAssign)
        ]

    def reads_in(self, roots: Iterable[cst.CSTNode]) -> list[cst.Name]:
        return [name for root in roots for name in self.reads(root)]

    def writes(self, root: cst.CSTNode) -> list[cst.Name]:
        return [n for n in self.names(root) if self.contexts.get(n) is ExpressionContext.STORE]

    def inside(self, node: cst.CSTNode, container: cst.CSTNode) -> bool:
        return node is container or any(a is container for a in self.ancestors(node))

    def rebinds(self, name: str, at: cst.CSTNode | None = None) -> bool:
        """Is ``name``, where ``at`` stands (the module level when None), bound to anything but
        ``import name``, so that ``asyncio.x`` or a builtin would mean something else? Bindings
        in functions and classes that do not enclose ``at`` are not seen from there."""
        if _module_binds(self.source.tree, name):
            return True
        if at is None:
            return False
        outer = [n for n in self.outer if isinstance(n, FUNCTIONS)]
        if any(name in locals_of(function) for function in outer):
            return True
        enclosing = {id(a) for a in self.ancestors(at)}
        binder = _BindingFinder(name, enclosing)
        self.statement.visit(binder)
        return binder.found

    def module_functions(self) -> dict[str, ast.FunctionDef]:
        """The module's own plain functions, by name."""
        return {n.name: n for n in self.source.tree.body if isinstance(n, ast.FunctionDef)}


def _first_line(node: ast.stmt) -> int:
    decorators = getattr(node, "decorator_list", [])
    return min([node.lineno, *(d.lineno for d in decorators)])


def _region(tree: ast.Module, line: int, end_line: int) -> tuple[ast.stmt, tuple[ast.AST, ...]]:
    """The innermost function holding the lines, else the module-level statement holding them,
    and the nodes around it."""
    holds = [
        s for s in tree.body if _first_line(s) <= line and end_line <= (s.end_lineno or s.lineno)
    ]
    if not holds:
        raise RewriteError(f"line {line}: no statement holds the finding's lines")
    best: tuple[ast.stmt, tuple[ast.AST, ...]] = (holds[0], (tree,))
    stack: list[tuple[ast.AST, tuple[ast.AST, ...]]] = [(holds[0], (tree,))]
    while stack:  # one chain of nested blocks holds the lines: deeper functions come later
        node, around = stack.pop()
        if isinstance(node, FUNCTIONS):
            best = (node, around)
        inner = (*around, node)
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.match_case):
                stack.append((child, inner))
            elif isinstance(child, ast.stmt | ast.excepthandler):
                first = _first_line(child) if isinstance(child, ast.stmt) else child.lineno
                if first <= line and end_line <= (child.end_lineno or first):
                    stack.append((child, inner))
    return best


def _module_binds(tree: ast.Module, name: str) -> bool:
    """Does module-level code bind ``name`` (``import name`` aside: that is the module)?"""
    for statement in statements_in(tree.body):
        if isinstance(statement, ast.Import):
            if any(alias.asname == name for alias in statement.names):
                return True
        elif isinstance(statement, ast.ImportFrom):
            if any((alias.asname or alias.name) == name for alias in statement.names):
                return True
        elif not isinstance(statement, (*FUNCTIONS, ast.ClassDef)):
            own = [statement] if not hasattr(statement, "body") else _headers(statement)
            if name in bound_in(own):
                return True
        elif statement.name == name:
            return True
    return False


def _headers(statement: ast.stmt) -> list[ast.AST]:
    """What a compound statement binds itself (``for x``, ``with ... as x``), not its blocks
    (their statements are visited on their own)."""
    found: list[ast.AST] = []
    for field, value in ast.iter_fields(statement):
        if field in ("body", "orelse", "finalbody", "handlers", "cases"):
            continue
        for item in value if isinstance(value, list) else [value]:
            if isinstance(item, ast.AST):
                found.append(item)
    return found


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


class _BindingFinder(cst.CSTVisitor):
    """Is ``name`` bound by an assignment, a def, a parameter or an import under another name?"""

    def __init__(self, name: str, enclosing: set[int]) -> None:
        self.name = name
        self.enclosing = enclosing  # ids of the scopes around the place the name is used
        self.found = False

    def _bind(self, target: cst.CSTNode | None) -> None:
        if isinstance(target, cst.Name) and target.value == self.name:
            self.found = True
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

    def visit_FunctionDef(self, node: cst.FunctionDef) -> bool:
        self._bind(node.name)
        return id(node) in self.enclosing

    def visit_ClassDef(self, node: cst.ClassDef) -> bool:
        self._bind(node.name)
        return id(node) in self.enclosing

    def visit_Lambda(self, node: cst.Lambda) -> bool:
        return id(node) in self.enclosing

    def visit_Param(self, node: cst.Param) -> None:
        self._bind(node.name)

    def visit_ImportFrom(self, node: cst.ImportFrom) -> None:
        if not isinstance(node.names, cst.ImportStar):
            for alias in node.names:
                if alias.asname is None:
                    self._bind(alias.name)


def declared(function: cst.FunctionDef, kind: type[cst.Global] | type[cst.Nonlocal]) -> set[str]:
    """The names ``function`` itself declares ``global`` (or ``nonlocal``)."""
    finder = _DeclarationFinder(kind)
    function.body.visit(finder)
    return finder.names


class _DeclarationFinder(cst.CSTVisitor):
    def __init__(self, kind: type[cst.Global] | type[cst.Nonlocal]) -> None:
        self.kind = kind
        self.names: set[str] = set()

    def on_visit(self, node: cst.CSTNode) -> bool:
        if isinstance(node, self.kind):
            self.names |= {item.name.value for item in node.names}
        return not isinstance(node, cst.FunctionDef | cst.ClassDef | cst.Lambda)


# --- the calls the analysis flagged ---------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ResolvedCall:
    """A call found by Python's ``ast``, with the qualified name the analysis gives it."""

    line: int
    column: int  # 0-based, in characters (as libcst counts), not ast's UTF-8 bytes
    qualified: str | None
    in_async: bool  # directly in the body of an `async def` (not a nested def or lambda)


def resolved_calls(
    parsed: ParsedModule, line: int, end_line: int, *, within: bool = False
) -> list[ResolvedCall]:
    """Every call spanning exactly ``line``..``end_line`` (``within``: every call inside those
    lines), resolved as the analysis does.

    Only the functions around those lines have their scopes resolved; the rest is skipped."""
    tree, lines = parsed.source.tree, parsed.source.lines
    module = Scope(build_resolver(tree), {}, module_constants(tree))
    found: list[ResolvedCall] = []
    stack: list[tuple[ast.AST, Scope, ast.AST | None]] = [(n, module, None) for n in tree.body]
    while stack:
        node, scope, function = stack.pop()
        if isinstance(node, (*FUNCTIONS, ast.Lambda)):
            if node.lineno > end_line or (node.end_lineno or node.lineno) < line:
                continue  # decorators and defaults sit on the lines before the body, if at all
            inner = scope_of(node, scope)
            args = node.args
            stack += [(d, scope, function) for d in (*args.defaults, *args.kw_defaults) if d]
            body = node.body if isinstance(node, FUNCTIONS) else [node.body]
            if isinstance(node, FUNCTIONS):
                stack += [(d, scope, function) for d in node.decorator_list]
            stack += [(statement, inner, node) for statement in body]
            continue
        first = getattr(node, "lineno", None)
        last = getattr(node, "end_lineno", None) or first
        if first is not None and not isinstance(node, ast.ClassDef):
            holds = first <= line and end_line <= last
            if not (holds or (within and first <= end_line and last >= line)):
                continue  # cannot hold such a call
        if isinstance(node, ast.Call) and (
            (node.lineno, node.end_lineno) == (line, end_line)
            or (within and line <= node.lineno and (node.end_lineno or node.lineno) <= end_line)
        ):
            text = lines[node.lineno - 1].encode("utf-8")[: node.col_offset]
            found.append(
                ResolvedCall(
                    line=node.lineno,
                    column=len(text.decode("utf-8", errors="replace")),
                    qualified=scope.resolver.qualify(node.func),
                    in_async=isinstance(function, ast.AsyncFunctionDef),
                )
            )
        stack += [(child, scope, function) for child in ast.iter_child_nodes(node)]
    return sorted(found, key=lambda call: (call.line, call.column))


def cst_call_at(parsed: ParsedModule, call: ResolvedCall) -> cst.Call:
    """The libcst node of a call found by ``resolved_calls``."""
    for node in parsed.nodes(cst.Call):
        start = parsed.start(node)
        if start == (call.line, call.column):
            return node
        # a parenthesised call starts at its parenthesis in libcst
        if node.lpar and parsed.start(node.func) == (call.line, call.column):
            return node
    raise RewriteError(f"line {call.line}: the call is not where the analysis saw it")


def last_name(node: cst.BaseExpression) -> str | None:
    if isinstance(node, cst.Attribute):
        return node.attr.value
    if isinstance(node, cst.Name):
        return node.value
    return None


def source_of(node: cst.CSTNode) -> str:
    return cst.Module([]).code_for_node(node)


# --- building code --------------------------------------------------------------------------------


def attribute_chain(dotted_name: str) -> cst.BaseExpression:
    """``asyncio.sleep`` → Attribute(Name("asyncio"), Name("sleep"))."""
    first, *rest = dotted_name.split(".")
    node: cst.BaseExpression = cst.Name(first)
    for part in rest:
        node = cst.Attribute(value=node, attr=cst.Name(part))
    return node


def call(func: cst.BaseExpression | str, *args: cst.BaseExpression | cst.Arg) -> cst.Call:
    """``func(a, b)`` with ordinary spacing."""
    function = attribute_chain(func) if isinstance(func, str) else func
    arguments = [a if isinstance(a, cst.Arg) else cst.Arg(a) for a in args]
    comma = cst.Comma(whitespace_after=cst.SimpleWhitespace(" "))
    spaced = [a.with_changes(comma=comma) for a in arguments[:-1]] + arguments[-1:]
    return cst.Call(func=function, args=spaced)


def statement(small: cst.BaseSmallStatement, comment: str | None = None) -> cst.SimpleStatementLine:
    trailing = cst.TrailingWhitespace()
    if comment is not None:
        trailing = cst.TrailingWhitespace(
            whitespace=cst.SimpleWhitespace("  "), comment=cst.Comment(f"# {comment}")
        )
    return cst.SimpleStatementLine(body=[small], trailing_whitespace=trailing)


def assign(name: str, value: cst.BaseExpression) -> cst.Assign:
    return cst.Assign(targets=[cst.AssignTarget(cst.Name(name))], value=value)


def parameters(names: Sequence[str]) -> cst.Parameters:
    return cst.Parameters(params=[cst.Param(cst.Name(name)) for name in names])


def async_def(
    name: str, params: Sequence[str], body: Sequence[cst.BaseStatement]
) -> cst.FunctionDef:
    return cst.FunctionDef(
        name=cst.Name(name),
        params=parameters(params),
        body=cst.IndentedBlock(body=list(body)),
        asynchronous=cst.Asynchronous(),
    )


def async_with(context: cst.BaseExpression, body: Sequence[cst.BaseStatement]) -> cst.With:
    return cst.With(
        items=[cst.WithItem(item=context)],
        body=cst.IndentedBlock(body=list(body)),
        asynchronous=cst.Asynchronous(),
    )


def semaphore(name: str, workers: int | None) -> cst.SimpleStatementLine:
    """``limit = asyncio.Semaphore(20)``, saying so when the bound is a default."""
    if workers is not None and (isinstance(workers, bool) or workers < 1):
        raise RewriteError(f"the bound must be a positive integer, not {workers!r}")
    bound = workers or DEFAULT_LIMIT
    value = call("asyncio.Semaphore", cst.Integer(str(bound)))
    comment = None if workers else f"at most {bound} at once: a default, tune it"
    return statement(assign(name, value), comment)


def await_(expression: cst.BaseExpression) -> cst.Await:
    return cst.Await(expression=expression)


def gather(elements: cst.BaseExpression, for_in: cst.CompFor) -> cst.Await:
    """``await asyncio.gather(*(elements for ... in ...))``: started together, results in input
    order, the first exception raised here."""
    generator = cst.GeneratorExp(elt=elements, for_in=for_in)
    return await_(call("asyncio.gather", cst.Arg(generator, star="*")))


def as_primary(
    parsed: ParsedModule, old: cst.BaseExpression, new: cst.BaseExpression
) -> cst.BaseExpression:
    """``new`` in parentheses when it takes the place of ``old`` as the receiver of an attribute,
    a subscript or a call (``await`` binds looser than those), or when ``old`` had them."""
    parent = parsed.parents.get(old)
    receiver = (isinstance(parent, cst.Attribute | cst.Subscript) and parent.value is old) or (
        isinstance(parent, cst.Call) and parent.func is old
    )
    if isinstance(new, cst.Await) and (receiver or old.lpar):
        return new.with_changes(lpar=[cst.LeftParen()], rpar=[cst.RightParen()])
    return new


def spaced_block(
    leading: Sequence[cst.EmptyLine],
    prelude: Sequence[cst.BaseStatement],
    helper: cst.FunctionDef | None,
    replacement: cst.BaseStatement,
) -> list[cst.BaseStatement]:
    """``prelude``, a nested helper set off by blank lines (as formatters lay it out), then the
    statement that replaces the old one. ``leading`` (the old statement's comments) goes first."""
    out: list[cst.BaseStatement] = []
    for node in [*prelude, *([helper] if helper is not None else [])]:
        blank = [_BLANK] if out and isinstance(node, cst.FunctionDef) else []
        out.append(node.with_changes(leading_lines=blank))
    after = [_BLANK] if helper is not None else []
    out.append(replacement.with_changes(leading_lines=after))
    out[0] = out[0].with_changes(leading_lines=[*leading, *out[0].leading_lines])
    return out


def comments(node: cst.CSTNode) -> list[cst.Comment]:
    collector = _CommentCollector()
    node.visit(collector)
    return collector.found


class _CommentCollector(cst.CSTVisitor):
    def __init__(self) -> None:
        self.found: list[cst.Comment] = []

    def visit_Comment(self, node: cst.Comment) -> None:
        self.found.append(node)


def keep_comments(old: cst.CSTNode, new: list[cst.BaseStatement]) -> list[cst.BaseStatement]:
    """Put every comment of ``old`` the rewrite dropped in front of the new statements."""
    kept = {comment.value for statement in new for comment in comments(statement)}
    lost = [cst.EmptyLine(comment=c) for c in comments(old) if c.value not in kept]
    if not lost:
        return new
    first = new[0]
    return [first.with_changes(leading_lines=[*first.leading_lines, *lost]), *new[1:]]


# --- applying the plan ----------------------------------------------------------------------------


class _Replacer(cst.CSTTransformer):
    """Applies planned edits, keyed by the identity of the original node, bottom-up."""

    def __init__(self, edits: Mapping[cst.CSTNode, Edit]) -> None:
        super().__init__()
        self.edits = edits

    def on_leave(self, original_node: cst.CSTNode, updated_node: cst.CSTNode) -> Any:
        edit = self.edits.get(original_node)
        return updated_node if edit is None else edit(updated_node)


def finish(
    parsed: ParsedModule,
    source: str,
    edits: Mapping[cst.CSTNode, Edit],
    imports: Iterable[str] = ("asyncio",),
    unused: Iterable[tuple[str, str | None, str | None]] = (),
    insertions: Sequence[LineEdit] = (),
) -> str:
    """Apply the edits to the parsed statement and splice its new text in, make the
    ``insertions`` (whole lines, outside the statement), add ``imports`` once, drop ``unused``
    imports (module, name, alias) when nothing uses them any more, and check the result
    compiles."""
    new = parsed.module.visit(_Replacer(edits)).code
    if not new.startswith(parsed.wrapper):
        raise RewriteError("the rewrite left the statement it was given")
    region = parsed.region
    first, last = _first_line(region), region.end_lineno or region.lineno
    lines = parsed.source.lines
    text = apply_edits(lines, [LineEdit(first, last, new[len(parsed.wrapper) :]), *insertions])
    starts = [first, *(edit.first for edit in insertions)]
    header = first_statement_after_header(parsed.source.tree)
    before = min(starts if header is None else [header, *starts])
    text = add_imports(text, before, [ImportItem(name) for name in dict.fromkeys(imports)])
    removals = list(unused)
    if removals:
        text = _without_unused_imports(text, removals)
    text = check_compiles(source, text)
    if text == source:
        raise RewriteError("the rewrite changed nothing")
    return text


def _without_unused_imports(text: str, removals: list[tuple[str, str | None, str | None]]) -> str:
    """Drop the leading imports of ``removals`` that nothing in the module uses any more."""
    tree = ast.parse(text)
    used = {node.id for node in ast.walk(tree) if isinstance(node, ast.Name)}
    wanted = [r for r in removals if (r[2] or r[1] or r[0].split(".")[0]) not in used]
    end = header_end(tree)
    if not wanted or not end:
        return text
    lines = ModuleSource.from_tree(text, tree).lines
    head, rest = "".join(lines[:end]), "".join(lines[end:])
    context = CodemodContext()
    for module, obj, alias in wanted:
        RemoveImportsVisitor.remove_unused_import(context, module, obj, alias)
    # the placeholder stands for the module below: the visitor drops nothing the head uses
    module = cst.parse_module(head + _PLACEHOLDER + "\n")
    code = RemoveImportsVisitor(context).transform_module(module).code
    return code[: -len(_PLACEHOLDER) - 1] + rest
