"""Rewrite serial loops of pure-Python CPU work onto ``ProcessPoolExecutor`` + ``executor.map``
(CA102).

Threads cannot run Python bytecode in parallel under the GIL; processes can. Each item's work is
sent to a worker process, so it must be a picklable module-level function (``F`` itself when the
value is ``F(item)``, else a new function the rewrite adds, given every local value it reads by
keyword), and code that runs on import moves under ``if __name__ == "__main__":``, or every
worker would run it again (see :mod:`advisor.codemods.loop_executor`).
"""

from __future__ import annotations

from advisor.codemods.loop_executor import PROCESS_POOL, rewrite_loop
from advisor.model import Finding

__all__ = ["fix_process_pool_loop"]


def fix_process_pool_loop(source: str, finding: Finding) -> str:
    """CA102: the loop on a ProcessPoolExecutor, order kept by ``executor.map``. Without a
    measured worker count the pool's default (one worker per CPU) is used."""
    return rewrite_loop(
        source,
        finding.site or finding.line,
        finding.workers,
        PROCESS_POOL,
        chunksize=finding.chunksize,
    )
