"""Producing the rewritten bytes of a file for one finding, and the fix a rewrite proposes: its
edits and the unified diff made from them."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from pathlib import Path

from advisor.codemods.fixers import RewriteError, fixer_for
from advisor.errors import SourceError
from advisor.model import ErrorEntry, Finding
from advisor.syntax.source import Source
from advisor.syntax.text_edits import apply_edits, edits_between, unified_diff


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


def is_verifiable_fix(finding: Finding) -> bool:
    """A fix `profile --apply` may try: proven safe, or unsafe only for doubts a verified run
    settles (pickling, an external effect, a callee concadvise cannot see); the run keeps it
    only if the program behaves the same and is faster."""
    if fixer_for(finding) is None:
        return False
    return finding.fix_safety == "safe" or (
        finding.fix_safety == "unsafe" and bool(finding.run_checkable)
    )


def is_applied_by_profile(finding: Finding) -> bool:
    """What `profile --apply` tries: a verifiable fix of lines the run measured. Timed runs can
    prove a rewrite faster only where the run spent its time; a static finding no sample saw
    (an unbounded gather that waited on nothing) is left to `concadvise fix`."""
    return is_verifiable_fix(finding) and finding.evidence is not None


def has_bom(source: Source) -> bool:
    return source.encoding == "utf-8-sig"


def file_diff(path: str, source: Source, after: str) -> str:
    """The diff from ``source`` to ``after`` as the file's bytes would change: the lines a rewrite
    added get the file's line ending, and a BOM stays in front."""
    written = Source.decode(path, source.encode(path, after)).text
    return unified_diff(path, source.text, written, bom=has_bom(source))


def fixer_crash(finding: Finding, exc: Exception) -> str:
    """How an unexpected exception in a fixer is reported: the rule, the line and the exception,
    so the bug can be found (the rest of the tree goes on)."""
    return f"{finding.rule} fixer failed on line {finding.line}: {type(exc).__name__}: {exc}"


def with_proposed_fix(finding: Finding, source: Source) -> Finding:
    """``finding`` with the edits of its rewrite of ``source`` and the diff made from them; as it
    is when its fixer refuses or the rewrite cannot be written in the file's encoding."""
    fixer = fixer_for(finding)
    if fixer is None:
        return finding
    try:
        after = fixer(source.text, finding)
        written = Source.decode(finding.path, source.encode(finding.path, after)).text
    except (RewriteError, SyntaxError, ValueError, SourceError):
        return finding
    edits = edits_between(source.text, written)
    if not edits:
        return finding
    diff = unified_diff(
        finding.path, source.text, apply_edits(source.text, edits), bom=has_bom(source)
    )
    return dataclasses.replace(finding, diff=diff, edits=edits)


def attach_proposed_diffs(
    findings: Sequence[Finding], *, verifiable: bool = False
) -> tuple[list[Finding], list[ErrorEntry]]:
    """Each safe rewrite's edits and diff, reading each file once, keeping the order.

    A fixer that fails unexpectedly costs only its own finding's fix: the failure becomes an
    ``internal`` error entry for that file, and every other finding is still given its fix.
    Costly on big files (each rewrite parses the module), so callers ask for it only when the
    output shows fixes.
    """
    sources: dict[str, Source | None] = {}
    out: list[Finding] = []
    errors: list[ErrorEntry] = []
    # concadvise: ignore[CA101]: one read a file; the rewrites are the cost
    for finding in findings:
        wanted = is_verifiable_fix(finding) if verifiable else is_safe_fix(finding)
        if not wanted or finding.diff is not None:
            out.append(finding)
            continue
        if finding.path not in sources:
            try:
                sources[finding.path] = Source.decode(finding.path, Path(finding.path).read_bytes())
            except (OSError, SourceError):
                sources[finding.path] = None
        source = sources[finding.path]
        try:
            out.append(finding if source is None else with_proposed_fix(finding, source))
        except Exception as exc:  # a bug in one fixer must not cost the other files their report
            errors.append(ErrorEntry(finding.path, "internal", fixer_crash(finding, exc)))
            out.append(finding)
    return out, errors
