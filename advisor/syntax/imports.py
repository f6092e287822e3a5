"""Adding the imports a rewrite needs, and removing those it left unused, without parsing the
whole module with libcst.

libcst's ``AddImportsVisitor`` only looks at, and only edits, the top of a module: the docstring,
then the import statements before any other statement. So it runs on that part alone, followed by
a placeholder for the statement after it (which carries the comments and blank lines in between,
as that statement would); the rest of the module is kept as text. The result is what the visitor
gives on the whole module, at the cost of parsing a few lines. ``RemoveImportsVisitor`` likewise
edits only the leading imports; whether a name is still used is asked of the whole module's
``ast``.
"""

from __future__ import annotations

import ast
import io
from collections.abc import Sequence

import libcst as cst
from libcst.codemod import CodemodContext
from libcst.codemod.visitors import AddImportsVisitor, ImportItem, RemoveImportsVisitor

from advisor.errors import RewriteError

_PLACEHOLDER = "pass"


def header_end(tree: ast.Module) -> int:
    """The last line of the module's docstring and leading imports (0 if there are none): the
    part ``AddImportsVisitor`` reads and edits."""
    body = tree.body
    end, index = 0, 0
    if body and _is_docstring(body[0]) and _alone(body, 0):
        end, index = body[0].end_lineno or 0, 1
    while (
        index < len(body)
        and isinstance(body[index], ast.Import | ast.ImportFrom)
        and _alone(body, index)
    ):
        end = body[index].end_lineno or 0
        index += 1
    return end


def _is_docstring(statement: ast.stmt) -> bool:
    if isinstance(statement, ast.Expr):
        return isinstance(statement.value, ast.Constant) and isinstance(statement.value.value, str)
    return (
        isinstance(statement, ast.Assign)
        and len(statement.targets) == 1
        and isinstance(statement.targets[0], ast.Name)
        and statement.targets[0].id == "__strict__"
    )


def _alone(body: Sequence[ast.stmt], index: int) -> bool:
    """No other statement shares a line with ``body[index]`` (libcst's SimpleStatementLine of
    one statement)."""
    statement = body[index]
    before = index > 0 and body[index - 1].end_lineno == statement.lineno
    after = index + 1 < len(body) and body[index + 1].lineno == statement.end_lineno
    return not (before or after)


def first_statement_after_header(tree: ast.Module) -> int | None:
    """The first line (decorators included) of the first statement after the docstring and
    leading imports: new imports go before it. None if there is no such statement."""
    end = header_end(tree)
    for statement in tree.body:
        if statement.lineno > end:
            decorators = getattr(statement, "decorator_list", [])
            return min([statement.lineno, *(d.lineno for d in decorators)])
    return None


def add_imports(
    text: str,
    before_line: int | None,
    imports: Sequence[ImportItem],
    unused: Sequence[ImportRemoval] = (),
) -> str:
    """``text`` with ``imports`` added as ``AddImportsVisitor`` adds them to the whole module
    (merged into an existing ``from`` import of the same module at the top, or after the
    leading imports, once).

    ``before_line`` is the first line of the statement that follows the leading imports (or of
    the first rewritten line, if that comes first), None if there is none; the lines above it
    must be those the module had when it was parsed.

    ``unused`` imports (module, name, alias) are dropped first, in the same pass, when nothing
    in the module uses them any more (as ``RemoveImportsVisitor`` then ``AddImportsVisitor``
    on the whole module)."""
    removals = _unused(text, unused) if unused else []
    if not imports and not removals:
        return text
    if before_line is None:
        head, rest, placeholder = text, "", ""
    else:
        lines = io.StringIO(text, newline="").readlines()
        first_line = lines[0] if lines else ""
        newline = first_line[len(first_line.rstrip("\r\n")) :] or "\n"
        head = "".join(lines[: before_line - 1])
        rest = "".join(lines[before_line - 1 :])
        placeholder = _PLACEHOLDER + newline
    module = cst.parse_module(head + placeholder)
    if removals:
        context = CodemodContext()
        for removed, obj, alias in removals:
            RemoveImportsVisitor.remove_unused_import(context, removed, obj, alias)
        module = RemoveImportsVisitor(context).transform_module(module)
    if imports:
        module = module.visit(AddImportsVisitor(CodemodContext(), list(imports)))
    code = module.code
    if placeholder:
        if not code.endswith(placeholder):
            raise RewriteError("adding the imports moved the code after them")
        code = code[: -len(placeholder)]
    return code + rest


# (module, object, asname) of an import to drop when nothing uses it: `import m` is (m, None,
# None), `from m import o as a` is (m, o, a).
ImportRemoval = tuple[str, str | None, str | None]


def _unused(text: str, removals: Sequence[ImportRemoval]) -> list[ImportRemoval]:
    """The removals whose name nothing in the module reads any more."""
    used = {node.id for node in ast.walk(ast.parse(text)) if isinstance(node, ast.Name)}
    return [r for r in removals if (r[2] or r[1] or r[0].split(".")[0]) not in used]


def remove_unused_imports(text: str, removals: Sequence[ImportRemoval]) -> str:
    """Drop the leading imports of ``removals`` that nothing in the module uses any more."""
    tree = ast.parse(text)
    wanted = _unused(text, removals)
    end = header_end(tree)
    if not wanted or not end:
        return text
    lines = io.StringIO(text, newline="").readlines()
    head, rest = "".join(lines[:end]), "".join(lines[end:])
    context = CodemodContext()
    for module, obj, alias in wanted:
        RemoveImportsVisitor.remove_unused_import(context, module, obj, alias)
    # the placeholder stands for the module below: the visitor drops nothing the head uses
    module = cst.parse_module(head + _PLACEHOLDER + "\n")
    code = RemoveImportsVisitor(context).transform_module(module).code
    return code[: -len(_PLACEHOLDER) - 1] + rest


__all__ = [
    "ImportItem",
    "ImportRemoval",
    "add_imports",
    "first_statement_after_header",
    "header_end",
    "remove_unused_imports",
]
