"""Producing the rewritten bytes of a file for a set of loops, keeping its encoding."""

from __future__ import annotations

import dataclasses
import difflib
import io
import tokenize
from collections.abc import Mapping, Sequence
from pathlib import Path

from advisor.analysis.source import decode_source
from advisor.codemods.thread_pool import RewriteError, rewrite_loops_to_thread_pool
from advisor.errors import SourceError
from advisor.model import Finding

# Rules whose fix is the thread-pool rewrite of the loop at the finding's line.
THREAD_POOL_RULES = frozenset({"CA101", "CA103"})
# Without a profile there is no measured wait/compute ratio: the rewrite proposes this many
# threads (ThreadPoolExecutor's own default is min(32, cores + 4)) and the user tunes it.
STATIC_WORKERS = 8


def rewrite_file_bytes(path: str, original: bytes, loops: Mapping[int, int]) -> bytes:
    """The file's new bytes with the given loops (first line → workers) on a thread pool.

    Raises RewriteError when a loop cannot be rewritten, SyntaxError if the result would not
    compile (it is then never written).
    """
    encoding, _ = tokenize.detect_encoding(io.BytesIO(original).readline)
    text = decode_source(path, original)
    rewritten = rewrite_loops_to_thread_pool(text, loops)
    compile(rewritten, path, "exec", dont_inherit=True)
    return rewritten.encode(encoding)


def is_thread_pool_fix(finding: Finding) -> bool:
    return (
        finding.rule in THREAD_POOL_RULES
        and finding.suggestion == "thread_pool"
        and finding.fix_safety == "safe"
    )


def unified_diff(path: str, before: str, after: str) -> str:
    return "".join(
        difflib.unified_diff(
            before.splitlines(keepends=True),
            after.splitlines(keepends=True),
            fromfile=f"a/{path}",
            tofile=f"b/{path}",
        )
    )


def with_proposed_diffs(findings: Sequence[Finding], text: str) -> list[Finding]:
    """Attach to each safe thread-pool finding of one file the diff its rewrite would make."""
    out = []
    for finding in findings:
        if is_thread_pool_fix(finding) and finding.diff is None:
            workers = finding.workers or STATIC_WORKERS
            try:
                after = rewrite_loops_to_thread_pool(text, {finding.line: workers})
            except (RewriteError, SyntaxError, ValueError):
                after = None
            if after is not None and after != text:
                finding = dataclasses.replace(finding, diff=unified_diff(finding.path, text, after))
        out.append(finding)
    return out


def attach_proposed_diffs(findings: Sequence[Finding]) -> list[Finding]:
    """The diff each safe rewrite would make, reading each file once, keeping the order.

    Costly on big files (the rewrite parses the whole module with positions), so callers ask
    for it only when the output shows diffs.
    """
    texts: dict[str, str | None] = {}
    out: list[Finding] = []
    for finding in findings:
        if not is_thread_pool_fix(finding):
            out.append(finding)
            continue
        if finding.path not in texts:
            try:
                texts[finding.path] = decode_source(finding.path, Path(finding.path).read_bytes())
            except (OSError, SourceError):
                texts[finding.path] = None
        text = texts[finding.path]
        out += with_proposed_diffs([finding], text) if text is not None else [finding]
    return out
