"""Rewrite a serial loop onto a Dask cluster (CA401, or any loop fix with ``--executor dask``).

The loop becomes the same ``executor.map`` as for a local pool, on the concurrent.futures
executor of a ``distributed.Client``. The client connects to the scheduler named by the
``DASK_SCHEDULER_ADDRESS`` environment variable (Dask's own configuration reads it), else to the
address given when the fix was made, else starts a ``LocalCluster`` of worker processes on this
machine. Items run in other processes, so the rules of the process-pool rewrite apply: a
module-level callable and a ``__main__`` guard (a LocalCluster starts its workers by spawning).
Closing the client in the same ``with`` also closes a LocalCluster it started, at once, instead of
at interpreter exit (measured: 3.9 s against 8.2 s for a 5-item script).
"""

from __future__ import annotations

import importlib.util

from libcst.codemod.visitors import ImportItem

from advisor.codemods.loop_executor import PoolFactory, rewrite_loop
from advisor.model import Finding, Site

__all__ = [
    "DASK_ADDRESS_VARIABLE",
    "DASK_LOG_LINES",
    "dask_available",
    "dask_pool",
    "fix_dask_loop",
    "rewrite_loop_to_dask",
]

DASK_ADDRESS_VARIABLE = "DASK_SCHEDULER_ADDRESS"
# A line of Dask's own logging on stderr ("2026-12-04 04:31:10,123 - distributed.core - INFO -
# ...", or a busy machine's "Event loop was unresponsive"): not the program's output, left out of
# the comparison when a Dask rewrite is verified.
DASK_LOG_LINES = (r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d+ - distributed\.",)


def dask_pool(address: str | None = None) -> PoolFactory:
    """The pool factory for a Dask client: ``address`` is the default scheduler address written
    into the code (the environment variable still wins); None starts a LocalCluster."""
    default = "" if address is None else f', "{address}"'
    return PoolFactory(
        "distributed",
        "Client",
        lambda _workers: "{session}.get_executor()",
        crosses_processes=True,
        extra_imports=(ImportItem("os"),),
        session=(f'Client(os.environ.get("{DASK_ADDRESS_VARIABLE}"{default}))', "dask_client"),
    )


def rewrite_loop_to_dask(source: str, line: int | Site, address: str | None = None) -> str:
    """The loop starting on ``line`` on a Dask client's executor; RewriteError if it cannot."""
    return rewrite_loop(source, line, None, dask_pool(address))


def fix_dask_loop(source: str, finding: Finding, address: str | None = None) -> str:
    """CA401 (and CA101/CA102/CA103 with ``--executor dask``): the loop on a Dask cluster."""
    return rewrite_loop_to_dask(source, finding.site or finding.line, address)


def dask_available() -> bool:
    """Whether ``distributed`` is importable here (the rewritten code imports it)."""
    return importlib.util.find_spec("distributed") is not None
