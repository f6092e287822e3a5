"""Finding the pools a program already uses, and the functions it hands them, in source.

A profile sees a pool's workers run a function, but not which pool call gave it to them: threads
start from the pool's machinery, processes from a fork or a fresh interpreter. The source closes
the gap: a pool bound by `with POOL(...) as name:` or `name = POOL(...)`, then `name.map(fn, ...)`
/ `name.submit(fn, ...)` in the same function, runs `fn`'s lines. Only what can be told is
recorded; an unresolved callable leaves the pool with no function (then only a lone pool of its
kind gets its workers' time).
"""

from __future__ import annotations

import ast
from collections.abc import Iterator

from advisor.analysis.facts import ModuleFacts
from advisor.analysis.pool_checker import (
    MP_PROCESS_POOLS,
    MP_THREAD_POOLS,
    OTHER_EXECUTORS,
    PROCESS_EXECUTORS,
)
from advisor.model import PoolSite

_THREAD_POOLS = (OTHER_EXECUTORS - {"concurrent.futures.InterpreterPoolExecutor"}) | MP_THREAD_POOLS
_PROCESS_POOLS = PROCESS_EXECUTORS | MP_PROCESS_POOLS
# Methods that give a pool a callable to run, its first argument.
_TASK_METHODS = frozenset(
    {"map", "submit", "imap", "imap_unordered", "starmap", "apply", "apply_async", "map_async",
     "starmap_async"}
)  # fmt: skip
_WORKER_ARGUMENTS = ("max_workers", "processes")
_SCOPES = (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda, ast.ClassDef)
_FUNCTIONS = (ast.FunctionDef, ast.AsyncFunctionDef)


def _canonical(qualified: str | None) -> str:
    """``multiprocessing.get_context("spawn").Pool`` is a ``multiprocessing.Pool``."""
    text = qualified or ""
    prefix = "multiprocessing.get_context()."
    return "multiprocessing." + text[len(prefix) :] if text.startswith(prefix) else text


def _own_nodes(body: list[ast.stmt]) -> Iterator[ast.AST]:
    """Every node of a scope's body, not entering nested functions, lambdas or classes."""
    stack: list[ast.AST] = list(reversed(body))
    while stack:
        node = stack.pop()
        yield node
        if not isinstance(node, _SCOPES):
            stack.extend(reversed(list(ast.iter_child_nodes(node))))


def _scopes(tree: ast.Module) -> Iterator[list[ast.stmt]]:
    yield tree.body
    for node in ast.walk(tree):
        if isinstance(node, _FUNCTIONS):
            yield node.body


def _span(node: ast.AST) -> tuple[int, int]:
    return node.lineno, node.end_lineno or node.lineno  # type: ignore[attr-defined]


def _workers(call: ast.Call) -> int | None:
    values = [kw.value for kw in call.keywords if kw.arg in _WORKER_ARGUMENTS]
    values += call.args[:1]
    for value in values:
        if isinstance(value, ast.Constant) and type(value.value) is int:
            return value.value
    return None


class _Module:
    def __init__(self, facts: ModuleFacts) -> None:
        self.facts = facts
        self.defs: dict[str, list[ast.AST]] = {}
        for node in ast.walk(facts.source.tree):
            if isinstance(node, _FUNCTIONS):
                self.defs.setdefault(node.name, []).append(node)

    def pool_kind(self, call: ast.Call) -> tuple[str, str] | None:
        qualified = _canonical(self.facts.resolver.qualify(call.func))
        if qualified in _THREAD_POOLS:
            return "thread", qualified
        if qualified in _PROCESS_POOLS:
            return "process", qualified
        return None

    def function_spans(self, task: ast.expr) -> tuple[tuple[int, int], ...]:
        """The source spans a pool's task runs: a def of this module named as the callable
        (a method through its attribute name), a lambda, the first argument of a partial."""
        if isinstance(task, ast.Lambda):
            return (_span(task),)
        if isinstance(task, ast.Call) and task.args:
            if _canonical(self.facts.resolver.qualify(task.func)) == "functools.partial":
                return self.function_spans(task.args[0])
            return ()
        name = task.id if isinstance(task, ast.Name) else getattr(task, "attr", None)
        return tuple(_span(node) for node in self.defs.get(name or "", []))

    def pools_in(self, body: list[ast.stmt]) -> list[PoolSite]:
        bound: dict[str, tuple[ast.Call, ast.With | None, str, str]] = {}
        for node in _own_nodes(body):
            if isinstance(node, (ast.With, ast.AsyncWith)):
                for item in node.items:
                    expr, name = item.context_expr, item.optional_vars
                    if (
                        isinstance(expr, ast.Call)
                        and isinstance(name, ast.Name)
                        and (kind := self.pool_kind(expr)) is not None
                    ):
                        bound[name.id] = (expr, node, *kind)  # type: ignore[arg-type]
            elif isinstance(node, ast.Assign) and isinstance(node.value, ast.Call):
                targets = [t for t in node.targets if isinstance(t, ast.Name)]
                if len(targets) == 1 and (kind := self.pool_kind(node.value)) is not None:
                    bound[targets[0].id] = (node.value, None, *kind)
        uses: dict[str, list[tuple[ast.expr, tuple[int, int]]]] = {name: [] for name in bound}
        statement: ast.AST | None = None
        for node in _own_nodes(body):
            if isinstance(node, ast.stmt):
                statement = node
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and isinstance(node.func.value, ast.Name)
                and node.func.value.id in uses
                and node.func.attr in _TASK_METHODS
                and node.args
                and statement is not None
            ):
                uses[node.func.value.id].append((node.args[0], _span(statement)))
        sites = []
        for name, (call, with_node, kind, pool) in bound.items():
            functions = tuple(
                dict.fromkeys(span for task, _ in uses[name] for span in self.function_spans(task))
            )
            waits = (_span(with_node),) if with_node else tuple(span for _, span in uses[name])
            line, end_line = _span(call)
            sites.append(
                PoolSite(
                    path=self.facts.path,
                    line=line,
                    end_line=end_line,
                    kind=kind,  # type: ignore[arg-type]
                    pool=pool,
                    functions=functions,
                    waits=tuple(dict.fromkeys(waits)),
                    workers=_workers(call),
                )
            )
        return sites


def find_pool_sites(facts: ModuleFacts) -> list[PoolSite]:
    """The thread and process pools the module creates and binds to a name, in source order."""
    module = _Module(facts)
    sites = [site for body in _scopes(facts.source.tree) for site in module.pools_in(body)]
    return sorted(sites, key=lambda site: site.line)
