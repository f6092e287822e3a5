"""CA201 / CA202: a Thread (or Process) started for every item, then all joined, becomes one
pool with a bounded number of workers.

The statements that create, start and join the workers (and make the empty list that holds
them) are replaced by one ``with`` block::

    with ThreadPoolExecutor() as executor:
        list(executor.map(download, urls))

``list(...)`` reads every result, so the caller waits exactly as the joins made it wait, and
the first failing item's exception is raised there. That is the one visible change: a bare
Thread prints its exception (``threading.excepthook``) and the others go on, a pool raises it in
the caller. Shapes whose meaning a pool cannot keep are refused: workers never joined here,
daemon or named workers, Thread subclasses, worker objects used for anything but start and
join, and (for processes) targets that pickle cannot send.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import libcst as cst
from libcst.helpers import parse_template_expression, parse_template_statement

from advisor.analysis.knowledge import load_knowledge
from advisor.codemods.pool_edit import (
    Imports,
    ParsedModule,
    RewriteError,
    code_of,
    finish,
    is_name_chain,
    line_of,
    lost_comments,
    names_read,
    walk,
)
from advisor.model import Finding, Site
from advisor.syntax.names import fresh_name

__all__ = ["fix_process_per_item", "fix_thread_per_item"]

_POOLS = load_knowledge().pools  # what starts threads and processes: data (pools.toml)
THREADS, PROCESSES = _POOLS.threads, _POOLS.processes
_POOL_MODULE = "concurrent.futures"
_POOL_CLASS = {"thread": "ThreadPoolExecutor", "process": "ProcessPoolExecutor"}
_ARGUMENTS = frozenset({"target", "args", "kwargs"})


def fix_thread_per_item(source: str, finding: Finding) -> str:
    """CA201: threads started per item and joined → ThreadPoolExecutor (bounded workers)."""
    return _to_pool(source, finding, "thread")


def fix_process_per_item(source: str, finding: Finding) -> str:
    """CA202: processes started per item and joined → ProcessPoolExecutor.

    A process pool needs an ``if __name__ == "__main__":`` guard when the module creates it on
    import; that is CA208's finding and fix, not this one."""
    return _to_pool(source, finding, "process")


def _plural(kind: str) -> str:
    return "processes" if kind == "process" else "threads"


# --- the worker call -----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Worker:
    """``Thread(target=f, args=(x,), kwargs=k)`` taken apart."""

    call: cst.Call
    target: cst.BaseExpression
    args: tuple[cst.Arg, ...]  # positional arguments of the target, as call arguments
    context: cst.BaseExpression | None  # `ctx` of `ctx.Process(...)`: the pool's mp_context


def _worker_at(parsed: ParsedModule, where: int | Site, kind: str) -> cst.Call:
    known = THREADS if kind == "thread" else PROCESSES
    for call in parsed.calls_at(where):
        names = parsed.qualified_names(call.func)
        if names & known:
            return call
        attribute = call.func if isinstance(call.func, cst.Attribute) else None
        if kind == "process" and attribute is not None and attribute.attr.value == "Process":
            return call
        callee = call.func if isinstance(call.func, cst.Name) else None
        if callee is not None and any(
            isinstance(getattr(b, "node", None), cst.ClassDef) for b in parsed.bindings(callee)
        ):
            raise RewriteError(
                f"a {kind.capitalize()} subclass: its run() must first become a function"
            )
    raise RewriteError(f"no {kind.capitalize()}(...) call starts on line {line_of(where)}")


