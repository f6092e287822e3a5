"""Timing two versions of a program against each other the way a benchmarking tool would.

Runs alternate (A B A B …) so that the machine's noise — other processes, frequency changes, a
cache flushed by someone else — falls on both versions alike instead of on whichever ran during
the disturbance. The first ``warmup`` pairs fill file and bytecode caches and are not counted.
The speed figure is the median of the per-pair ratios before/after: each pair ran under nearly
the same conditions, so the ratio of a pair is steadier than the ratio of two medians.
"""

from __future__ import annotations

import contextlib
import statistics
import subprocess
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Literal

from advisor.errors import ConcadviseError, UsageError
from advisor.profiling.interpreter import find_interpreter
from advisor.profiling.runner import CompletedRun, run_in_process_group
from advisor.verify.equivalence import DEFAULT_RULE, OutputRule, RunRecord, run_difference
from advisor.verify.workspace import RunSpace

Label = Literal["before", "after"]

# Identical runs of a 0.3 s script spread 1.18-1.22x (max/min of 11 runs, sleep-bound and
# CPU-bound alike) on the shared 2-core machines we measure on; a side spreading wider than this
# saw the load change during the measurement, and its median may be off.
NOISY_SPREAD = 1.25


class RunTimedOut(ConcadviseError):
    """One run of a version went past the timeout (its whole process group was killed)."""

    def __init__(self, label: Label, timeout: float) -> None:
        super().__init__(f"the {label} version ran past the timeout of {timeout:g} s")
        self.label = label


@dataclass(frozen=True, slots=True)
class Timing:
    """Wall seconds of the counted runs of one version, in the order they ran."""

    median_s: float
    min_s: float
    max_s: float
    runs: tuple[float, ...]

    @classmethod
    def of(cls, runs: Sequence[float]) -> Timing:
        if not runs:
            return cls(0.0, 0.0, 0.0, ())
        return cls(statistics.median(runs), min(runs), max(runs), tuple(runs))

    @property
    def spread(self) -> float:
        """max/min: 1.0 means every run took the same time."""
        return self.max_s / self.min_s if self.min_s > 0 else 1.0


@dataclass(frozen=True, slots=True)
class Ratio:
    """before/after of each counted pair: above 1 the after version is faster."""

    median: float
    min: float
    max: float

    @property
    def slowdown(self) -> float:
        """after/before, the figure to show when the after version is slower."""
        return 1 / self.median if self.median > 0 else float("inf")

    @classmethod
    def of_pairs(cls, before: Sequence[float], after: Sequence[float]) -> Ratio | None:
        ratios = [b / a for b, a in zip(before, after, strict=False) if a > 0]
        if not ratios:
            return None
        return cls(statistics.median(ratios), min(ratios), max(ratios))


@dataclass(frozen=True, slots=True)
class BenchResult:
    before: Timing
    after: Timing
    ratio: Ratio | None  # None when no pair completed
    same_output: bool
    difference: str | None  # the first output difference, when not the same
    noise_warning: str | None
    # where the runs happened, when not as documented (advisor/verify/workspace.py)
    runs_note: str | None = None
    # how the first run failed (a non-zero exit or a signal): the same failure on both sides is
    # still a failure, not a successful comparison
    failure: str | None = None
    # the user's output masks the comparison applied (`--ignore-output`, `ignore-output`)
    ignored_output: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        """The `bench --format json` document; seconds to the microsecond; the additions
        (``runs_note``, ``failure``, ``ignored_output``) only when there is one."""
        document = _rounded(asdict(self))
        for addition in ("runs_note", "failure", "ignored_output"):
            if not document[addition]:
                del document[addition]
        return document


