"""Producing the rewritten bytes of a file for one finding, and the diff a fix would make."""

from __future__ import annotations

import dataclasses
import difflib
from collections.abc import Sequence
from pathlib import Path

from advisor.codemods.fixers import RewriteError, fixer_for
from advisor.errors import SourceError
from advisor.model import Finding
from advisor.syntax.source import Source


def fixed_file_bytes(path: str, original: bytes, finding: Finding) -> bytes:
    """The file's new bytes with ``finding`` fixed by its rule's fixer, in the file's encoding,
    BOM and line endings. Raises RewriteError when it cannot be fixed (never bad code)."""
    fixer = fixer_for(finding)
    if fixer is None:
        raise RewriteError(f"{finding.rule} has no automatic fix")
    source = Source.decode(path, original)
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


def with_proposed_diffs(findings: Sequence[Finding], text: str) -> list[Finding]:
    """Attach to each safe fixable finding of one file the diff its rewrite would make."""
    out = []
    for finding in findings:
        fixer = fixer_for(finding)
        if is_safe_fix(finding) and finding.diff is None and fixer is not None:
            try:
                after = fixer(text, finding)
            except (RewriteError, SyntaxError, ValueError):
                after = None
            if after is not None and after != text:
                finding = dataclasses.replace(finding, diff=unified_diff(finding.path, text, after))
        out.append(finding)
    return out


def attach_proposed_diffs(findings: Sequence[Finding]) -> list[Finding]:
    """The diff each safe rewrite would make, reading each file once, keeping the order.

    Costly on big files (each rewrite parses the module), so callers ask for it only when the
    output shows diffs.
    """
    texts: dict[str, str | None] = {}
    out: list[Finding] = []
    for finding in findings:
        if not is_safe_fix(finding):
            out.append(finding)
            continue
        if finding.path not in texts:
            try:
                texts[finding.path] = Source.decode(
                    finding.path, Path(finding.path).read_bytes()
                ).text
            except (OSError, SourceError):
                texts[finding.path] = None
        text = texts[finding.path]
        out += with_proposed_diffs([finding], text) if text is not None else [finding]
    return out