def _worker(parsed: ParsedModule, call: cst.Call, kind: str) -> _Worker:
    target: cst.BaseExpression | None = None
    args: tuple[cst.Arg, ...] = ()
    for argument in call.args:
        if argument.keyword is None:
            raise RewriteError(f"the {kind} gets arguments by position or `**`")
        name = argument.keyword.value
        if name not in _ARGUMENTS:
            raise RewriteError(f"each {kind} is created with `{name}=`, which pool workers lack")
        if name == "target":
            target = argument.value
        elif name == "args":
            args = _positional(argument.value)
        else:
            args = (*args, cst.Arg(argument.value, star="**"))
    if target is None:
        raise RewriteError(f"the {kind} has no `target=`")
    if kind == "process" and not parsed.is_module_level_callable(target):
        raise RewriteError(
            f"the target `{code_of(target)}` is not a module-level function: a process pool "
            "must pickle it"
        )
    context = None
    if (
        kind == "process"
        and isinstance(call.func, cst.Attribute)
        and "multiprocessing.Process" not in parsed.qualified_names(call.func)
    ):
        context = call.func.value  # ctx.Process(...): the pool starts its workers the same way
    return _Worker(call, target, _keyword_last(args), context)


def _positional(value: cst.BaseExpression) -> tuple[cst.Arg, ...]:
    """``args=(a, *b)`` as call arguments ``a, *b``; anything else as ``*value``."""
    if isinstance(value, cst.Tuple | cst.List):
        return tuple(
            cst.Arg(e.value, star="*" if isinstance(e, cst.StarredElement) else "")
            for e in value.elements
        )
    return (cst.Arg(value, star="*"),)


def _keyword_last(args: tuple[cst.Arg, ...]) -> tuple[cst.Arg, ...]:
    """``**kwargs`` after the positional arguments, whatever order the keywords came in."""
    return tuple(sorted(args, key=lambda a: a.star == "**"))


# --- the statements that create, start and join the workers -------------------------------


@dataclass(frozen=True, slots=True)
class _Region:
    """What the rewrite replaces: the statement that creates the workers (a for loop or
    ``workers = [...]``), the statements it removes, and the loop the items come from."""

    creation: cst.BaseStatement
    removed: tuple[cst.BaseStatement, ...]  # `workers = []`, the start loop, the join loop
    target: cst.BaseExpression  # the item variable
    iterable: cst.BaseExpression
    ifs: Sequence[cst.CompIf]
    bound: frozenset[str]  # names the removed code binds: nothing else may read them
    empty_list: cst.BaseStatement | None  # `workers = []`, when it comes right before


def _method_statement(statement: cst.CSTNode, method: str) -> str | None:
    """``x`` when the statement is ``x.method()`` alone on its line."""
    if not isinstance(statement, cst.SimpleStatementLine) or len(statement.body) != 1:
        return None
    expression = statement.body[0]
    call = expression.value if isinstance(expression, cst.Expr) else None
    if (
        isinstance(call, cst.Call)
        and not call.args
        and isinstance(call.func, cst.Attribute)
        and call.func.attr.value == method
        and isinstance(call.func.value, cst.Name)
    ):
        return call.func.value.value
    return None


def _appended(statement: cst.CSTNode) -> tuple[str, cst.BaseExpression] | None:
    """(list, value) when the statement is ``list.append(value)`` alone on its line."""
    if not isinstance(statement, cst.SimpleStatementLine) or len(statement.body) != 1:
        return None
    expression = statement.body[0]
    call = expression.value if isinstance(expression, cst.Expr) else None
    if (
        isinstance(call, cst.Call)
        and len(call.args) == 1
        and not call.args[0].star
        and call.args[0].keyword is None
        and isinstance(call.func, cst.Attribute)
        and call.func.attr.value == "append"
        and isinstance(call.func.value, cst.Name)
    ):
        return call.func.value.value, call.args[0].value
    return None


