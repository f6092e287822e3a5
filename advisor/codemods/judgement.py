"""One judgement for `check`, `fix` and `profile`: a fix is `safe` or `unsafe` only if its fixer
can make it.

The analysis judges whether running the items concurrently keeps what the program does; the
fixer knows whether it can write the rewrite here (a rebound builtin, a name read after the loop,
a statement between the submission and the wait). Asking the fixer on the finding's own text
makes what `check` reports exactly what `fix` does: a fix the fixer refuses is `none`, with the
fixer's reason first and the analysis's doubts after it.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable

from advisor.analysis.cache import CachedResult
from advisor.analysis.detectors import analyse_content
from advisor.analysis.knowledge import CallKnowledge
from advisor.codemods.apply import fixer_crash
from advisor.codemods.fixers import fixer_for
from advisor.errors import RewriteError, SourceError
from advisor.model import ErrorEntry, Finding
from advisor.syntax.source import Source

__all__ = ["analyse_and_confirm", "confirmed_by_fixers"]

NO_REWRITE = "no automatic rewrite here"


def _confirmed(finding: Finding, text: str, errors: list[ErrorEntry]) -> Finding:
    if finding.fix_safety == "none":
        return finding
    fixer = fixer_for(finding)
    if fixer is None:
        return finding
    try:
        fixer(text, finding)
    except (RewriteError, SyntaxError, ValueError) as refusal:
        return _without_fix(finding, f"{NO_REWRITE}: {refusal}")
    except Exception as exc:  # a bug of ours: reported for the file, and the fix never offered
        errors.append(ErrorEntry(finding.path, "internal", fixer_crash(finding, exc)))
        return _without_fix(finding, f"{NO_REWRITE}: its fixer failed (reported as an error)")
    return finding


def _without_fix(finding: Finding, reason: str) -> Finding:
    return dataclasses.replace(
        finding,
        fix_safety="none",
        reasons=(reason, *finding.reasons),
        run_checkable=None,
        diff=None,
        edits=None,
    )


def confirmed_by_fixers(
    findings: Iterable[Finding], text: str
) -> tuple[list[Finding], list[ErrorEntry]]:
    """``findings`` of one file whose text is ``text``, each fix its fixer refuses made `none`;
    and an `internal` error for each fixer that failed unexpectedly (its fix is not offered)."""
    errors: list[ErrorEntry] = []
    return [_confirmed(finding, text, errors) for finding in findings], errors


def analyse_and_confirm(path: str, content: bytes, knowledge: CallKnowledge) -> CachedResult:
    """:func:`~advisor.analysis.detectors.analyse_content`, then each fix confirmed by its fixer;
    never raises."""
    result = analyse_content(path, content, knowledge)
    if not any(f.fix_safety != "none" for f in result.findings):
        return result
    try:
        text = Source.decode(path, content).text
    except SourceError:
        return result
    findings, errors = confirmed_by_fixers(result.findings, text)
    return CachedResult(
        findings=tuple(findings), errors=(*result.errors, *errors), depends_on=result.depends_on
    )
