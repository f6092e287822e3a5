"""No rewrite loses a comment: every comment of the replaced code that the new code no longer
holds goes, as a comment line of its own, in front of the new statements."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import libcst as cst

__all__ = ["comments_in", "keep_comments", "lost_comments"]


def comments_in(nodes: Iterable[cst.CSTNode]) -> list[cst.Comment]:
    found: list[cst.Comment] = []
    stack = list(nodes)[::-1]
    while stack:
        node = stack.pop()
        if isinstance(node, cst.Comment):
            found.append(node)
        stack.extend(reversed(node.children))
    return found


def lost_comments(old: Iterable[cst.CSTNode], new: Iterable[cst.CSTNode]) -> list[cst.EmptyLine]:
    """Comment lines for every comment of ``old`` that ``new`` no longer holds."""
    kept = {id(c) for c in comments_in(new)}
    return [cst.EmptyLine(comment=c) for c in comments_in(old) if id(c) not in kept]


def keep_comments(old: cst.CSTNode, new: Sequence[cst.BaseStatement]) -> list[cst.BaseStatement]:
    """``new`` with every comment of ``old`` it dropped (e.g. between comprehension clauses) put
    in front of its first statement."""
    lost = lost_comments([old], new)
    if not lost:
        return list(new)
    first = new[0]
    return [first.with_changes(leading_lines=[*first.leading_lines, *lost]), *new[1:]]
