"""The ``if __name__ == "__main__":`` branch: which code runs only when the module is the
script (a process pool's workers import the module, and must not run it again)."""

from __future__ import annotations

import ast
import itertools
from collections.abc import Sequence

__all__ = ["main_guard_branch", "runs_only_as_script"]


def main_guard_branch(test: ast.expr) -> str | None:
    """Which branch of an ``if`` runs only as a script: "body" (``__name__ == "__main__"``,
    either order, or inside an ``and``), "orelse" (``!=``) or None."""
    if isinstance(test, ast.BoolOp) and isinstance(test.op, ast.And):
        return "body" if any(main_guard_branch(v) == "body" for v in test.values) else None
    if not (isinstance(test, ast.Compare) and len(test.ops) == 1):
        return None
    sides = (test.left, test.comparators[0])
    names = [isinstance(s, ast.Name) and s.id == "__name__" for s in sides]
    mains = [isinstance(s, ast.Constant) and s.value == "__main__" for s in sides]
    if not ((names[0] and mains[1]) or (mains[0] and names[1])):
        return None
    if isinstance(test.ops[0], ast.Eq):
        return "body"
    return "orelse" if isinstance(test.ops[0], ast.NotEq) else None


def runs_only_as_script(ancestors: Sequence[ast.AST], node: ast.AST) -> bool:
    """Is ``node`` (with its ancestors, the module first) inside the branch of an
    ``if __name__ == "__main__":`` that runs only when the module is the script?"""
    chain = [*ancestors, node]
    for parent, child in itertools.pairwise(chain):
        if isinstance(parent, ast.If):
            branch = main_guard_branch(parent.test)
            if branch is not None and any(child is s for s in getattr(parent, branch)):
                return True
    return False
