"""The parent's side of counting loop iterations: the command that runs the program through the
bootstrap (advisor/profiling/bootstrap.py, which does the counting inside it), and reading the
counts it leaves behind."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path

from advisor.model import LoopCount, StartedWork, UncountedFile, from_plain
from advisor.profiling import bootstrap
from advisor.profiling.target import Target

BOOTSTRAP = os.path.realpath(bootstrap.__file__)
COUNTS_FILE = "loop_counts.json"


def counted_command(target: Target) -> list[str]:
    """`python bootstrap.py SCRIPT ARGS` (or `-m MODULE ARGS`) with the user's Python: by path,
    not `-m advisor...`, so nothing of ours needs to be importable there."""
    return [target.interpreter.executable, BOOTSTRAP, *target.python_args()]


def counting_env(target: Target, counts_file: str | Path) -> dict[str, str]:
    """The user's environment plus the two variables the bootstrap removes before the program
    starts (so the program and its children see the environment unchanged)."""
    return dict(
        os.environ,
        **{bootstrap.COUNTS_ENV: str(counts_file), bootstrap.USER_DIR_ENV: target.code_dir},
    )


@dataclass(frozen=True, slots=True)
class CountsFile:
    """What the bootstrap left behind: the loops it counted, the pool modules the program had
    imported by its end, and the files it could not instrument (with why)."""

    loops: tuple[LoopCount, ...] = ()
    imported: tuple[str, ...] = ()
    written: bool = False  # False: the run ended before the bootstrap could write (os._exit)
    uncounted: tuple[UncountedFile, ...] = ()
    started: tuple[StartedWork, ...] = ()


def read_counts(path: str | Path) -> CountsFile:
    """The counts the bootstrap wrote; ``written`` is False when it could not (os._exit,
    SIGKILL) or the file is not what it writes."""
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
        return CountsFile(
            loops=tuple(
                LoopCount(
                    path=str(loop["path"]),
                    line=int(loop["line"]),
                    entries=int(loop["entries"]),
                    items=int(loop["items"]),
                    capped=bool(loop.get("capped", False)),
                    seconds=float(loop["seconds"]) if "seconds" in loop else None,
                    timed=int(loop.get("timed", 0)),
                    children_cpu_s=float(loop.get("children_cpu", 0.0)),
                    suspends=bool(loop.get("suspends", False)),
                )
                for loop in data["loops"]
            ),
            imported=tuple(str(name) for name in data.get("imported", ())),
            written=True,
            uncounted=tuple(
                UncountedFile(str(entry["path"]), str(entry["reason"]))
                for entry in data.get("uncounted", ())
            ),
            started=from_plain(tuple[StartedWork, ...], data.get("started", [])),
        )
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return CountsFile()
