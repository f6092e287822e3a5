"""Where a finding's code is after other rewrites of its file: `profile --apply` follows the
plan's order (a loop worth it only once another is fixed is verified after that one), so a kept
rewrite above a finding may have moved it by some lines."""

from __future__ import annotations

import dataclasses
import difflib

from advisor.model import Finding


def moved_finding(finding: Finding, before: str, now: str) -> Finding | None:
    """``finding`` (located in ``before``) located in ``now``: its lines shifted when they are
    unchanged and only lines elsewhere changed; None when a rewrite touched them."""
    if before == now:
        return finding
    old, new = before.splitlines(keepends=True), now.splitlines(keepends=True)
    first, last = finding.line - 1, finding.end_line - 1  # 0-based, inclusive
    if finding.site is not None:
        first, last = min(first, finding.site.line - 1), max(last, finding.site.end_line - 1)
    matcher = difflib.SequenceMatcher(a=old, b=new, autojunk=False)
    for tag, i1, i2, j1, _j2 in matcher.get_opcodes():
        if tag == "equal" and i1 <= first and last < i2:
            shift = j1 - i1
            site = finding.site
            if site is not None:
                site = dataclasses.replace(
                    site, line=site.line + shift, end_line=site.end_line + shift
                )
            return dataclasses.replace(
                finding,
                line=finding.line + shift,
                end_line=finding.end_line + shift,
                site=site,
                edits=None,
                diff=None,
            )
    return None
