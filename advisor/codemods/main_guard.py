"""Putting a script's top-level code under ``if __name__ == "__main__":`` (CA208's fix, and what a
process-pool rewrite of a module-level loop needs).

Under the spawn and forkserver start methods every worker process imports the main module again;
code that runs on import would start the pool again in each of them. Only the statements after
the module's last ``def``, ``class`` and import move: they are the script's main code, and moving
them leaves every definition a worker needs in place. A name that code binds and a function reads
would be missing in the workers, so such a move is refused.
"""

from __future__ import annotations

import ast
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from advisor.errors import RewriteError
from advisor.model import Finding
from advisor.syntax.bindings import bound_in, global_reads
from advisor.syntax.edits import LineEdit, apply_line_edits, check_compiles, insertion_line
from advisor.syntax.script_guard import main_guard_branch, runs_only_as_script
from advisor.syntax.sites import statement_holding
from advisor.syntax.source import Source
from advisor.syntax.statements import statements_starting_at

__all__ = ["GuardPlan", "fix_main_guard", "guarded_region", "plan_main_guard", "unguarded_script"]

_DEFINITIONS = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Import, ast.ImportFrom)
GUARD = 'if __name__ == "__main__":'


@dataclass(frozen=True, slots=True)
class GuardPlan:
    """Which lines move under the guard and how."""

    first: int  # first line that moves (comments written right above the first statement too)
    last: int  # last line the edit replaces (the end of the existing guard when merging)
    moved: tuple[ast.stmt, ...]  # the statements that move
    indent: str  # indentation of the guard's body
    header: str  # the guard's header line, line ending included
    existing: ast.If | None  # a guard at the end of the module the statements join


def plan_main_guard(module: Source, anchor: ast.stmt) -> GuardPlan | str:
    """How to put ``anchor`` (a statement of the module's body) and the rest of the script's
    main code under the guard, or why it cannot be done mechanically."""
    body = module.tree.body
    index = next(i for i, statement in enumerate(body) if statement is anchor)
    if isinstance(anchor, ast.ClassDef):
        return f"the code runs in the body of class `{anchor.name}`: move it into a method"
    if isinstance(anchor, ast.FunctionDef | ast.AsyncFunctionDef):
        return f"the code runs where `{anchor.name}()` is defined (a decorator or default value)"
    last_definition = max(
        (i for i, statement in enumerate(body) if isinstance(statement, _DEFINITIONS)), default=-1
    )
    if index < last_definition:
        later = body[last_definition]
        return (
            f"a function, class or import follows it at module level (line {later.lineno}): "
            'only the code after those moves under `if __name__ == "__main__":`'
        )
    moved = list(body[last_definition + 1 :])
    existing: ast.If | None = None
    guards = [s for s in moved if isinstance(s, ast.If) and main_guard_branch(s.test) is not None]
    if guards:
        guard = guards[-1]
        if guard is not moved[-1] or len(guards) > 1 or not _can_join(guard):
            return (
                f'the module already has an `if __name__ == "__main__":` block (line '
                f"{guard.lineno}) that this code cannot simply join: move it there by hand"
            )
        existing, moved = guard, moved[:-1]
    if not moved:
        return "it is in the `if __name__` block's other branch, which runs on import"
    first = insertion_line(module, moved[0])
    if existing is None:
        return GuardPlan(
            first,
            moved[-1].end_lineno or moved[-1].lineno,
            tuple(moved),
            module.indent_unit,
            GUARD + module.newline,
            None,
        )
    return GuardPlan(
        first,
        existing.end_lineno or existing.lineno,
        tuple(moved),
        module.indentation(existing.body[0].lineno),
        module.lines[existing.lineno - 1],
        existing,
    )


def _can_join(guard: ast.If) -> bool:
    """A plain ``if __name__ == "__main__":`` with its condition on one line and its body on
    the lines below: moved statements can go at the top of its body."""
    return (
        main_guard_branch(guard.test) == "body"
        and not guard.orelse
        and guard.test.end_lineno == guard.lineno
        and guard.body[0].lineno > guard.lineno
    )


def hidden_from_workers(plan: GuardPlan, readers: Iterable[ast.AST]) -> str | None:
    """Why a worker process would miss a name the moved code binds (it imports the module
    without running that code), if a function or class it may run reads that name."""
    moved = bound_in(plan.moved)
    for name, reader in global_reads(readers).items():
        if name in moved:
            return (
                f"`{name}` is set by the script's main code and read by `{reader}`: under the "
                "guard, worker processes would not have it"
            )
    return None