def _rounded(value: Any) -> Any:
    if isinstance(value, dict):
        return {key: _rounded(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [_rounded(item) for item in value]
    return round(value, 6) if isinstance(value, float) else value


@dataclass(frozen=True, slots=True)
class RunEvent:
    """One finished run, for a live display."""

    label: Label
    done: int  # runs finished so far, this one included
    total: int
    wall_s: float
    warmup: bool


@dataclass(frozen=True, slots=True)
class Version:
    """What to run for one side, and what to do just before each of its runs."""

    argv: tuple[str, ...]
    # e.g. put this version's bytes in place; it is given where a path is for the run
    # (RunSpace.place: in the scratch copy of the working directory, or the path itself)
    prepare: Callable[[Callable[[str], str]], None] | None = None


def noise_warning(before: Timing, after: Timing, ratio: Ratio | None) -> str | None:
    """Why these figures should not be trusted, if they should not; None when they hold."""
    problems = [
        f"{label} runs spread {timing.spread:.2f}x ({timing.min_s:.3g}-{timing.max_s:.3g} s)"
        for label, timing in (("before", before), ("after", after))
        if len(timing.runs) > 1 and timing.spread > NOISY_SPREAD
    ]
    if ratio is not None and ratio.min < 1.0 < ratio.max:
        problems.append(
            f"the pairwise ratio ranges {ratio.min:.2f}x-{ratio.max:.2f}x, across 1.0: "
            "these runs cannot tell which version is faster"
        )
    if not problems:
        return None
    return "; ".join(problems) + " (a busy machine; more --runs or a quieter moment help)"


def _run(
    version: Version, space: RunSpace, timeout: float | None, stdin: Path | None = None
) -> tuple[CompletedRun, RunRecord]:
    """One run; ``stdin``: a file every run reads from its start (else stdin is closed)."""
    space.refresh()
    if version.prepare is not None:
        version.prepare(space.place)
    before = space.stamp()
    with contextlib.ExitStack() as stack:
        given = stack.enter_context(open(stdin, "rb")) if stdin is not None else None
        run = run_in_process_group(
            space.argv(version.argv),
            cwd=space.run_cwd,
            timeout=timeout,
            stdin=given.fileno() if given is not None else subprocess.DEVNULL,
        )
    return run, RunRecord(run.exit_code, run.stdout, run.stderr, space.effects(before))


def _first_run(
    version: Version,
    space: RunSpace,
    timeout: float | None,
    expected_exit_code: int | None,
    stdin: Path | None = None,
) -> tuple[CompletedRun, RunRecord]:
    """The first run, the one all others are compared with; again in place when in a scratch
    copy the program does not exit as it did when profiled (it needs more than its directory)."""
    run, record = _run(version, space, timeout, stdin)
    if space.scratch and not run.timed_out and expected_exit_code not in (None, run.exit_code):
        space.run_in_place(
            f"in a copy the program exited with code {run.exit_code}, not "
            f"{expected_exit_code} as when profiled"
        )
        run, record = _run(version, space, timeout, stdin)
    return run, record


def run_alternating(
    before: Version,
    after: Version,
    *,
    runs: int,
    warmup: int = 1,
    timeout: float | None = None,
    cwd: str | None = None,
    rule: OutputRule = DEFAULT_RULE,
    stop_on_difference: bool = False,
    on_run: Callable[[RunEvent], None] | None = None,
    scratch: bool = False,
    expected_exit_code: int | None = None,
    stdin: Path | None = None,
) -> BenchResult:
    """``warmup`` + ``runs`` pairs, before then after, every run compared with the first: exit
    code, stdout, stderr and the files it wrote (advisor/verify/equivalence.py).

    With ``scratch`` each run happens in a fresh copy of the working directory
    (advisor/verify/workspace.py); when the first run there does not exit with
    ``expected_exit_code`` (the program needs more than its directory), the runs happen in place.
    Raises RunTimedOut when a run goes past ``timeout``. With ``stop_on_difference`` the first
    differing output ends the measurement (the verifier: that rewrite is rejected anyway).
    """
    times: dict[Label, list[float]] = {"before": [], "after": []}
    # a before that disagrees with itself makes every after comparison meaningless: it wins
    differences: dict[Label, str | None] = {"before": None, "after": None}
    baseline: RunRecord | None = None
    total = 2 * (warmup + runs)
    done = 0
    with RunSpace(cwd, before.argv, scratch=scratch) as space:
        # concadvise: ignore[CA101]: timed runs, one at a time and alternating, on purpose
        for pair in range(warmup + runs):
            for label, version in (("before", before), ("after", after)):
                if baseline is None:
                    run, record = _first_run(version, space, timeout, expected_exit_code, stdin)
                else:
                    run, record = _run(version, space, timeout, stdin)
                done += 1
                if on_run is not None:
                    on_run(RunEvent(label, done, total, run.wall_s, pair < warmup))
                if run.timed_out:
                    raise RunTimedOut(label, timeout or 0.0)
                if baseline is None:
                    baseline = record
                elif differences[label] is None:
                    differences[label] = run_difference(baseline, record, rule)
                if pair >= warmup:
                    times[label].append(run.wall_s)
            if stop_on_difference and (differences["before"] or differences["after"]):
                if differences["before"] is None and baseline is not None:
                    # one more, uncounted run of the original tells a changed result from a
                    # program that prints something different every time
                    rerun, rerun_record = _run(before, space, timeout, stdin)
                    if not rerun.timed_out:
                        differences["before"] = run_difference(baseline, rerun_record, rule)
                break
    difference = differences["after"]
    if differences["before"] is not None:
        difference = (
            f"the before version's own output differs between runs: {differences['before']}"
        )
    before_timing, after_timing = Timing.of(times["before"]), Timing.of(times["after"])
    ratio = Ratio.of_pairs(before_timing.runs, after_timing.runs)
    return BenchResult(
        before=before_timing,
        after=after_timing,
        ratio=ratio,
        same_output=difference is None,
        difference=difference,
        noise_warning=noise_warning(before_timing, after_timing, ratio),
        runs_note="; ".join(space.notes) or None,
        failure=failure_of(baseline) if baseline is not None else None,
        ignored_output=rule.ignore,
    )


def failure_of(record: RunRecord) -> str | None:
    """How a run failed, in one line (its exit code or signal, and stderr's last line)."""
    if record.exit_code == 0:
        return None
    if record.exit_code < 0:
        how = f"killed by signal {-record.exit_code}"
    else:
        how = f"exit code {record.exit_code}"
    lines = record.stderr.decode("utf-8", "replace").splitlines()
    last = next((line for line in reversed(lines) if line.strip()), "")
    return f"{how}: {last.strip()}" if last else how


@dataclass(frozen=True, slots=True)
class BenchRequest:
    """`concadvise bench BEFORE AFTER [-- ARGS]`: two scripts, run with the user's Python."""

    before: str
    after: str
    args: tuple[str, ...] = ()
    runs: int = 5
    warmup: int = 1
    timeout: float | None = 600.0
    rule: OutputRule = DEFAULT_RULE
    python: str | None = None  # None: the active virtual environment's, else the first on PATH
    stdin: bytes | None = None  # given to every run from its start (`--stdin`); None: closed

    @property
    def total_runs(self) -> int:
        return 2 * (self.warmup + self.runs)


def _script_argv(python: str, script: str, args: Sequence[str]) -> tuple[str, ...]:
    path = Path(script)
    if not path.exists():
        raise UsageError(f"no such script: {script}")
    if not path.is_file():
        raise UsageError(f"not a file: {script}")
    return (python, script, *args)


def bench_scripts(
    request: BenchRequest, on_run: Callable[[RunEvent], None] | None = None
) -> BenchResult:
    """Time BEFORE against AFTER with the same arguments, alternately, and compare outputs."""
    python = find_interpreter(request.python).executable
    before = Version(_script_argv(python, request.before, request.args))
    after = Version(_script_argv(python, request.after, request.args))
    with tempfile.TemporaryDirectory(prefix="concadvise-stdin-") as folder:
        stdin = None
        if request.stdin is not None:
            stdin = Path(folder, "stdin")
            stdin.write_bytes(request.stdin)
        return run_alternating(
            before,
            after,
            runs=request.runs,
            warmup=request.warmup,
            timeout=request.timeout,
            rule=request.rule,
            on_run=on_run,
            stdin=stdin,
        )