def _over_list(statement: cst.CSTNode, listed: str, method: str) -> str | None:
    """The loop variable of ``for w in listed: w.method()`` (or ``[w.method() for w in
    listed]`` alone on its line)."""
    small = statement.body[0] if isinstance(statement, cst.SimpleStatementLine) else None
    listing = small.value if isinstance(small, cst.Expr) and len(statement.body) == 1 else None  # type: ignore[union-attr]
    if isinstance(listing, cst.ListComp):
        clause = listing.for_in
        if (
            clause.inner_for_in is None
            and not clause.ifs
            and clause.asynchronous is None
            and isinstance(clause.iter, cst.Name)
            and clause.iter.value == listed
            and isinstance(clause.target, cst.Name)
            and _method_statement(cst.SimpleStatementLine([cst.Expr(listing.elt)]), method)
            == clause.target.value
        ):
            return clause.target.value
        return None
    if not (
        isinstance(statement, cst.For)
        and statement.asynchronous is None
        and statement.orelse is None
        and isinstance(statement.iter, cst.Name)
        and statement.iter.value == listed
        and isinstance(statement.target, cst.Name)
    ):
        return None
    body = statement.body
    if isinstance(body, cst.IndentedBlock):
        if len(body.body) != 1:
            return None
        line: cst.CSTNode = body.body[0]
    else:
        line = cst.SimpleStatementLine(body=body.body)
    called = _method_statement(line, method)
    return called if called == statement.target.value else None


def _loop_region(parsed: ParsedModule, worker: cst.Call, kind: str) -> _Region:
    """``for x in xs:`` creating, maybe starting, and appending one worker per item."""
    holder = parsed.parent(worker)
    if isinstance(holder, cst.Attribute) and holder.attr.value == "start":
        raise RewriteError(
            f"the {_plural(kind)} are never joined here: the caller goes on while they run, "
            "and a pool would make it wait"
        )
    line = next(
        (a for a in parsed.ancestors(worker) if isinstance(a, cst.SimpleStatementLine)), None
    )
    block = parsed.parent(line) if line is not None else None
    loop = parsed.parent(block) if block is not None else None
    if not (
        isinstance(loop, cst.For)
        and loop.body is block
        and isinstance(block, cst.IndentedBlock)
        and loop.asynchronous is None
        and loop.orelse is None
    ):
        raise RewriteError(f"the {kind} is not created directly in the body of a for loop")
    if line is None:
        raise RewriteError("unexpected code shape: no `line`")
    name: str | None = None
    started = False
    listed: str | None = None
    small = line.body[0] if len(line.body) == 1 else None
    if (
        isinstance(small, cst.Assign)
        and small.value is worker
        and len(small.targets) == 1
        and isinstance(small.targets[0].target, cst.Name)
    ):
        name = small.targets[0].target.value
    elif (appended := _appended(line)) is not None and appended[1] is worker:
        listed = appended[0]
    else:
        raise RewriteError(f"the {kind} is neither assigned to a name nor appended to a list")
    for statement in block.body:
        if statement is line:
            continue
        if name is not None and _method_statement(statement, "start") == name and not started:
            started = True
        elif (
            name is not None
            and listed is None
            and (appended := _appended(statement)) is not None
            and isinstance(appended[1], cst.Name)
            and appended[1].value == name
        ):
            listed = appended[0]
        else:
            raise RewriteError(
                f"the loop body does more than create, start and keep the {kind} "
                f"(`{code_of(statement).strip()}`)"
            )
    if listed is None:
        raise RewriteError(f"the {_plural(kind)} are not kept in a list, so they are never joined")
    bound = {listed, *({name} if name else set())}
    bound |= {n.value for n in walk(loop.target) if isinstance(n, cst.Name)}
    return _finish_region(parsed, loop, listed, started, bound, loop.target, loop.iter, ())