def guarded_region(
    module: Source, plan: GuardPlan, inner: LineEdit | None = None, before: str = ""
) -> LineEdit:
    """The edit that puts the plan's lines under the guard: ``before`` (e.g. a helper function)
    first, then the guard; ``inner`` replaces some of the moved lines with text already indented
    for the guard's body. Lines inside multi-line strings are not indented (that would change
    the strings)."""
    protected = _string_continuations(plan.moved)
    end = plan.existing.lineno - 1 if plan.existing is not None else plan.last
    if plan.existing is not None:
        while end >= plan.first and not module.lines[end - 1].strip():
            end -= 1  # blank lines before the existing guard stay outside the moved code
    out = [before, plan.header]
    number = plan.first
    while number <= end:
        if inner is not None and number == inner.first:
            out.append(inner.text)
            number = inner.last + 1
            continue
        line = module.lines[number - 1]
        keep = number in protected or not line.strip()
        out.append(line if keep else plan.indent + line)
        number += 1
    if out[-1] and not out[-1].endswith(("\n", "\r")):
        out.append(module.newline)  # the moved code ended the file without a line ending
    if plan.existing is not None:
        out += module.lines[plan.existing.lineno : plan.last]
    return LineEdit(plan.first, plan.last, "".join(out))


def _string_continuations(statements: Sequence[ast.stmt]) -> set[int]:
    """Lines that continue a string begun on an earlier line."""
    lines: set[int] = set()
    for statement in statements:
        for node in ast.walk(statement):
            is_string = isinstance(node, ast.JoinedStr) or (
                isinstance(node, ast.Constant) and isinstance(node.value, str | bytes)
            )
            end = getattr(node, "end_lineno", None)
            if is_string and end is not None and end > node.lineno:
                lines.update(range(node.lineno + 1, end + 1))
    return lines


def unguarded_script(module: Source) -> ast.stmt | None:
    """The first call statement after the module's last definition (``main()``,
    ``sys.exit(main())``, ``raise SystemExit(main())``) when nothing in the module is under a
    ``__main__`` guard: a script whose main code would run again in every worker process. (An
    assignment such as ``log = logging.getLogger()`` is what a library does on import: no.)"""
    body = module.tree.body
    if any(isinstance(s, ast.If) and main_guard_branch(s.test) for s in body):
        return None
    last_definition = max(
        (i for i, statement in enumerate(body) if isinstance(statement, _DEFINITIONS)), default=-1
    )
    for statement in body[last_definition + 1 :]:
        called = statement.value if isinstance(statement, ast.Expr) else None
        if isinstance(statement, ast.Raise):
            called = statement.exc
        if isinstance(called, ast.Call):
            return statement
    return None


def fix_main_guard(source: str, finding: Finding) -> str:
    """CA208: put the module-level code that starts a process pool or Process, and the rest of
    the script's main code after it, under ``if __name__ == "__main__":``."""
    module = Source.for_rewrite(source)
    if finding.site is not None:
        held = statement_holding(module, finding.site)
        if held is None:
            raise RewriteError(f"line {finding.line}: the call is not where the analysis saw it")
        located = held
    else:  # a finding without a site (a saved report): the statements its line is in
        found = statements_starting_at(module.tree, finding.line) or _containing(
            module, finding.line
        )
        if not found:
            raise RewriteError(f"line {finding.line}: no statement starts on this line")
        located = found[0]
    if runs_only_as_script(located.ancestors, located.node):
        raise RewriteError(f'line {finding.line}: already under `if __name__ == "__main__":`')
    plan = plan_main_guard(module, located.top_level)
    if isinstance(plan, str):
        raise RewriteError(f"line {finding.line}: {plan}")
    definitions = [s for s in module.tree.body if isinstance(s, _DEFINITIONS[:3])]
    hidden = hidden_from_workers(plan, definitions)
    if hidden is not None:
        raise RewriteError(f"line {finding.line}: {hidden}")
    rewritten = apply_line_edits(module.lines, [guarded_region(module, plan)])
    return check_compiles(source, rewritten)


def _containing(module: Source, line: int) -> list:
    """The innermost statement spanning ``line`` (a call on a continuation line)."""
    for start in range(line - 1, 0, -1):
        found = [
            located
            for located in statements_starting_at(module.tree, start)
            if (located.node.end_lineno or start) >= line
        ]
        if found:
            return found
    return []
