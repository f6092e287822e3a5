"""Producing the rewritten bytes of a file for one finding, and the diff a fix would make."""

from __future__ import annotations

import dataclasses
import difflib
from collections.abc import Sequence
from pathlib import Path

from advisor.codemods.fixers import RewriteError, fixer_for
from advisor.codemods.source_codec import SourceText
from advisor.errors import SourceError
from advisor.model import ErrorEntry, Finding


def fixed_file_bytes(path: str, original: bytes, finding: Finding) -> bytes:
    """The file's new bytes with ``finding`` fixed by its rule's fixer, in the file's encoding,
    BOM and line endings. Raises RewriteError when it cannot be fixed (never bad code)."""
    fixer = fixer_for(finding)
    if fixer is None:
        raise RewriteError(f"{finding.rule} has no automatic fix")
    source = SourceText.decode(path, original)
    rewritten = fixer(source.text, finding)
    try:
        compile(rewritten, path, "exec", dont_inherit=True)
    except (SyntaxError, ValueError) as exc:
        raise RewriteError(f"the rewrite does not compile: {exc}") from None
    return source.encode(path, rewritten)


def is_safe_fix(finding: Finding) -> bool:
    return finding.fix_safety == "safe" and fixer_for(finding) is not None


def unified_diff(path: str, before: str, after: str) -> str:
    """A unified diff git can apply: ``a/``/``b/`` prefixes for relative paths, none for absolute
    ones (``a//tmp/x.py`` would name another file)."""
    old, new = (path, path) if path.startswith("/") else (f"a/{path}", f"b/{path}")
    return "".join(
        difflib.unified_diff(
            before.splitlines(keepends=True),
            after.splitlines(keepends=True),
            fromfile=old,
            tofile=new,
        )
    )


def fixer_crash(finding: Finding, exc: Exception) -> str:
    """How an unexpected exception in a fixer is reported: the rule, the line and the exception,
    so the bug can be found (the rest of the tree goes on)."""
    return f"{finding.rule} fixer failed on line {finding.line}: {type(exc).__name__}: {exc}"


def _proposed_diff(finding: Finding, text: str) -> str | None:
    """The diff of ``finding``'s rewrite of ``text``; None when its fixer refuses."""
    fixer = fixer_for(finding)
    if fixer is None:
        return None
    try:
        after = fixer(text, finding)
    except (RewriteError, SyntaxError, ValueError):
        return None
    return unified_diff(finding.path, text, after) if after != text else None


def attach_proposed_diffs(
    findings: Sequence[Finding],
) -> tuple[list[Finding], list[ErrorEntry]]:
    """The diff each safe rewrite would make, reading each file once, keeping the order.

    A fixer that fails unexpectedly costs only its own finding's diff: the failure becomes an
    ``internal`` error entry for that file, and every other finding is still given its diff.
    Costly on big files (each rewrite parses the module), so callers ask for it only when the
    output shows diffs.
    """
    texts: dict[str, str | None] = {}
    out: list[Finding] = []
    errors: list[ErrorEntry] = []
    for finding in findings:
        if not is_safe_fix(finding) or finding.diff is not None:
            out.append(finding)
            continue
        if finding.path not in texts:
            try:
                texts[finding.path] = SourceText.decode(
                    finding.path, Path(finding.path).read_bytes()
                ).text
            except (OSError, SourceError):
                texts[finding.path] = None
        text = texts[finding.path]
        try:
            diff = None if text is None else _proposed_diff(finding, text)
        except Exception as exc:  # a bug in one fixer must not cost the other files their report
            errors.append(ErrorEntry(finding.path, "internal", fixer_crash(finding, exc)))
            diff = None
        out.append(finding if diff is None else dataclasses.replace(finding, diff=diff))
    return out, errors
