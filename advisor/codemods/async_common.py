"""What the asyncio fixers share: the region a fix edits, whether a name is rebound where the fix
uses it, the calls the analysis flagged, building new code, and finishing the rewrite.

A fix edits one function (the innermost around its finding; a module-level statement when there
is none), so only that statement's lines are parsed with libcst (see
:mod:`advisor.syntax.region`). Python's ``ast`` of the whole module answers what the rest of the
module holds: its imports, its module-level names and functions. The edits are planned on the
libcst tree and applied in one transform keyed by node identity, then the statement's new text
is spliced in by line range, so nothing else is ever touched.
"""

from __future__ import annotations

import ast
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass

import libcst as cst
from libcst.codemod.visitors import ImportItem

from advisor.analysis.knowledge import load_knowledge
from advisor.errors import RewriteError
from advisor.model import Finding
from advisor.syntax import bindings as binding_model
from advisor.syntax.bindings import declarations, locals_of, module_binds
from advisor.syntax.comments import keep_comments
from advisor.syntax.edits import LineEdit, apply_line_edits, checked_rewrite
from advisor.syntax.imports import (
    ImportRemoval,
    add_imports,
    first_statement_after_header,
    remove_unused_imports,
)
from advisor.syntax.region import Region, region_around
from advisor.syntax.resolve import build_resolver
from advisor.syntax.scopes import Scope, instance_attributes, module_constants, scope_of
from advisor.syntax.source import Source
from advisor.syntax.statements import FUNCTIONS

__all__ = ["Edit", "LineEdit", "Region", "keep_comments"]

# Without a profile there is no measured rate to size the bound from. 20 is the low end of the
# 20-100 that CA303 recommends and httpx's default keep-alive pool, so calls reuse connections
# instead of opening new ones; the generated line says it is a default to tune.
DEFAULT_LIMIT = 20

_BLANK = cst.EmptyLine(indent=False)  # no trailing spaces on the blank line
_AST_SCOPES = (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda, ast.ClassDef)

Edit = Callable[[cst.CSTNode], cst.CSTNode | cst.FlattenSentinel | cst.RemovalSentinel]


def parse_around(source: str, line: int, end_line: int | None = None) -> Region:
    """The region a fix for lines ``line``..``end_line`` edits, parsed."""
    return region_around(Source.for_rewrite(source), line, end_line)


# --- names where the fix uses them ----------------------------------------------------------------


def rebinds(parsed: Region, name: str, at: cst.CSTNode | None = None) -> bool:
    """Is ``name``, where ``at`` stands (the module level when None), bound to anything but
    ``import name``, so that ``asyncio.x`` or a builtin would mean something else? Bindings
    in functions and classes that do not enclose ``at`` are not seen from there."""
    if module_binds(parsed.source.tree, name):
        return True
    if at is None:
        return False
    outer = [n for n in parsed.outer if isinstance(n, FUNCTIONS)]
    if any(name in locals_of(function) for function in outer):
        return True
    for scope in _scopes_around(parsed, at):
        body = scope.body if isinstance(scope.body, list) else [scope.body]
        if not isinstance(scope, ast.ClassDef) and name in binding_model.parameters(scope.args):
            return True
        for binding in binding_model.bindings(body):
            plain_import = isinstance(binding.node, ast.Import) and binding.imported == name
            if binding.name == name and not plain_import:
                return True
    return False


def _scopes_around(parsed: Region, at: cst.CSTNode) -> list[ast.AST]:
    """The functions, lambdas and classes of the region (itself included) whose code holds
    ``at``, outermost first."""
    line, column = parsed.start(at)
    where = (line, len(parsed.source.lines[line - 1][:column].encode()))
    found: list[ast.AST] = []
    stack: list[ast.AST] = [parsed.node]
    while stack:
        node = stack.pop()
        if isinstance(node, _AST_SCOPES) and _holds(node, where):
            found.append(node)
        stack.extend(
            child
            for child in ast.iter_child_nodes(node)
            if not hasattr(child, "lineno") or _holds(child, where)
        )
    return sorted(found, key=lambda n: (n.lineno, n.col_offset))  # type: ignore[attr-defined]


def _holds(node: ast.AST, where: tuple[int, int]) -> bool:
    start = (node.lineno, node.col_offset)  # type: ignore[attr-defined]
    end = (node.end_lineno, node.end_col_offset)  # type: ignore[attr-defined]
    return start <= where < end


def declared(parsed: Region, function: cst.FunctionDef) -> dict[str, str]:
    """The names ``function`` itself declares ``global`` or ``nonlocal`` → which of the two."""
    return declarations(ast_function(parsed, function))


