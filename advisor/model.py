"""Plain data passed between the stages, and the one path that turns a Report into JSON.

The JSON shape is the public contract of DESIGN.md (``schema_version`` 1). Every stage takes and
returns these frozen dataclasses; only :func:`report_to_dict` knows how they become JSON.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any, Literal

SCHEMA_VERSION = 1
# Fields added to schema 1 after its first release leave the JSON when they hold nothing, so a
# report that does not use them reads exactly as before (and old readers see no new keys).
_ADDED_IN_V1 = {"omit_when_none": True}

Kind = Literal["io", "cpu", "native", "mixed", "unknown"]
Suggestion = Literal[
    "thread_pool",
    "process_pool",
    "asyncio_gather",
    "to_thread",
    "asyncio_sleep",
    "bounded_pool",
    "dask",
    "none",
]
FixSafety = Literal["safe", "unsafe", "none"]
ErrorKind = Literal["syntax", "encoding", "io", "internal", "profiler", "script"]
# The shapes of loop the thread-pool rewrite understands (see advisor/codemods/thread_pool.py).
LoopForm = Literal[
    "for_append",
    "for_dict_item",
    "for_augassign",
    "for_set_add",
    "for_extend",
    "list_comp",
    "dict_comp",
    "other",
]


@dataclass(frozen=True, slots=True)
class LoopSite:
    """A loop or comprehension found in source, with what static analysis learnt about it."""

    path: str
    line: int  # first line of the loop statement (or of the statement holding the comprehension)
    end_line: int
    form: LoopForm
    target: str  # source of the loop target, e.g. "url"
    io_calls: tuple[str, ...]  # qualified names of known blocking calls reached from the body
    unsafe_reasons: tuple[str, ...]  # why a rewrite could change behaviour; empty = safe
    unsupported_reason: str | None = (
        None  # why no rewrite exists for this shape (fix_safety "none")
    )
    enclosing_function: str | None = None
    native_calls: tuple[str, ...] = ()  # known GIL-releasing native calls reached from the body
    cpu_calls: tuple[str, ...] = ()  # known GIL-holding Python-CPU calls reached from the body
    literal_items: int | None = None  # element count when iterating a literal tuple/list/set

    def encloses(self, inner: LoopSite) -> bool:
        """Does this loop's source span strictly contain ``inner``'s?"""
        return (
            self.path == inner.path
            and self.line <= inner.line
            and inner.end_line <= self.end_line
            and (self.line, self.end_line) != (inner.line, inner.end_line)
        )


@dataclass(frozen=True, slots=True)
class PoolSite:
    """An existing thread or process pool found in source: what it runs, where the program
    waits for it. Its workers' measured time is charged to it (CA203, CA204)."""

    path: str
    line: int  # the line of the pool's constructor call
    end_line: int
    kind: Literal["thread", "process"]
    pool: str  # qualified class name, e.g. "concurrent.futures.ThreadPoolExecutor"
    functions: tuple[tuple[int, int], ...]  # first/last lines of the functions it is given
    waits: tuple[tuple[int, int], ...]  # its `with` block, else the statements that use it
    workers: int | None = None  # max_workers / processes when written as a number


@dataclass(frozen=True, slots=True)
class LineTime:
    """Seconds measured on one source line, callees included (charged to the calling user line)."""

    path: str
    line: int
    cpu_python_s: float
    cpu_native_s: float
    waiting_s: float

    @property
    def wall_s(self) -> float:
        return self.cpu_python_s + self.cpu_native_s + self.waiting_s


# Where a stack ran: the main thread, another thread, a pool's worker thread, a child process
# (a pool's worker or not); "" when the profiler cannot tell (scalene).
StackOrigin = Literal["main", "thread", "thread_pool", "process", "process_pool", ""]


@dataclass(frozen=True, slots=True)
class StackSample:
    """One distinct call stack of user frames (outermost first) and the seconds charged to it.

    In a pool's worker the frames start at the function the pool runs.
    """

    frames: tuple[tuple[str, int], ...]  # (path, line) of each user frame, outermost first
    cpu_python_s: float
    cpu_native_s: float
    waiting_s: float
    origin: StackOrigin = ""


@dataclass(frozen=True, slots=True)
class LoopCount:
    """How often a loop ran and how many items it took, counted during the profiled run."""

    path: str
    line: int  # the loop site's line (LoopSite.line)
    entries: int  # executions of the loop; a lower bound when ``capped``
    items: int  # items over the counted executions
    capped: bool = False  # counting stopped after this many executions (an inner loop)
    seconds: float | None = None  # wall time inside the loop over its ``timed`` executions
    timed: int = 0  # None/0: not timed (a generator's loop, or one in a class body)
    children_cpu_s: float = 0.0  # CPU time of the child processes it waited for, when timed
    # a coroutine's loop that awaits: ``seconds`` (when timed) include the time it was suspended,
    # which the samples never show (the event loop, not the loop's frame, is on the stack then)
    suspends: bool = False

    @property
    def items_per_entry(self) -> float:
        return self.items / self.entries if self.entries else 0.0