def _comprehension_region(parsed: ParsedModule, worker: cst.Call, kind: str) -> _Region:
    """``workers = [Thread(...) for x in xs]``, started and joined by the loops after it."""
    comprehension = parsed.parent(worker)
    assign = parsed.parent(comprehension) if comprehension is not None else None
    line = parsed.parent(assign) if assign is not None else None
    if not (
        isinstance(comprehension, cst.ListComp)
        and comprehension.elt is worker
        and isinstance(assign, cst.Assign)
        and assign.value is comprehension
        and len(assign.targets) == 1
        and isinstance(assign.targets[0].target, cst.Name)
        and isinstance(line, cst.SimpleStatementLine)
        and len(line.body) == 1
    ):
        raise RewriteError(f"the {_plural(kind)} are not made as `workers = [... for x in xs]`")
    clause = comprehension.for_in
    if clause.inner_for_in is not None or clause.asynchronous is not None:
        raise RewriteError("the comprehension has several for clauses or is async")
    listed = assign.targets[0].target.value
    return _finish_region(
        parsed, line, listed, False, {listed}, clause.target, clause.iter, clause.ifs
    )


def _finish_region(
    parsed: ParsedModule,
    creation: cst.BaseStatement,
    listed: str,
    started: bool,
    bound: set[str],
    target: cst.BaseExpression,
    iterable: cst.BaseExpression,
    ifs: Sequence[cst.CompIf],
) -> _Region:
    """Find the start and join loops right after ``creation`` and the empty list before it."""
    block, index = parsed.block_of(creation)
    statements: Sequence[cst.BaseStatement] = block.body  # type: ignore[attr-defined]
    following = list(statements[index + 1 : index + (2 if started else 3)])
    removed: list[cst.BaseStatement] = []
    methods = ["join"] if started else ["start", "join"]
    for method, statement in zip(methods, [*following, None, None], strict=False):
        variable = _over_list(statement, listed, method) if statement is not None else None
        if variable is None:
            raise RewriteError(
                f"`for w in {listed}: w.{method}()` does not follow the loop that creates them"
            )
        if statement is None:
            raise RewriteError("unexpected code shape: no `statement`")
        removed.append(statement)
        bound.add(variable)
    empty_list: cst.BaseStatement | None = None
    if isinstance(creation, cst.For):
        empty = next(
            (s for s in reversed(statements[:index]) if listed in _assigned_names(s)), None
        )
        if empty is None or not _is_empty_list(empty):
            raise RewriteError(f"`{listed}` is not made empty before the loop in the same block")
        removed.insert(0, empty)
        if statements[index - 1] is empty:
            empty_list = empty
    region = [creation, *removed]
    for name in sorted(bound):
        if parsed.references_outside(name, creation, region):
            raise RewriteError(f"`{name}` is used after the workers are joined")
    if parsed.in_class_body(creation):
        raise RewriteError("the loop is directly in a class body")
    return _Region(creation, tuple(removed), target, iterable, ifs, frozenset(bound), empty_list)


def _assigned_names(statement: cst.CSTNode) -> set[str]:
    if isinstance(statement, cst.SimpleStatementLine):
        return {
            t.target.value
            for s in statement.body
            if isinstance(s, cst.Assign)
            for t in s.targets
            if isinstance(t.target, cst.Name)
        } | {
            s.target.value
            for s in statement.body
            if isinstance(s, cst.AnnAssign) and isinstance(s.target, cst.Name)
        }
    return set()


def _is_empty_list(statement: cst.CSTNode) -> bool:
    if not isinstance(statement, cst.SimpleStatementLine) or len(statement.body) != 1:
        return False
    small = statement.body[0]
    value = small.value if isinstance(small, cst.Assign | cst.AnnAssign) else None
    if isinstance(value, cst.List):
        return not value.elements
    return (
        isinstance(value, cst.Call)
        and isinstance(value.func, cst.Name)
        and value.func.value == "list"
        and not value.args
    )


# --- the pool that replaces them ---------------------------------------------------------------


