"""Rewrite a serial loop onto Ray (CA401, or any loop fix with ``--executor ray``).

The loop becomes ``with Pool() as executor: ... executor.imap(...)`` on Ray's multiprocessing-
style pool (``ray.util.multiprocessing.Pool``): it connects to the cluster the ``RAY_ADDRESS``
environment variable names (Ray's own configuration), else starts a local Ray on this machine,
which is how the rewrite can be tried before a cluster exists. ``imap`` hands the results back
lazily, in input order, and raises an item's exception when its result is taken, as a local
pool's ``map`` does (Ray's ``map`` would wait for every item first). Items run in other
processes, so the rules of the process-pool rewrite apply: a module-level callable and a
``__main__`` guard.
"""

from __future__ import annotations

import importlib.util

from advisor.codemods.loop_executor import PoolFactory, rewrite_loop
from advisor.model import Finding, Site

__all__ = ["RAY_LOG_LINES", "RAY_POOL", "fix_ray_loop", "ray_available", "rewrite_loop_to_ray"]

# The lines Ray itself writes when the rewritten program starts or joins a cluster: its logging
# on stderr ("2026-12-04 04:22:29,618<TAB>INFO worker.py:2038 -- Started a local Ray instance.")
# and its system components' notes forwarded to stdout ("(raylet) A worker died...", as the pool
# shuts its workers down). The verifier of a Ray rewrite leaves them out of the comparison: they
# are not the program's. A worker's own prints, "(fn pid=123) ...", are kept.
RAY_LOG_LINES = (
    r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d+\t(?:DEBUG|INFO|WARNING) [\w./-]+:\d+ -- ",
    r"(?:\x1b\[[\d;]*m)?\((?:raylet|autoscaler|gcs_server|monitor|dashboard)[^)]*\)",
)

RAY_POOL = PoolFactory(
    "ray.util.multiprocessing",
    "Pool",
    lambda _workers: "Pool()",
    crosses_processes=True,
    map_method="imap",
)


def rewrite_loop_to_ray(source: str, line: int | Site) -> str:
    """The loop starting on ``line`` on a Ray pool; RewriteError if it cannot."""
    return rewrite_loop(source, line, None, RAY_POOL)


def fix_ray_loop(source: str, finding: Finding) -> str:
    """CA401 with ``--executor ray`` (and CA101/CA102/CA103): the loop on Ray."""
    return rewrite_loop_to_ray(source, finding.site or finding.line)


def ray_available() -> bool:
    """Whether ``ray`` is importable here (the rewritten code imports it)."""
    return importlib.util.find_spec("ray") is not None
