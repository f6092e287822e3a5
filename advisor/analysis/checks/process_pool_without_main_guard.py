"""CA208: a process pool or a Process started by code that runs on import.

Under the spawn and forkserver start methods every worker imports the main module again, and
so starts its own pool or process; an explicit fork context does not re-import and is left alone.
"""

from __future__ import annotations

import ast

from advisor.analysis.pool_checker import PROCESS_POOLS, PoolChecker

RULE = "CA208"


def on_worker(checker: PoolChecker, call: ast.Call, kind: str, *, subclass: bool) -> None:
    if kind == "process":
        _check_import_time(checker, call, "a process")


def on_pool(checker: PoolChecker, call: ast.Call, pool: str) -> None:
    if pool in PROCESS_POOLS:
        _check_import_time(checker, call, "a process pool")


def _check_import_time(checker: PoolChecker, call: ast.Call, what: str) -> None:
    if not checker.on_import or checker.forks(call):
        return
    checker.add(
        RULE,
        call,
        f"`{checker.text(call.func)}(...)` starts {what} on import, which every worker "
        "repeats when it imports the module under the spawn and forkserver start methods: "
        'move it under `if __name__ == "__main__":`',
        kind="unknown",
        suggestion="none",
        fix_safety="unsafe",
        reasons=(
            "code moved under the guard no longer runs when the module is imported, and "
            "nothing proves that no other module imports this one",
        ),
    )