def _pool_statement(
    parsed: ParsedModule, worker: _Worker, region: _Region, kind: str, workers: int | None
) -> cst.With:
    cls = _POOL_CLASS[kind]
    executor = fresh_name("executor", parsed.identifiers)
    settings = []
    if workers is not None:
        settings.append(f"max_workers={int(workers)}")
    if worker.context is not None:
        settings.append("mp_context={context}")
    header = f"with {cls}({', '.join(settings)}) as {{executor}}:\n    pass\n"
    context = {} if worker.context is None else {"context": worker.context}
    pool = parse_template_statement(header, executor=cst.Name(executor), **context)
    if not isinstance(pool, cst.With):
        raise RewriteError("unexpected code shape: `pool` is not a With")
    if not isinstance(pool.body, cst.IndentedBlock):
        raise RewriteError("unexpected code shape: `pool.body` is not an IndentedBlock")
    names = {n.value for n in walk(region.target) if isinstance(n, cst.Name)}
    direct = (
        not region.ifs
        and isinstance(region.target, cst.Name)
        and len(worker.args) == 1
        and not worker.args[0].star
        and isinstance(worker.args[0].value, cst.Name)
        and worker.args[0].value.value == region.target.value
        and is_name_chain(worker.target)
        and not names & names_read(worker.target)
        and not parsed.rebinds("list")
    )
    if direct:
        body = parse_template_statement(
            "list({executor}.map({target}, {iterable}))\n",
            executor=cst.Name(executor),
            target=worker.target,
            iterable=region.iterable,
        )
    else:
        future = fresh_name("future", {*parsed.identifiers, executor})
        submit = cst.Call(
            func=cst.Attribute(cst.Name(executor), cst.Name("submit")),
            args=[cst.Arg(worker.target), *worker.args],
        )
        submitted = parse_template_expression(
            "[{submit} for {target} in {iterable}]",
            submit=submit,
            target=region.target,
            iterable=region.iterable,
        )
        if not isinstance(submitted, cst.ListComp):
            raise RewriteError("unexpected code shape: `submitted` is not a ListComp")
        submitted = submitted.with_changes(for_in=submitted.for_in.with_changes(ifs=region.ifs))
        body = parse_template_statement(
            "for {future} in {submitted}:\n    {future}.result()\n",
            future=cst.Name(future),
            submitted=submitted,
        )
    return pool.with_changes(body=pool.body.with_changes(body=[body]))


def _to_pool(source: str, finding: Finding, kind: str) -> str:
    parsed = ParsedModule.for_finding(source, finding)
    call = _worker_at(parsed, finding.site or finding.line, kind)
    worker = _worker(parsed, call, kind)
    holder = parsed.parent(call)
    if isinstance(holder, cst.ListComp):
        region = _comprehension_region(parsed, call, kind)
    else:
        region = _loop_region(parsed, call, kind)
    cls = _POOL_CLASS[kind]
    if parsed.rebinds(cls, imported_from=_POOL_MODULE):
        raise RewriteError(f"the module binds {cls} to something else")
    pool = _pool_statement(parsed, worker, region, kind, finding.workers)
    leading = [*getattr(region.creation, "leading_lines", ())]
    if region.empty_list is not None:
        leading = [*region.empty_list.leading_lines, *leading]  # type: ignore[attr-defined]
    old: list[cst.CSTNode] = [region.creation, *region.removed]
    lost = lost_comments(old, [pool])
    pool = pool.with_changes(leading_lines=[*leading, *_without(lost, leading)])
    changes: dict[cst.CSTNode, object] = {region.creation: pool}
    changes.update({statement: cst.RemovalSentinel.REMOVE for statement in region.removed})
    root = call.func
    while isinstance(root, cst.Attribute):
        root = root.value
    unused = parsed.import_of(root) if isinstance(root, cst.Name) else None
    imports = Imports(added=((_POOL_MODULE, cls),), unused=(unused,) if unused else ())
    return finish(parsed, changes, imports)  # type: ignore[arg-type]


def _without(lines: list[cst.EmptyLine], kept: Sequence[cst.EmptyLine]) -> list[cst.EmptyLine]:
    """The comment lines of ``lines`` not already among ``kept`` (moved there by identity)."""
    present = {id(line.comment) for line in kept if line.comment is not None}
    return [line for line in lines if id(line.comment) not in present]
