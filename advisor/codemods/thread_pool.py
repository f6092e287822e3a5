"""Rewrite serial I/O (and GIL-releasing native) loops into ``ThreadPoolExecutor`` +
``executor.map`` (CA101, CA103).

``executor.map`` yields results in input order, so every rewrite keeps the order of the result
and lets the first exception surface where the loop was. The loop shapes and how each is
rewritten live in :mod:`advisor.syntax.loop_shape` and :mod:`advisor.codemods.loop_executor`;
this module is their thread-pool face. Whether running the items concurrently is *safe* is the
analysis stage's question, not this module's: here we only refuse shapes whose result could
differ.
"""

from __future__ import annotations

from collections.abc import Mapping

from advisor.codemods.errors import RewriteError
from advisor.codemods.loop_executor import THREAD_POOL, rewrite_loops
from advisor.model import Finding
from advisor.syntax.loop_shape import LoopShape, recognise_loop_shape

__all__ = [
    "STATIC_THREAD_WORKERS",
    "LoopShape",
    "RewriteError",
    "fix_thread_pool_loop",
    "recognise_loop_shape",
    "rewrite_loops_to_thread_pool",
]

# Without a profile there is no measured wait/compute ratio: the rewrite proposes this many
# threads (ThreadPoolExecutor's own default is min(32, cores + 4)) and the user tunes it.
STATIC_THREAD_WORKERS = 8


def rewrite_loops_to_thread_pool(source: str, loops: Mapping[int, int]) -> str:
    """`loops` maps the first line of each loop statement to max_workers. Returns the new source.

    Raises RewriteError (message names the line and the reason) if a requested line holds no
    rewritable loop, or if the source does not parse; the result compiles whenever the source
    does."""
    return rewrite_loops(source, loops, THREAD_POOL)


def fix_thread_pool_loop(source: str, finding: Finding) -> str:
    """CA101/CA103: the loop on a ThreadPoolExecutor, order kept by ``executor.map``."""
    workers = finding.workers or STATIC_THREAD_WORKERS
    return rewrite_loops(source, {finding.site or finding.line: workers}, THREAD_POOL)
