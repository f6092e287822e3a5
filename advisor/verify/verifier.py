"""Proving a rewrite: run the original and the rewritten program alternately, compare what they
print and how long they take, and keep the rewrite only if the output is identical and it is faster.

Alternating (A B A B …) spreads the machine's noise over both versions instead of one; the first
pair is a warm-up (file caches, bytecode compilation) and is not counted.
"""

from __future__ import annotations

import statistics
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from advisor.codemods.writing import write_atomically
from advisor.profiling.runner import CompletedRun, run_in_process_group

# A rewrite must beat the original by this factor on the medians to be kept: below it the
# difference is within what these shared 2-core machines show between identical runs.
MIN_KEEP_SPEEDUP = 1.05


@dataclass(frozen=True, slots=True)
class VerificationRun:
    before_s: tuple[float, ...]
    after_s: tuple[float, ...]
    same_output: bool
    kept: bool
    reason: str

    @property
    def speedup(self) -> float:
        after = statistics.median(self.after_s) if self.after_s else 0.0
        before = statistics.median(self.before_s) if self.before_s else 0.0
        return before / after if after > 0 else 0.0


def _same(a: CompletedRun, b: CompletedRun) -> bool:
    return a.stdout == b.stdout and a.exit_code == b.exit_code


def _difference(a: CompletedRun, b: CompletedRun) -> str:
    if a.exit_code != b.exit_code:
        return f"exit code changed from {a.exit_code} to {b.exit_code}"
    return "standard output changed"


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
) -> VerificationRun:
    """Time ``command`` with ``path`` holding the original and the rewritten bytes, alternately.

    The file ends holding the rewrite only if it was kept, else the original bytes exactly.
    """
    before: list[float] = []
    after: list[float] = []
    baseline: CompletedRun | None = None
    kept = False
    try:
        for round_index in range(runs + 1):
            for label, content, times in (
                ("before", original, before),
                ("after", rewritten, after),
            ):
                write_atomically(path, content)
                run = run_in_process_group(command, cwd=cwd, timeout=timeout)
                if on_run is not None:
                    on_run(label)
                if run.timed_out:
                    return VerificationRun(
                        tuple(before),
                        tuple(after),
                        False,
                        False,
                        f"the {label} version ran past the timeout",
                    )
                if baseline is None:
                    baseline = run
                elif not _same(baseline, run):
                    return VerificationRun(
                        tuple(before),
                        tuple(after),
                        False,
                        False,
                        f"{_difference(baseline, run)} after the rewrite"
                        if label == "after"
                        else "the original program's output differs between runs",
                    )
                if round_index > 0:  # the first pair warms caches
                    times.append(run.wall_s)
        result = VerificationRun(tuple(before), tuple(after), True, False, "")
        if result.speedup >= MIN_KEEP_SPEEDUP:
            kept = True
            return VerificationRun(result.before_s, result.after_s, True, True, "")
        return VerificationRun(
            result.before_s,
            result.after_s,
            True,
            False,
            f"not faster ({result.speedup:.2f}x; needs {MIN_KEEP_SPEEDUP}x)",
        )
    finally:
        write_atomically(path, rewritten if kept else original)
