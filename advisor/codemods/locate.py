"""Where a rewrite happens, found fast, and new text spliced in by line range.

Python's ``ast`` locates the statement a finding points at and its context (~1 s for 60,000
lines); libcst parses and prints only that statement's own lines. Parsing the whole module with
libcst and its position metadata took ~70 s on such a file, for one loop.
"""

from __future__ import annotations

import ast
import bisect
import contextlib
import gc
import io
import warnings
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass

import libcst as cst

from advisor.codemods.errors import RewriteError

# The fields of a node that hold a list of statements (or of handlers / match cases holding them).
_BLOCKS = ("body", "orelse", "finalbody", "handlers", "cases")
FUNCTIONS = (ast.FunctionDef, ast.AsyncFunctionDef)
SCOPES = (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda, ast.ClassDef)


@dataclass(frozen=True, slots=True)
class ModuleSource:
    """A module's text, its lines (line endings kept) and its ``ast``."""

    text: str
    lines: tuple[str, ...]
    tree: ast.Module
    newline: str  # the first line ending: what added lines use
    indent_unit: str  # one level of indentation, as the module's first block writes it

    @classmethod
    def parse(cls, text: str) -> ModuleSource:
        try:
            with warnings.catch_warnings(), _collector_paused():
                warnings.simplefilter("ignore")  # SyntaxWarnings are the user's business
                tree = ast.parse(text)
        except SyntaxError as error:
            message = f"the module does not parse (line {error.lineno}: {error.msg})"
            raise RewriteError(message) from None
        except (ValueError, RecursionError, MemoryError) as error:
            message = f"the module cannot be parsed: {error or 'nested too deeply'}"
            raise RewriteError(message) from None
        return cls.from_tree(text, tree)

    @classmethod
    def from_tree(cls, text: str, tree: ast.Module) -> ModuleSource:
        """For a caller that parsed ``text`` already."""
        # Python ends lines at \n, \r\n and \r only (str.splitlines also splits at \f, \x1c...).
        lines = tuple(io.StringIO(text, newline="").readlines())
        newline = next((line[len(line.rstrip("\r\n")) :] for line in lines[:1]), "") or "\n"
        return cls(text, lines, tree, newline, _indent_unit(tree, lines))

    def indentation(self, line: int) -> str:
        text = self.lines[line - 1]
        return text[: len(text) - len(text.lstrip(" \t\f"))]

    def after(self, line: int, byte_column: int) -> str:
        """The rest of ``line`` after a column as ``ast`` counts it (UTF-8 bytes)."""
        return self.lines[line - 1].encode()[byte_column:].decode(errors="replace")

    def segment(self, node: ast.stmt) -> str:
        """The source of a statement that does not start its line (``if x: y = [...]``)."""
        first, last = node.lineno, node.end_lineno or node.lineno
        lines = [line.encode() for line in self.lines[first - 1 : last]]
        lines[-1] = lines[-1][: node.end_col_offset]
        lines[0] = lines[0][node.col_offset :]
        return b"".join(lines).decode(errors="replace")


