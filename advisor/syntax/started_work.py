"""Loops that coordinate concurrent work already started: `for t in threads: t.join()`,
`for f in futures: f.result()`, `for p in procs: p.start()`. The concurrency is there already;
such a loop's time is the started work's, so it is never a serial loop of work (CA101-CA104)."""

from __future__ import annotations

import ast
from collections.abc import Iterable

from advisor.syntax.bindings import walk_scope

# method -> most positional arguments it takes when it waits for or starts concurrent work
# (a timeout): `", ".join(parts)` and `os.path.join(a, b)` are not on an item, or take more
_COORDINATING = {"join": 1, "result": 1, "wait": 1, "start": 0, "exception": 1}


def coordinating_call(targets: Iterable[str], body: Iterable[ast.AST]) -> str | None:
    """The first call in ``body`` that starts or waits for the work a loop item stands for (a
    thread, a process, a future made before the loop), or that starts an object the body makes
    (``t = Thread(...); t.start()``) without waiting for it in the same iteration (that would be
    serial: ``p = Popen(...); p.wait()``). None when there is none."""
    nodes = list(walk_scope(body))
    items = set(targets)
    made = _bound_to_calls(nodes) - items
    calls = [c for c in nodes if isinstance(c, ast.Call) and _coordinating(c)]
    waited = {_receiver(c) for c in calls if c.func.attr != "start"}  # type: ignore[attr-defined]
    for call in calls:
        name, method = _receiver(call), call.func.attr  # type: ignore[attr-defined]
        if name in items or (name in made and method == "start" and name not in waited):
            return f"`{name}.{method}()`"
    return None


def _coordinating(call: ast.Call) -> bool:
    """A method above on a plain name, with at most its timeout."""
    func = call.func
    if not (isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name)):
        return False
    most = _COORDINATING.get(func.attr)
    # a positional timeout must be a number: `sep.join(parts)` joins strings
    return (
        most is not None
        and len(call.args) <= most
        and all(isinstance(a, ast.Constant) and type(a.value) in (int, float) for a in call.args)
        and all(k.arg == "timeout" for k in call.keywords)
    )


def _receiver(call: ast.Call) -> str:
    return call.func.value.id  # type: ignore[attr-defined]


def _bound_to_calls(nodes: list[ast.AST]) -> set[str]:
    """Names the code binds to the result of a call (``t = threading.Thread(...)``)."""
    return {
        target.id
        for node in nodes
        if isinstance(node, ast.Assign) and isinstance(node.value, ast.Call)
        for target in node.targets
        if isinstance(target, ast.Name)
    }
