"""CA203 / CA204: the pool's class is swapped when the profile shows the other kind of work.

CA203 (a thread pool running GIL-bound Python) gets a process pool, CA204 (a process pool that
mostly waits) a thread pool: ``ThreadPoolExecutor`` ↔ ``ProcessPoolExecutor`` and
``multiprocessing.pool.ThreadPool`` ↔ ``multiprocessing.Pool``. The finding's line is the line
of the pool's constructor call (for ``with Pool(...) as pool:`` the line of the ``with``).

The worker count sized for one kind of work is wrong for the other: it becomes the finding's
measured ``workers`` or, without one, the new class's own default (cores for processes,
``min(32, cores + 4)`` for a thread pool). Arguments the other class lacks are refused. For
processes (CA203) every callable the pool is given must be picklable by name (a module-level
function, an import, a builtin, a ``functools.partial`` of one) and write no module global;
the ``if __name__ == "__main__":`` guard a module-level process pool needs is CA208's fix.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass

import libcst as cst

from advisor.codemods.pool_edit import (
    Imports,
    ParsedModule,
    RewriteError,
    code_of,
    finish,
    line_of,
    walk,
)
from advisor.model import Finding, Site

__all__ = ["fix_process_pool_over_io", "fix_thread_pool_over_cpu"]


@dataclass(frozen=True, slots=True)
class _Swap:
    """One class replaced by another of the same family."""

    old: frozenset[str]  # qualified names of the class being replaced
    module: str  # where the new class is imported from
    new: str  # its name there
    count: str  # the keyword of the worker count
    positional: int  # how many arguments both classes take in the same positions
    refused: frozenset[str]  # keywords the new class does not take


_TO_PROCESSES = (
    _Swap(
        frozenset(
            {"concurrent.futures.ThreadPoolExecutor",
             "concurrent.futures.thread.ThreadPoolExecutor"}
        ),
        "concurrent.futures", "ProcessPoolExecutor", "max_workers", 1,
        frozenset({"thread_name_prefix"}),
    ),
    _Swap(
        frozenset({"multiprocessing.pool.ThreadPool", "multiprocessing.dummy.Pool"}),
        "multiprocessing", "Pool", "processes", 3, frozenset(),
    ),
)  # fmt: skip
_TO_THREADS = (
    _Swap(
        frozenset(
            {"concurrent.futures.ProcessPoolExecutor",
             "concurrent.futures.process.ProcessPoolExecutor"}
        ),
        "concurrent.futures", "ThreadPoolExecutor", "max_workers", 1,
        frozenset({"mp_context", "max_tasks_per_child"}),
    ),
    _Swap(
        frozenset({"multiprocessing.Pool", "multiprocessing.pool.Pool"}),
        "multiprocessing.pool", "ThreadPool", "processes", 3,
        frozenset({"maxtasksperchild", "context"}),
    ),
)  # fmt: skip
# Methods that hand a callable to the pool (first argument), and those that only manage it.
_SUBMITTING = frozenset(
    {"submit", "map", "imap", "imap_unordered", "starmap", "apply", "apply_async", "map_async",
     "starmap_async"}
)  # fmt: skip
_MANAGING = frozenset({"shutdown", "close", "join", "terminate"})


def fix_thread_pool_over_cpu(source: str, finding: Finding) -> str:
    """CA203: a thread pool over GIL-bound work becomes a process pool."""
    return _swap(source, finding, _TO_PROCESSES, processes=True)


def fix_process_pool_over_io(source: str, finding: Finding) -> str:
    """CA204: a process pool over I/O-bound work becomes a thread pool."""
    return _swap(source, finding, _TO_THREADS, processes=False)


def _swap(source: str, finding: Finding, swaps: tuple[_Swap, ...], *, processes: bool) -> str:
    parsed = ParsedModule.for_finding(source, finding)
    found = [
        (call, swap)
        for call in _constructors(parsed, finding.site or finding.line)
        for swap in swaps
        if parsed.qualified_names(call.func) & swap.old
    ]
    if len(found) != 1:
        kinds = " or ".join(sorted(q.rpartition(".")[2] for s in swaps for q in s.old))
        raise RewriteError(f"not exactly one {kinds}(...) call starts on line {finding.line}")
    call, swap = found[0]
    if parsed.rebinds(swap.new, imported_from=swap.module):
        raise RewriteError(f"the module binds `{swap.new}` to something else")
    arguments = _arguments(call, swap, finding.workers)
    if processes:
        _require_picklable(parsed, call)
    func, imports = _new_class(parsed, call, swap)
    new_call = call.with_changes(func=func, args=arguments)
    return finish(parsed, {call: new_call}, imports)


def _constructors(parsed: ParsedModule, where: int | Site) -> list[cst.Call]:
    """Calls that start on ``line``, and those opened by a ``with`` that starts there (a
    parenthesised ``with (`` puts the call on the next line)."""
    calls = parsed.calls_at(where)
    for node in walk(parsed.tree):
        if isinstance(node, cst.With) and parsed.line(node) == line_of(where):
            calls += [i.item for i in node.items if isinstance(i.item, cst.Call)]
    return list({id(c): c for c in calls}.values())


def _arguments(call: cst.Call, swap: _Swap, workers: int | None) -> list[cst.Arg]:
    """The constructor's arguments for the new class, with the worker count replaced."""
    kept: list[cst.Arg] = []
    for position, argument in enumerate(call.args):
        if argument.star:
            raise RewriteError("the pool is created with `*` or `**` arguments")
        keyword = argument.keyword.value if argument.keyword is not None else None
        if keyword is None and position >= swap.positional:
            raise RewriteError("the pool gets arguments by position that the other class orders")
        if keyword in swap.refused:
            raise RewriteError(f"`{keyword}=` has no equivalent in {swap.new}")
        if keyword == swap.count or (keyword is None and position == 0):
            continue  # sized for the other kind of work
        kept.append(argument)
    if workers is not None:
        equal = cst.AssignEqual(cst.SimpleWhitespace(""), cst.SimpleWhitespace(""))
        count = cst.Arg(cst.Integer(str(int(workers))), keyword=cst.Name(swap.count), equal=equal)
        kept.insert(0, count)
    if kept and call.args:  # the last argument's comma (a trailing one, or none) stays last
        kept[-1] = kept[-1].with_changes(comma=call.args[-1].comma)
    return kept


def _new_class(
    parsed: ParsedModule, call: cst.Call, swap: _Swap
) -> tuple[cst.BaseExpression, Imports]:
    """``cf.ThreadPoolExecutor`` → ``cf.ProcessPoolExecutor`` in place (same module); any
    other spelling becomes the new class's bare name, imported."""
    func = call.func
    if (
        isinstance(func, cst.Attribute)
        and swap.module == "concurrent.futures"
        and parsed.qualified_names(func.value) == {"concurrent.futures"}
    ):
        return func.with_changes(attr=cst.Name(swap.new)), Imports()
    root = func
    while isinstance(root, cst.Attribute):
        root = root.value
    unused = parsed.import_of(root) if isinstance(root, cst.Name) else None
    return cst.Name(swap.new), Imports(
        added=((swap.module, swap.new),), unused=(unused,) if unused else ()
    )


# --- CA203: what a process pool must be able to pickle ---------------------------------------


def _require_picklable(parsed: ParsedModule, call: cst.Call) -> None:
    for argument in call.args:
        if argument.keyword is not None and argument.keyword.value == "initializer":
            _require_sendable(parsed, argument.value, "the initializer")
    holder = parsed.parent(call)
    if isinstance(holder, cst.Attribute):  # `ThreadPoolExecutor().map(f, xs)`
        _require_use(parsed, holder)
        return
    name = None
    if isinstance(holder, cst.WithItem) and holder.asname is not None:
        name = holder.asname.name
    elif isinstance(holder, cst.Assign) and len(holder.targets) == 1:
        name = holder.targets[0].target
    if not isinstance(name, cst.Name):
        raise RewriteError("the pool is not bound to a name: what it is given cannot be followed")
    scope = parsed.scopes.get(name)
    assignments = list(scope.assignments[name.value]) if scope is not None else []
    if len(assignments) != 1:
        raise RewriteError(f"`{name.value}` is bound more than once")
    for access in assignments[0].references:
        use = parsed.parent(access.node)
        if not isinstance(use, cst.Attribute):
            raise RewriteError(
                f"the pool is passed on as `{name.value}`: what it is given cannot be followed"
            )
        _require_use(parsed, use)


def _require_use(parsed: ParsedModule, attribute: cst.Attribute) -> None:
    method = attribute.attr.value
    if method in _MANAGING:
        return
    submitted = parsed.parent(attribute)
    if method not in _SUBMITTING or not isinstance(submitted, cst.Call):
        raise RewriteError(f"the pool is used as `{code_of(attribute)}`")
    given = submitted.args[0].value if submitted.args else None
    if given is None or submitted.args[0].keyword is not None:
        raise RewriteError(f"`{code_of(attribute)}(...)` gets its callable by keyword")
    _require_sendable(parsed, given, f"`{code_of(attribute)}`")


def _require_sendable(parsed: ParsedModule, given: cst.BaseExpression, where: str) -> None:
    if not parsed.is_module_level_callable(given):
        raise RewriteError(
            f"{where} is given `{code_of(given)}`, which a process pool cannot pickle (CA207)"
        )
    function = _module_function(parsed, given)
    if function is not None and any(isinstance(n, ast.Global) for n in ast.walk(function)):
        raise RewriteError(
            f"`{function.name}()` writes module globals, which each worker process "
            "would change in its own copy"
        )


def _module_function(
    parsed: ParsedModule, given: cst.BaseExpression
) -> ast.FunctionDef | ast.AsyncFunctionDef | None:
    """The module-level function ``given`` names (its ``ast``: the fix parsed only the
    statement it edits)."""
    while isinstance(given, cst.Call) and given.args:  # functools.partial(f, ...)
        given = given.args[0].value
    if not isinstance(given, cst.Name):
        return None
    nodes = [getattr(b, "node", None) for b in parsed.bindings(given)]
    if not any(isinstance(n, cst.FunctionDef) for n in nodes):
        return None
    return parsed.module_function(given.value)