@contextlib.contextmanager
def _collector_paused() -> Iterator[None]:
    """Building a big syntax tree makes millions of objects, none of them garbage; the cyclic
    collector scanning them meanwhile doubles the parse time (1.4 s → 0.7 s for 60,000 lines)."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def _indent_unit(tree: ast.Module, lines: Sequence[str]) -> str:
    """The indentation the first block of the module adds (what libcst calls default_indent)."""
    stack: list[ast.AST] = list(reversed(tree.body))
    while stack:
        node = stack.pop()
        body = getattr(node, "body", None)
        if isinstance(node, ast.stmt) and isinstance(body, list) and body:
            first = body[0]
            if first.lineno > node.lineno:
                outer, inner = (_leading(lines[n.lineno - 1]) for n in (node, first))
                if inner.startswith(outer) and len(inner) > len(outer):
                    return inner[len(outer) :]
            stack.extend(reversed(body))
    return "    "


def _leading(text: str) -> str:
    return text[: len(text) - len(text.lstrip(" \t\f"))]


# --- which statement ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Located:
    """A statement and the nodes around it, the module first and its parent last."""

    node: ast.stmt
    ancestors: tuple[ast.AST, ...]

    @property
    def parent(self) -> ast.AST:
        return self.ancestors[-1]

    @property
    def function(self) -> ast.FunctionDef | ast.AsyncFunctionDef | None:
        """The innermost function the statement runs in, if any."""
        for node in reversed(self.ancestors):
            if isinstance(node, FUNCTIONS):
                return node
            if isinstance(node, ast.ClassDef):
                return None
        return None

    @property
    def functions(self) -> list[ast.FunctionDef | ast.AsyncFunctionDef]:
        """Every function around the statement, innermost first, up to a class or the module."""
        found = []
        for node in reversed(self.ancestors):
            if isinstance(node, ast.ClassDef):
                break
            if isinstance(node, FUNCTIONS):
                found.append(node)
        return found

    @property
    def top_level(self) -> ast.stmt:
        """The statement of the module's own body that holds this one (or is it)."""
        return self.ancestors[1] if len(self.ancestors) > 1 else self.node  # type: ignore[return-value]


def statements_starting_at(tree: ast.Module, line: int) -> list[Located]:
    """Every statement whose first line is ``line``, outermost first."""
    found: list[Located] = []
    stack: list[tuple[ast.AST, tuple[ast.AST, ...]]] = [(tree, ())]
    while stack:
        node, ancestors = stack.pop()
        inner = (*ancestors, node)
        for name in _BLOCKS:
            for child in _spanning(getattr(node, name, None) or [], line):
                if isinstance(child, ast.stmt) and child.lineno == line:
                    found.append(Located(child, inner))
                stack.append((child, inner))
    found.sort(key=lambda located: len(located.ancestors))
    return found


def _spanning(block: list[ast.AST], line: int) -> list[ast.AST]:
    """The nodes of a block (statements, handlers or match cases) whose lines include ``line``.
    Blocks are in source order, so a binary search finds the last one starting at or before the
    line; only it, and siblings starting on the same line (``a; b``), can include it."""
    if not block:
        return []
    if isinstance(block[0], ast.match_case):
        return list(block)  # cases carry no position of their own; they are few
    index = bisect.bisect_right(block, line, key=lambda n: n.lineno) - 1  # type: ignore[attr-defined]
    if index < 0:
        return []
    start = block[index].lineno  # type: ignore[attr-defined]
    first = index
    while first > 0 and block[first - 1].lineno == start:  # type: ignore[attr-defined]
        first -= 1
    return [n for n in block[first : index + 1] if (n.end_lineno or n.lineno) >= line]  # type: ignore[attr-defined]


def is_compound(node: ast.stmt) -> bool:
    return any(
        isinstance(getattr(node, name, None), list) for name in ("body", "handlers", "cases")
    )


# --- one statement's own lines in libcst ----------------------------------------------------------


@dataclass(frozen=True, slots=True)
class StatementText:
    """One statement parsed with libcst from its own lines, and how to print what replaces it."""

    statement: cst.BaseStatement
    first: int  # first and last line of the statement
    last: int
    indent: str  # its indentation
    unit: str
    newline: str
    trailing_newline: bool  # False when the statement ends the file without a line ending

    def render(self, statements: Sequence[cst.BaseStatement], indent: str | None = None) -> str:
        """``statements`` printed at ``indent`` (the statement's own by default)."""
        return render_statements(
            statements,
            self.indent if indent is None else indent,
            unit=self.unit,
            newline=self.newline,
            trailing_newline=self.trailing_newline,
        )


