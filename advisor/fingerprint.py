"""A finding's identity that survives code moving around it, for code-scanning UIs (SARIF's
``partialFingerprints``) and anyone comparing two reports.

It is made when the findings are made, from the source text then in hand, so a renderer never
reads a file that may have changed since: sha256 of the rule, the path and the finding's stripped
source lines, plus an occurrence index that keeps two identical loops of one file apart.
"""

from __future__ import annotations

import dataclasses
import hashlib
from collections.abc import Callable, Sequence

from advisor.model import Finding
from advisor.syntax.text_edits import python_lines

# The lines of a path's source as Python numbers them, or None when there is no source to read.
SourceLines = Callable[[str], list[str] | None]


def _finding_text(finding: Finding, lines: list[str] | None) -> str:
    if lines is None:
        # No source: the line number is all that is left (stable only until code moves).
        return f"line {finding.line}"
    body = lines[finding.line - 1 : finding.end_line]
    return "\n".join(stripped for line in body if (stripped := line.strip()))


def finding_fingerprints(findings: Sequence[Finding], source_lines: SourceLines) -> list[str]:
    """Per finding: sha256 of rule, path and its stripped source lines, and an occurrence index
    (0 for the first finding in the file with the same rule and text, 1 for the next...)."""
    cache: dict[str, list[str] | None] = {}
    bases: list[str] = []
    for finding in findings:
        if finding.path not in cache:
            cache[finding.path] = source_lines(finding.path)
        text = _finding_text(finding, cache[finding.path])
        bases.append("\0".join((finding.rule, finding.path.replace("\\", "/"), text)))
    seen: dict[str, int] = {}
    occurrence = [0] * len(findings)
    for index in sorted(range(len(findings)), key=lambda i: findings[i].line):
        occurrence[index] = seen.get(bases[index], 0)
        seen[bases[index]] = occurrence[index] + 1
    # concadvise: ignore[CA103]: a few hundred bytes a finding: microseconds
    return [
        hashlib.sha256(f"{base}\0{occurrence[i]}".encode()).hexdigest()
        for i, base in enumerate(bases)
    ]


def with_fingerprints(findings: Sequence[Finding], texts: dict[str, str]) -> list[Finding]:
    """``findings`` with their fingerprints, ``texts`` holding the source of each finding's path
    (as the findings show it); a path without text gets its line-number fallback."""

    def lines_of(path: str) -> list[str] | None:
        text = texts.get(path)
        return None if text is None else python_lines(text)

    return [
        dataclasses.replace(finding, fingerprint=fingerprint)
        for finding, fingerprint in zip(
            findings, finding_fingerprints(findings, lines_of), strict=True
        )
    ]