@dataclass(frozen=True, slots=True)
class ProfileResult:
    """What one profiled run measured; profiler-independent."""

    profiler: str
    script: str
    wall_s: float
    exit_code: int
    stacks: tuple[StackSample, ...]
    complete: bool = True  # False when the script crashed or timed out and the profile is partial
    loop_counts: tuple[LoopCount, ...] = ()  # empty when the run could not count (os._exit...)
    # seconds of ``wall_s`` before the program's own code ran (interpreter start-up): a
    # profiler that attaches to a running process has no samples of it
    startup_s: float = 0.0
    # the pool modules (concurrent.futures.thread/.process) the program had imported by its end
    imported: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Evidence:
    wall_s: float
    share_of_run: float
    cpu_python: float  # shares of the loop's own wall time
    cpu_native: float
    waiting: float
    # items per execution of the loop, counted in the run; None: not counted
    iterations: int | None = dataclasses.field(default=None, metadata=_ADDED_IN_V1)
    # times the loop ran (at least this many when counting stopped at its cap)
    executions: int | None = dataclasses.field(default=None, metadata=_ADDED_IN_V1)
    # CPU seconds of the child processes the loop waited for (its commands' own work)
    children_cpu_s: float | None = dataclasses.field(default=None, metadata=_ADDED_IN_V1)


@dataclass(frozen=True, slots=True)
class Finding:
    rule: str
    path: str
    line: int
    end_line: int
    message: str
    kind: Kind
    suggestion: Suggestion
    fix_safety: FixSafety
    reasons: tuple[str, ...] = ()
    workers: int | None = None
    predicted_speedup: float | None = None
    evidence: Evidence | None = None
    diff: str | None = None  # unified diff of the proposed rewrite, where one exists and is safe


@dataclass(frozen=True, slots=True)
class ErrorEntry:
    path: str
    kind: ErrorKind
    message: str


@dataclass(frozen=True, slots=True)
class RunInfo:
    wall_s: float
    profiler: str
    exit_code: int
    timed_out: bool = False
    # seconds concadvise spent on the analysis after the run (not the run, not the calibration)
    analysis_s: float | None = dataclasses.field(default=None, metadata=_ADDED_IN_V1)
    # the Python that ran the program (its sys.executable) and its version, e.g. "3.12.1"
    python: str | None = dataclasses.field(default=None, metadata=_ADDED_IN_V1)
    python_version: str | None = dataclasses.field(default=None, metadata=_ADDED_IN_V1)


@dataclass(frozen=True, slots=True)
class Verification:
    finding: int  # index into Report.findings
    before_s: tuple[float, ...]
    after_s: tuple[float, ...]
    speedup: float
    same_output: bool
    kept: bool
    reason: str = ""
    # why these timings should not be trusted (runs spread wide, ratios across 1.0), if so
    noise_warning: str | None = field(default=None, metadata=_ADDED_IN_V1)
    # the timed runs happened in the working directory, not in scratch copies of it: why
    runs_note: str | None = field(default=None, metadata=_ADDED_IN_V1)


@dataclass(frozen=True, slots=True)
class Report:
    tool_version: str
    findings: tuple[Finding, ...] = ()
    errors: tuple[ErrorEntry, ...] = ()
    run: RunInfo | None = None
    verification: tuple[Verification, ...] = ()


def plain(value: Any) -> Any:
    """A model value as JSON data, the way the report has it (fields added to schema 1 left out
    when empty, floats to 4 places); for renderers that embed a part of the report."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {
            f.name: plain(getattr(value, f.name))
            for f in dataclasses.fields(value)
            if not (f.metadata.get("omit_when_none") and getattr(value, f.name) is None)
        }
    if isinstance(value, (tuple, list)):
        return [plain(v) for v in value]
    if isinstance(value, float):
        return round(value, 4)
    return value


def report_to_dict(report: Report) -> dict[str, Any]:
    """The versioned JSON contract of DESIGN.md."""
    out: dict[str, Any] = {
        "schema_version": SCHEMA_VERSION,
        "tool": {"name": "concadvise", "version": report.tool_version},
        "findings": [plain(f) for f in report.findings],
        "errors": [plain(e) for e in report.errors],
    }
    if report.run is not None:
        out["run"] = plain(report.run)
    if report.verification:
        out["verification"] = [plain(v) for v in report.verification]
    return out
