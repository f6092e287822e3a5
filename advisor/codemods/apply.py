"""Producing the rewritten bytes of a file for a set of loops, keeping its encoding."""

from __future__ import annotations

import io
import tokenize
from collections.abc import Mapping

from advisor.analysis.source import decode_source
from advisor.codemods.thread_pool import rewrite_loops_to_thread_pool


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
