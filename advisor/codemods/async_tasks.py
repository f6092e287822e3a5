"""CA302: ``asyncio.run`` in a loop → one event loop; CA304: a discarded task → kept referenced.

CA302 moves the loop into a nested ``async def`` that awaits each coroutine in turn, run by one
``asyncio.run``: the items keep their order and their exceptions, only the per-item loop set-up
and tear-down go (CA104 can then run them together). CA304 applies the asyncio documentation's
pattern: a module-level set holds each background task until it is done.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator, Sequence

import libcst as cst

from advisor.codemods.async_common import (
    Edit,
    Region,
    as_primary,
    assign,
    async_def,
    await_,
    call,
    cst_call_at,
    declared,
    finish,
    flagged_calls,
    last_name,
    module_functions,
    parse_around,
    rebinds,
    source_of,
    statement,
    within_site,
)
from advisor.errors import RewriteError
from advisor.model import Finding
from advisor.syntax.edits import LineEdit
from advisor.syntax.imports import header_end

__all__ = ["fix_asyncio_run_in_loop", "fix_discarded_task"]

_RUN = "asyncio.run"
# Calls that start or fetch an event loop: run inside the one running loop, they would fail
# ("asyncio.run() cannot be called from a running event loop") or act on the wrong loop.
_LOOP_RUNNERS = frozenset(
    {"run", "run_until_complete", "run_forever", "Runner", "new_event_loop", "set_event_loop",
     "get_event_loop"}
)  # fmt: skip
_BLANK = cst.EmptyLine(indent=False)
_TASK_FACTORIES = frozenset({"create_task", "ensure_future"})
_TASK_SET = "_background_tasks"
_TASK_SET_NAME = re.compile(rf"{_TASK_SET}(_\d+)?")
_TASK_SET_COMMENT = (
    "# tasks running in the background: the event loop keeps only weak references to them"
)


# --- CA302 ----------------------------------------------------------------------------------------


def fix_asyncio_run_in_loop(source: str, finding: Finding) -> str:
    """CA302: ``for x in xs: asyncio.run(work(x))`` → a nested ``async def`` holding the loop,
    with ``await work(x)``, run once by ``asyncio.run``; a comprehension likewise."""
    parsed = parse_around(source, finding.line, finding.end_line)
    run = _flagged_run(parsed, finding)
    if len(run.args) != 1 or run.args[0].keyword is not None or run.args[0].star:
        raise RewriteError("`asyncio.run` is given more than the coroutine (debug=, ...)")
    scope = parsed.scope_of(run)
    if isinstance(scope, cst.FunctionDef) and scope.asynchronous is not None:
        raise RewriteError("`asyncio.run` is inside an `async def`: there is a loop running")
    if isinstance(scope, cst.ClassDef | cst.Lambda):
        raise RewriteError("`asyncio.run` is in a class body or lambda")
    function = scope if isinstance(scope, cst.FunctionDef) else None
    region = _region(parsed, run, function)
    mover = _Mover(parsed, run, function, region)
    return finish(parsed, source, mover.edits(), imports=())


def _flagged_run(parsed: Region, finding: Finding) -> cst.Call:
    for resolved in flagged_calls(parsed, finding):
        if resolved.qualified == _RUN:
            return cst_call_at(parsed, resolved)
    raise RewriteError(f"line {finding.line}: no `asyncio.run` call")


def _region(
    parsed: Region, run: cst.Call, function: cst.FunctionDef | None
) -> cst.For | cst.BaseComp:
    """What moves into the coroutine: the outermost comprehension around the call in its
    statement, else the loop around it, widened to enclosing ``for`` loops (reached through
    ``if`` statements only) while their whole body can move too."""
    comprehension: cst.BaseComp | None = None
    loops: list[cst.For] = []
    for ancestor in parsed.ancestors(run):
        if ancestor is function or isinstance(ancestor, cst.Module):
            break
        if not loops and comprehension is None:
            if isinstance(ancestor, cst.GeneratorExp):
                raise RewriteError(
                    "the call is in a generator expression: awaiting in it would make it an "
                    "async generator"
                )
            if isinstance(ancestor, cst.Lambda):
                raise RewriteError("the call is in a lambda")
        if isinstance(ancestor, cst.ListComp | cst.SetComp | cst.DictComp) and not loops:
            comprehension = ancestor
        elif isinstance(ancestor, cst.BaseStatement):
            if comprehension is not None:
                return comprehension
            if isinstance(ancestor, cst.While) and not loops:
                raise RewriteError("the loop is a `while` loop: its items are not known upfront")
            if isinstance(ancestor, cst.For):
                if ancestor.asynchronous is not None:
                    raise RewriteError("the loop is an `async for`")
                loops.append(ancestor)
            elif loops and not isinstance(ancestor, cst.If):
                break  # widen through `for` and `if` only
    if comprehension is not None:
        return comprehension
    if not loops:
        raise RewriteError("`asyncio.run` is not in a `for` loop or comprehension")
    for loop in reversed(loops):  # the outermost that can move
        if _movable(parsed, run, loop, function) is None:
            return loop
    return loops[0]


def _movable(
    parsed: Region, run: cst.Call, region: cst.CSTNode, function: cst.FunctionDef | None
) -> str | None:
    """Why ``region`` cannot run inside the coroutine, if it cannot."""
    finder = _Unmovable(parsed, run, function)
    region.visit(finder)
    return finder.problem


class _Unmovable(cst.CSTVisitor):
    """The first thing in a loop body that would behave differently inside a running event loop
    or inside a nested function: a return or yield, a definition, a global declaration, a call
    that runs an event loop itself (directly or through a function of this module)."""

    def __init__(self, parsed: Region, run: cst.Call, function: cst.FunctionDef | None) -> None:
        self.parsed = parsed
        self.run_code = source_of(run.func)
        self.function = function
        self.problem: str | None = None

    def _note(self, problem: str) -> bool:
        self.problem = self.problem or problem
        return False

    def visit_Return(self, node: cst.Return) -> bool:
        return self._note("the loop body returns")

    def visit_Yield(self, node: cst.Yield) -> bool:
        return self._note("the loop body yields")

    def visit_Await(self, node: cst.Await) -> bool:
        return self._note("the loop body awaits")

    def visit_FunctionDef(self, node: cst.FunctionDef) -> bool:
        return self._note("the loop body defines a function")

    def visit_ClassDef(self, node: cst.ClassDef) -> bool:
        return self._note("the loop body defines a class")

    def visit_Global(self, node: cst.Global) -> bool:
        return self._note("the loop body declares a name global")

    def visit_Nonlocal(self, node: cst.Nonlocal) -> bool:
        return self._note("the loop body declares a name nonlocal")

    def visit_Import(self, node: cst.Import) -> bool:
        return self._note("the loop body imports")

    def visit_ImportFrom(self, node: cst.ImportFrom) -> bool:
        return self._note("the loop body imports")

    def visit_Del(self, node: cst.Del) -> bool:
        return self._note("the loop body deletes a name")

    def visit_MatchAs(self, node: cst.MatchAs) -> bool:
        return self._note("the loop body binds names in a `match`")

    def visit_Call(self, node: cst.Call) -> bool:
        if source_of(node.func) == self.run_code:
            if len(node.args) != 1 or node.args[0].keyword is not None or node.args[0].star:
                return self._note("`asyncio.run` is given more than the coroutine")
            return True  # the coroutine expression: made here, awaited instead of run
        name = last_name(node.func)
        if name in _LOOP_RUNNERS:
            return self._note(f"the loop body calls `{source_of(node.func)}`, which runs a loop")
        if isinstance(node.func, cst.Name):
            runner = _runs_a_loop(self.parsed, node.func.value, self.function)
            if runner is not None:
                return self._note(
                    f"`{node.func.value}` calls `{runner}`, which cannot run inside the event loop"
                )
        return True


def _runs_a_loop(parsed: Region, name: str, function: cst.FunctionDef | None) -> str | None:
    """The loop-running call a function of this module makes (directly or through others): one
    defined next to the loop (libcst), or at module level (``ast``, the rest of the module)."""
    local = {
        node.name.value: node
        for node in parsed.nodes(cst.FunctionDef)
        if parsed.scope_of(node) is function and node.asynchronous is None
    }
    module = module_functions(parsed)
    seen: set[str] = set()
    pending = [name]
    while pending:
        current = pending.pop()
        if current in seen:
            continue
        seen.add(current)
        if current in local:
            for node in _calls(local[current]):
                if last_name(node.func) in _LOOP_RUNNERS:
                    return source_of(node.func)
                if isinstance(node.func, cst.Name):
                    pending.append(node.func.value)
        elif current in module:
            for node in ast.walk(module[current]):
                if not isinstance(node, ast.Call):
                    continue
                func = node.func
                called = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", None)
                if called in _LOOP_RUNNERS:
                    return ast.unparse(func)
                if isinstance(func, ast.Name):
                    pending.append(func.id)
    return None


def _calls(root: cst.CSTNode) -> Iterator[cst.Call]:
    collector = _CallCollector()
    root.visit(collector)
    return iter(collector.calls)


class _CallCollector(cst.CSTVisitor):
    def __init__(self) -> None:
        self.calls: list[cst.Call] = []

    def visit_Call(self, node: cst.Call) -> None:
        self.calls.append(node)


class _Mover:
    """Builds the nested coroutine around ``region`` and the one ``asyncio.run`` of it."""

    def __init__(
        self,
        parsed: Region,
        run: cst.Call,
        function: cst.FunctionDef | None,
        region: cst.For | cst.BaseComp,
    ) -> None:
        self.parsed, self.run, self.function, self.region = parsed, run, function, region

    def edits(self) -> dict[cst.CSTNode, Edit]:
        parsed, region = self.parsed, self.region
        problem = _movable(parsed, self.run, region, self.function)
        if problem is not None:
            raise RewriteError(problem)
        run_code = source_of(self.run.func)
        name = self._coroutine_name()
        edits: dict[cst.CSTNode, Edit] = {}
        for node in _calls(region):
            if source_of(node.func) == run_code:
                edits[node] = _awaited_argument(parsed, node)
        run_once = call(self.run.func, call(name))
        if isinstance(region, cst.For):
            declarations = self._declarations(region)

            def move(updated: cst.CSTNode) -> cst.FlattenSentinel[cst.BaseStatement]:
                if not isinstance(updated, cst.For):
                    raise RewriteError("unexpected code shape: `updated` is not a For")
                body = [*declarations, updated.with_changes(leading_lines=[])]
                coroutine = async_def(name, [], body).with_changes(
                    leading_lines=self._set_off(region, updated.leading_lines)
                )
                spacing = [_BLANK] if self.function is not None else [_BLANK, _BLANK]
                runner = statement(cst.Expr(run_once)).with_changes(leading_lines=spacing)
                return cst.FlattenSentinel([coroutine, runner])

            edits[region] = move
            return edits
        if _walrus_in(region):
            raise RewriteError("the comprehension binds a name with `:=`")
        rewritten: list[cst.BaseExpression] = []

        def replace(updated: cst.CSTNode) -> cst.CSTNode:
            # the comprehension, its runs now awaits, becomes the coroutine's return value
            if not isinstance(updated, cst.BaseExpression):
                raise RewriteError("unexpected code shape: `updated` is not a BaseExpression")
            rewritten.append(updated.with_changes(lpar=[], rpar=[]))
            return run_once.with_changes(lpar=updated.lpar, rpar=updated.rpar)

        def place(updated: cst.CSTNode) -> cst.FlattenSentinel[cst.BaseStatement]:
            if not isinstance(updated, cst.BaseStatement):
                raise RewriteError("unexpected code shape: `updated` is not a BaseStatement")
            body = [statement(cst.Return(value=rewritten[-1]))]
            leading = self._set_off(holder, updated.leading_lines)
            coroutine = async_def(name, [], body).with_changes(leading_lines=leading)
            spacing = [_BLANK] if self.function is not None else [_BLANK, _BLANK]
            return cst.FlattenSentinel([coroutine, updated.with_changes(leading_lines=spacing)])

        holder = parsed.block_statement(region)
        edits[region] = replace
        edits[holder] = place
        return edits

    def _set_off(
        self, original: cst.CSTNode, leading: Sequence[cst.EmptyLine]
    ) -> list[cst.EmptyLine]:
        """The new ``async def`` set off by blank lines from the statements before it, as
        formatters lay out a nested (one line) or module-level (two) function."""
        if original is self.parsed.statement:
            return list(leading)  # a module-level statement: the lines above it stay as they are
        parent = self.parsed.parents.get(original)
        first = isinstance(parent, cst.IndentedBlock | cst.Module) and parent.body[0] is original
        if first or any(line.comment is None for line in leading):
            return list(leading)
        return [_BLANK] * (1 if self.function is not None else 2) + list(leading)

    def _coroutine_name(self) -> str:
        if self.function is not None:
            return self.parsed.fresh(f"{self.function.name.value}_async")
        coroutine = self.run.args[0].value
        callee = last_name(coroutine.func) if isinstance(coroutine, cst.Call) else None
        return self.parsed.fresh(f"{callee or 'run'}_each")

    def _declarations(self, loop: cst.For) -> list[cst.SimpleStatementLine]:
        """``nonlocal``/``global`` for the names the loop binds that the code around it uses, so
        they keep living where they lived."""
        parsed = self.parsed
        bound = list(
            dict.fromkeys(
                n.value for n in parsed.writes(loop) if not _in_comprehension(parsed, n, loop)
            )
        )
        if not bound:
            return []
        if self.function is None:
            return [_declaration(cst.Global, bound)]
        outside = [n for n in parsed.names(self.function) if not parsed.inside(n, loop)]
        used = {n.value for n in outside}
        bound_outside = {
            n.value
            for n in outside
            if parsed.scope_of(n) is self.function
            and (parsed.writes(n) or isinstance(parsed.parents.get(n), cst.Param))
        }
        declared_here = declared(parsed, self.function)
        declared_global = {n for n, keyword in declared_here.items() if keyword == "global"}
        declared_nonlocal = {n for n, keyword in declared_here.items() if keyword == "nonlocal"}
        globals_ = [n for n in bound if n in declared_global]
        nonlocals = [n for n in bound if n in declared_nonlocal]
        for name in bound:
            if name in declared_global or name in declared_nonlocal or name not in used:
                continue
            if name not in bound_outside:
                raise RewriteError(
                    f"`{name}` is bound only by the loop and read after it: bind it before the "
                    "loop first"
                )
            nonlocals.append(name)
        out = []
        if globals_:
            out.append(_declaration(cst.Global, globals_))
        if nonlocals:
            out.append(_declaration(cst.Nonlocal, nonlocals))
        return out


def _in_comprehension(parsed: Region, name: cst.Name, region: cst.CSTNode) -> bool:
    """Is ``name`` bound inside a comprehension of ``region`` (its own scope)?"""
    for ancestor in parsed.ancestors(name):
        if ancestor is region:
            return False
        if isinstance(ancestor, cst.ListComp | cst.SetComp | cst.DictComp | cst.GeneratorExp):
            return True
        if isinstance(ancestor, cst.Lambda):
            return True
    return False


def _declaration(
    kind: type[cst.Global] | type[cst.Nonlocal], names: Sequence[str]
) -> cst.SimpleStatementLine:
    comma = cst.Comma(whitespace_after=cst.SimpleWhitespace(" "))
    items = [cst.NameItem(cst.Name(n), comma=comma) for n in names[:-1]]
    items.append(cst.NameItem(cst.Name(names[-1])))
    return statement(kind(names=items))


def _awaited_argument(parsed: Region, run: cst.Call) -> Edit:
    def apply(updated: cst.CSTNode) -> cst.CSTNode:
        if not isinstance(updated, cst.Call):
            raise RewriteError("unexpected code shape: `updated` is not a Call")
        return as_primary(parsed, run, await_(updated.args[0].value))

    return apply


def _walrus_in(node: cst.CSTNode) -> bool:
    finder = _WalrusFinder()
    node.visit(finder)
    return finder.found


class _WalrusFinder(cst.CSTVisitor):
    def __init__(self) -> None:
        self.found = False

    def visit_NamedExpr(self, node: cst.NamedExpr) -> None:
        self.found = True


# --- CA304 ----------------------------------------------------------------------------------------


def fix_discarded_task(source: str, finding: Finding) -> str:
    """CA304: ``asyncio.create_task(job())`` as a statement → ``task = ...`` kept in a
    module-level set until done (``task.add_done_callback(_background_tasks.discard)``)."""
    parsed = parse_around(source, finding.line, finding.end_line)
    expression = _discarded_task(parsed, finding)
    scope = parsed.scope_of(expression)
    if isinstance(scope, cst.ClassDef):
        raise RewriteError("the task is started in a class body")
    if rebinds(parsed, "set"):
        raise RewriteError("the module rebinds the builtin `set`")
    existing = _existing_task_set(parsed.source.tree)
    task_set = existing or parsed.fresh(_TASK_SET)
    task = parsed.fresh("task", [task_set])
    keep = [
        assign(task, expression.value),
        cst.Expr(call(cst.Attribute(cst.Name(task_set), cst.Name("add")), cst.Name(task))),
        cst.Expr(
            call(
                cst.Attribute(cst.Name(task), cst.Name("add_done_callback")),
                cst.Attribute(cst.Name(task_set), cst.Name("discard")),
            )
        ),
    ]
    line = parsed.parents[expression]
    edits: dict[cst.CSTNode, Edit] = {}
    if isinstance(line, cst.SimpleStatementLine) and len(line.body) == 1:

        def split(updated: cst.CSTNode) -> cst.FlattenSentinel[cst.BaseStatement]:
            if not isinstance(updated, cst.SimpleStatementLine):
                raise RewriteError("unexpected code shape: `updated` is not a SimpleStatementLine")
            first = updated.with_changes(body=[keep[0]])
            rest = [cst.SimpleStatementLine(body=[small]) for small in keep[1:]]
            return cst.FlattenSentinel([first, *rest])

        edits[line] = split
    elif isinstance(line, cst.SimpleStatementSuite) and len(line.body) == 1:

        def indent(updated: cst.CSTNode) -> cst.IndentedBlock:
            # `if ok: asyncio.create_task(job())` → the three statements in an indented block
            if not isinstance(updated, cst.SimpleStatementSuite):
                raise RewriteError("unexpected code shape: `updated` is not a SimpleStatementSuite")
            lines = [cst.SimpleStatementLine(body=[small]) for small in keep]
            return cst.IndentedBlock(body=lines, header=updated.trailing_whitespace)

        edits[line] = indent
    else:  # several statements on one line: keep them there

        def inline(updated: cst.CSTNode) -> cst.FlattenSentinel[cst.BaseSmallStatement]:
            if not isinstance(updated, cst.Expr):
                raise RewriteError("unexpected code shape: `updated` is not an Expr")
            semicolon = cst.Semicolon(whitespace_after=cst.SimpleWhitespace(" "))
            smalls = [small.with_changes(semicolon=semicolon) for small in keep[:-1]]
            last = keep[-1].with_changes(semicolon=updated.semicolon)
            return cst.FlattenSentinel([*smalls, last])

        edits[expression] = inline
    insertions = [] if existing is not None else [_task_set_lines(parsed, task_set)]
    return finish(parsed, source, edits, imports=(), insertions=insertions)


def _discarded_task(parsed: Region, finding: Finding) -> cst.Expr:
    for node in parsed.nodes(cst.Expr):
        value = node.value
        if (
            parsed.line(node) == finding.line
            and isinstance(value, cst.Call)
            and within_site(parsed, value, finding)
            and last_name(value.func) in _TASK_FACTORIES
        ):
            return node
    raise RewriteError(f"line {finding.line}: no discarded `create_task` / `ensure_future`")


def _existing_task_set(tree: ast.Module) -> str | None:
    """A module-level ``_background_tasks = set()`` an earlier fix made: every task shares it."""
    for node in tree.body:
        if (
            isinstance(node, ast.Assign)
            and len(node.targets) == 1
            and isinstance(node.targets[0], ast.Name)
            and _TASK_SET_NAME.fullmatch(node.targets[0].id)
            and isinstance(node.value, ast.Call)
            and isinstance(node.value.func, ast.Name)
            and node.value.func.id == "set"
            and not (node.value.args or node.value.keywords)
        ):
            return node.targets[0].id
    return None


def _task_set_lines(parsed: Region, name: str) -> LineEdit:
    """The set's definition, after the module's docstring and leading imports."""
    source = parsed.source
    end, nl = header_end(source.tree), source.newline
    definition = f"{_TASK_SET_COMMENT}{nl}{name} = set(){nl}"
    if end:
        return LineEdit(end + 1, end, nl + definition)
    return LineEdit(1, 0, definition + nl + nl)