def ast_function(
    parsed: Region, function: cst.FunctionDef
) -> ast.FunctionDef | ast.AsyncFunctionDef:
    """The ``ast`` node of a function of the region."""
    line = parsed.line(function.name)
    for node in ast.walk(parsed.node):
        if isinstance(node, FUNCTIONS) and node.lineno == line and node.name == function.name.value:
            return node
    raise RewriteError(f"line {line}: the function is not where it was parsed")


def module_functions(parsed: Region) -> dict[str, ast.FunctionDef]:
    """The module's own plain functions, by name."""
    return {n.name: n for n in parsed.source.tree.body if isinstance(n, ast.FunctionDef)}


# --- the calls the analysis flagged ---------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ResolvedCall:
    """A call found by Python's ``ast``, with the qualified name the analysis gives it."""

    line: int
    column: int  # 0-based, in characters (as libcst counts), not ast's UTF-8 bytes
    qualified: str | None
    in_async: bool  # directly in the body of an `async def` (not a nested def or lambda)


def resolved_calls(
    parsed: Region, line: int, end_line: int, *, within: bool = False
) -> list[ResolvedCall]:
    """Every call spanning exactly ``line``..``end_line`` (``within``: every call inside those
    lines), resolved as the analysis does.

    Only the functions around those lines have their scopes resolved; the rest is skipped."""
    tree, lines = parsed.source.tree, parsed.source.lines
    made = load_knowledge().instance_types
    module = Scope(build_resolver(tree, made), {}, module_constants(tree))
    found: list[ResolvedCall] = []
    stack: list[tuple[ast.AST, Scope, ast.AST | None]] = [(n, module, None) for n in tree.body]
    classes: dict[int, ast.ClassDef] = {}  # a class's own methods, by id
    while stack:
        node, scope, function = stack.pop()
        if isinstance(node, ast.ClassDef):
            classes.update((id(m), node) for m in node.body if isinstance(m, FUNCTIONS))
        if isinstance(node, (*FUNCTIONS, ast.Lambda)):
            if node.lineno > end_line or (node.end_lineno or node.lineno) < line:
                continue  # decorators and defaults sit on the lines before the body, if at all
            cls = classes.get(id(node))
            attributes = None if cls is None else instance_attributes(cls, scope)
            inner = scope_of(node, scope, attributes)
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


def flagged_calls(parsed: Region, finding: Finding) -> list[ResolvedCall]:
    """The call a finding's site names, resolved (for a finding without a site, a saved report
    or a hand-made one: every call spanning its lines)."""
    calls = resolved_calls(parsed, finding.line, finding.end_line)
    site = finding.site
    if site is None:
        return calls
    return [c for c in calls if (c.line, c.column) == (site.line, site.column - 1)]


def within_site(parsed: Region, node: cst.CSTNode, finding: Finding) -> bool:
    """Is ``node`` inside the finding's site (the loop, call or statement it located)? Any node
    is, for a finding without a site."""
    site = finding.site
    if site is None:
        return True
    start = parsed.start(node)
    end = (parsed.end_line(node), parsed.positions[node].end.column)
    return (site.line, site.column - 1) <= start and end <= (site.end_line, site.end_column - 1)


def cst_call_at(parsed: Region, call: ResolvedCall) -> cst.Call:
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
    parsed: Region, old: cst.BaseExpression, new: cst.BaseExpression
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


# --- applying the plan ----------------------------------------------------------------------------


def finish(
    parsed: Region,
    source: str,
    edits: Mapping[cst.CSTNode, Edit],
    imports: Iterable[str] = ("asyncio",),
    unused: Iterable[ImportRemoval] = (),
    insertions: Sequence[LineEdit] = (),
) -> str:
    """Apply the edits to the parsed statement and splice its new text in, make the
    ``insertions`` (whole lines, outside the statement), add ``imports`` once, drop ``unused``
    imports (module, name, alias) when nothing uses them any more, and check the result
    compiles."""
    statement = parsed.edited(edits)
    text = apply_line_edits(parsed.source.lines, [statement, *insertions])
    starts = [parsed.first, *(edit.first for edit in insertions)]
    header = first_statement_after_header(parsed.source.tree)
    before = min(starts if header is None else [header, *starts])
    text = add_imports(text, before, [ImportItem(name) for name in dict.fromkeys(imports)])
    removals = list(unused)
    if removals:
        text = remove_unused_imports(text, removals)
    return checked_rewrite(source, text)