def parse_statement(module: ModuleSource, node: ast.stmt) -> StatementText | str:
    """Parse ``node``'s lines alone. A wrapper block keeps its indentation as it is (dedenting
    would break multi-line strings), and one block indented by the module's unit first makes
    libcst take that unit as its default indentation for the blocks the rewrite adds."""
    first, last = node.lineno, node.end_lineno or node.lineno
    indent = module.indentation(first)
    before = module.lines[first - 1].encode()[: node.col_offset].strip()
    rest = module.after(last, node.end_col_offset or 0).strip()
    if before or (rest and not rest.startswith("#")):
        return "line has several statements"
    nl, unit = module.newline, module.indent_unit
    wrapper = f"if 1:{nl}{unit}pass{nl}" + (f"if 1:{nl}" if indent else "")
    snippet = "".join(module.lines[first - 1 : last])
    try:
        parsed = cst.parse_module(wrapper + snippet)
    except (cst.ParserSyntaxError, RecursionError):
        return "libcst cannot parse this statement"
    body: Sequence[cst.BaseStatement] = parsed.body[1:]
    if indent:
        block = parsed.body[1]
        assert isinstance(block, cst.If) and isinstance(block.body, cst.IndentedBlock)
        body = block.body.body
    if len(body) != 1:
        return "line has several statements"
    return StatementText(body[0], first, last, indent, unit, nl, parsed.has_trailing_newline)


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
    assert code.startswith(header)
    return code[len(header) :]


# --- splicing -------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Edit:
    """Replace lines ``first``..``last`` (1-based, inclusive) with ``text``; ``last`` is
    ``first - 1`` for an insertion before line ``first``."""

    first: int
    last: int
    text: str


def apply_edits(lines: Sequence[str], edits: Iterable[Edit]) -> str:
    """The text with every edit made; edits must not overlap."""
    out = list(lines)
    previous = len(out) + 1
    for edit in sorted(edits, key=lambda e: (e.first, e.last), reverse=True):
        if edit.last >= previous:
            raise RewriteError(f"line {edit.first}: two rewrites overlap")
        out[edit.first - 1 : edit.last] = [edit.text]
        previous = edit.first
    return "".join(out)


def insertion_line(module: ModuleSource, statement: ast.stmt) -> int:
    """The line before which a new module-level statement goes so that ``statement`` keeps the
    comment lines written right above it (and its decorators)."""
    first = min([statement.lineno, *(d.lineno for d in getattr(statement, "decorator_list", []))])
    comment = module.indentation(first) + "#"
    while first > 1 and module.lines[first - 2].startswith(comment):
        first -= 1
    return first


def blank_padding(module: ModuleSource, line: int, wanted: int) -> str:
    """Blank lines to add before a new statement inserted at ``line`` so that ``wanted`` blank
    lines separate it from the code above (none at the top of the file)."""
    blank = 0
    while line - blank > 1 and not module.lines[line - blank - 2].strip():
        blank += 1
    if line - blank <= 1:
        return ""
    return module.newline * max(0, wanted - blank)


def syntax_error(code: str) -> SyntaxError | None:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            compile(code, "<rewrite>", "exec", dont_inherit=True)
    except (SyntaxError, ValueError) as error:
        return error if isinstance(error, SyntaxError) else SyntaxError(str(error))
    return None


def check_compiles(source: str, rewritten: str) -> str:
    """``rewritten``, unless it does not compile while the source did: a bug of ours, never the
    user's, so refuse rather than hand back code that will not run."""
    error = syntax_error(rewritten)
    if error is not None and syntax_error(source) is None:
        raise RewriteError(f"line {error.lineno}: the rewrite does not compile ({error.msg})")
    return rewritten


__all__ = [
    "FUNCTIONS",
    "SCOPES",
    "Edit",
    "Located",
    "ModuleSource",
    "StatementText",
    "apply_edits",
    "blank_padding",
    "check_compiles",
    "insertion_line",
    "is_compound",
    "parse_statement",
    "render_statements",
    "statements_starting_at",
    "syntax_error",
]
