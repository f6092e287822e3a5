"""Proving a rewrite: run the original and the rewritten program alternately, compare what they
print and how long they take, and keep the rewrite only if the output is the same and it is faster.

The measurement is `concadvise bench`'s (advisor/verify/bench.py): a warm-up pair, alternating
runs, the median of the per-pair ratios; the output comparison is advisor/verify/equivalence.py's
(exit code, stdout, stderr and the files each run wrote, self-reported durations masked,
optionally order-insensitive).
"""

from __future__ import annotations

import contextlib
import importlib.util
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from advisor.codemods.writing import write_atomically
from advisor.display import rounded, speedup_text
from advisor.verify.bench import BenchResult, Ratio, RunTimedOut, Version, run_alternating
from advisor.verify.equivalence import DEFAULT_RULE, OutputRule

# A rewrite must beat the original by this factor (median of the per-pair ratios) to be kept:
# below it the difference is within what these shared 2-core machines show between identical runs.
MIN_KEEP_SPEEDUP = 1.05


@dataclass(frozen=True, slots=True)
class VerificationRun:
    before_s: tuple[float, ...]
    after_s: tuple[float, ...]
    same_output: bool
    kept: bool
    reason: str  # why the rewrite was rolled back; empty when kept
    ratio: Ratio | None = None  # per-pair before/after: median, min, max
    noise_warning: str | None = None
    runs_note: str | None = None  # the runs happened in place, not in a scratch copy: why

    @property
    def speedup(self) -> float:
        """The median of the per-pair before/after ratios (0.0 when no pair was timed)."""
        return self.ratio.median if self.ratio is not None else 0.0


def measured_speedup(ratio: Ratio | None) -> float:
    """The measured figure a verification reports: the median per-pair ratio to 3 places (0.0
    when no pair was timed), rounded once so its reason and every table show the same value."""
    return rounded(ratio.median, 3) if ratio is not None else 0.0


def _put_in_place(path: str, content: bytes) -> None:
    write_atomically(path, content)
    # The file may be a module the command imports: its cached bytecode is keyed by mtime in
    # whole seconds and size, so a same-size rewrite within the second would run stale code.
    with contextlib.suppress(OSError, ValueError):
        os.unlink(importlib.util.cache_from_source(path))


def _version_of(path: str, content: bytes) -> Callable[[Callable[[str], str]], None]:
    """Puts ``content`` where ``path`` is for the run (its scratch copy, or the file itself)."""
    return lambda place: _put_in_place(place(path), content)


def _leave(path: str, content: bytes) -> None:
    """The user's file ends holding ``content``; untouched when it already does (the runs
    happened in a scratch copy)."""
    with contextlib.suppress(OSError):
        if Path(path).read_bytes() == content:
            return
    _put_in_place(path, content)


def _decide(result: BenchResult, min_speedup: float) -> tuple[bool, str]:
    if not result.same_output:
        difference = result.difference or "output changed"
        if difference.startswith("the before version"):
            return False, difference
        return False, f"{difference} after the rewrite"
    speedup = measured_speedup(result.ratio)
    if speedup >= min_speedup:
        return True, ""
    return False, f"not faster ({speedup_text(speedup, 2)}; needs {min_speedup}x)"


def verify_rewrite(
    path: str,
    original: bytes,
    rewritten: bytes,
    command: Sequence[str],
    *,
    cwd: str | None,
    runs: int,
    timeout: float | None,
    on_run: Callable[[str], None] | None = None,
    rule: OutputRule = DEFAULT_RULE,
    min_speedup: float = MIN_KEEP_SPEEDUP,
    expected_exit_code: int | None = None,
    stdin: Path | None = None,
) -> VerificationRun:
    """Time ``command`` with ``path`` holding the original and the rewritten bytes, alternately,
    each run in a fresh scratch copy of the working directory ``cwd`` (advisor/verify/
    workspace.py), in place when it is too large or the program does not exit there with
    ``expected_exit_code`` (the profiled run's); ``stdin``: a file every run reads from its start.

    One warm-up pair, then ``runs`` counted pairs. The file ends holding the rewrite only if it
    was kept, else the original bytes exactly. ``on_run`` hears "before"/"after" after each run.
    """
    kept = False
    try:
        try:
            result = run_alternating(
                Version(tuple(command), _version_of(path, original)),
                Version(tuple(command), _version_of(path, rewritten)),
                runs=runs,
                warmup=1,
                timeout=timeout,
                cwd=cwd,
                rule=rule,
                stop_on_difference=True,
                on_run=None if on_run is None else lambda event: on_run(event.label),
                scratch=True,
                expected_exit_code=expected_exit_code,
                stdin=stdin,
            )
        except RunTimedOut as exc:
            return VerificationRun((), (), False, False, str(exc))
        kept, reason = _decide(result, min_speedup)
        return VerificationRun(
            before_s=result.before.runs,
            after_s=result.after.runs,
            same_output=result.same_output,
            kept=kept,
            reason=reason,
            ratio=result.ratio,
            noise_warning=result.noise_warning,
            runs_note=result.runs_note,
        )
    finally:
        _leave(path, rewritten if kept else original)
