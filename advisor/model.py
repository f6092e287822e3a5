"""Plain data passed between the stages, and the one path between it and JSON.

The report's JSON shape is the public contract of DESIGN.md (``schema_version`` 1). Every stage
takes and returns these frozen dataclasses; :func:`plain` turns them into JSON data (the report
through :func:`report_to_dict`, a saved profile likewise) and :func:`from_plain` back.
"""

from __future__ import annotations

import dataclasses
import statistics
import types
import typing
from dataclasses import dataclass, field
from functools import cache
from typing import Any, Literal, get_args, get_origin

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
    "ray",
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
    "for_tail",  # work in the pool, then a serial tail over its results (loop fission)
    "list_comp",
    "dict_comp",
    "other",
]


@dataclass(frozen=True, slots=True)
class Site:
    """Exactly where a finding's code is, the way the detector located it: the span of the node
    a fix replaces (1-based lines; 1-based columns in characters, the end exclusive, as SARIF
    counts them) and the shape it recognised there. A fixer is handed this node; it never
    searches for its target by line again."""

    line: int
    column: int
    end_line: int
    end_column: int
    # what was recognised at the span: a loop form ("for_append", ... "other"), "call", "for",
    # "comprehension", "with", "statement"
    shape: str


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
    # the item count the source tells: a literal, or `range` of constants (`range(1, PAGES + 1)`)
    static_items: int | None = None
    site: Site | None = None  # the loop (or the statement holding the comprehension) located
    # doubts a verified run can settle (an external effect, a callee concadvise cannot see):
    # unsafe for `fix`, tried by `profile --apply`, which keeps the rewrite only if the run agrees
    checkable_reasons: tuple[str, ...] = ()
    # the call by which the loop starts or waits for concurrent work already there (`t.join()`):
    # not a serial loop of work, whatever its time
    coordinates: str | None = None
    # blocking calls that wait for a person at the terminal (`input()`): one person answers one
    # prompt at a time, so no pool makes such a loop faster
    interactive_calls: tuple[str, ...] = ()

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
class StartCounts:
    """Concurrent work one place started in the profiled run: threads, processes or tasks
    submitted to an executor, with the most of them running at once (tasks: submitted, not
    done)."""

    what: Literal["thread", "process", "thread_pool_task", "process_pool_task"]
    started: int
    most_at_once: int
    workers: int | None = None  # the executor's max_workers, for tasks


@dataclass(frozen=True, slots=True)
class StartedWork:
    """What a line of the user's code started (bootstrap's start_watch.py)."""

    path: str
    line: int
    counts: StartCounts


@dataclass(frozen=True, slots=True)
class UncountedFile:
    """A file of the user's whose loops the bootstrap could not count: its loops are advised
    without item counts, and the report says so rather than predicting past what items allow."""

    path: str
    reason: str


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
    # False when the run ended without writing its counts at all (os._exit, a kill); an empty
    # ``loop_counts`` with True only means no counted loop ran
    counts_written: bool = True
    uncounted: tuple[UncountedFile, ...] = ()
    # the process py-spy attached to (`profile --pid`), which it sampled for ``wall_s`` seconds
    # of its life: no start-up, no end, and no loop counts
    attached_pid: int | None = field(default=None, metadata=_ADDED_IN_V1)
    # the threads, processes and pool tasks the user's lines started, by line; None: none seen
    started: tuple[StartedWork, ...] | None = field(default=None, metadata=_ADDED_IN_V1)


@dataclass(frozen=True, slots=True)
class Overheads:
    """What a pool costs on this machine (seconds); measured by advisor/advice/calibration.py."""

    thread_start_s: float  # per worker thread of a pool (start, and join at shutdown)
    thread_handoff_s: float  # per task handed to a thread pool and its result collected
    process_start_s: float  # one process pool of ``cores`` workers started and shut down
    process_task_s: float  # per task through a process pool (pickling both ways, queues)
    cores: int
    # importing the pool's module in a fresh interpreter, paid by a rewrite of a program that
    # had not imported it (concurrent.futures pulls in multiprocessing for processes)
    thread_import_s: float = 0.0
    process_import_s: float = 0.0
    # taking the GIL back after a short native call while another thread holds it: per read and
    # hash update of a 4 KB chunk (two releases), 1.07 us on the 2-core development VM
    gil_takeback_s: float = 1.07e-6


@dataclass(frozen=True, slots=True)
class Machine:
    """What the advice needs to know of the machine a run was measured on."""

    cores: int  # the cores the run could use
    free_cores: float  # of those, what other programs left free when it ran
    overheads: Overheads


@dataclass(frozen=True, slots=True)
class SourceDigest:
    """A file the findings of a profiled run are read from, by the hash of its content."""

    path: str
    sha256: str


@dataclass(frozen=True, slots=True)
class ProfileSession:
    """One profiled run, as ``--save-profile`` saves it: what was measured, on which machine, of
    which sources. Advising from it again gives the same findings without running anything."""

    profile: ProfileResult
    machine: Machine
    sources: tuple[SourceDigest, ...]
    timed_out: bool = False
    failure: str | None = None  # why the run did not end normally (its findings are partial)
    # the interpreter that ran the program, and its version (left out of the file when unknown)
    python: str | None = field(default=None, metadata=_ADDED_IN_V1)
    python_version: str | None = field(default=None, metadata=_ADDED_IN_V1)


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
    # times an item gives the GIL up and takes it back (each iteration of the loops it runs
    # inside that wait or run native code), counted in the run; None: not counted or none
    gil_releases: float | None = dataclasses.field(default=None, metadata=_ADDED_IN_V1)

    # The seconds behind each share, so no renderer multiplies them out itself.
    @property
    def waiting_s(self) -> float:
        return self.waiting * self.wall_s

    @property
    def cpu_python_s(self) -> float:
        return self.cpu_python * self.wall_s

    @property
    def cpu_native_s(self) -> float:
        return self.cpu_native * self.wall_s


@dataclass(frozen=True, slots=True)
class TextEdit:
    """One replacement in the text of a finding's file, in the shape of a SARIF replacement: the
    text from (``line``, ``column``) up to, not including, (``end_line``, ``end_column``) becomes
    ``text``. The file is the finding's ``path`` (a fixer rewrites the one module it is given), so
    an edit never names a path that could go stale when the finding's is shown relative.

    Lines are 1-based as Python numbers them (``\\n``, ``\\r\\n`` or ``\\r`` ends one), columns
    1-based in Unicode code points; a file's BOM is not part of its text. A position just past
    the last line is the end of a file that ends with a line break.
    """

    line: int
    column: int
    end_line: int
    end_column: int
    text: str


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
    site: Site | None = dataclasses.field(default=None, metadata=_ADDED_IN_V1)  # what a fix takes
    # the same rewrite as edits of the file's text, from which the diff was made (SARIF's fixes)
    edits: tuple[TextEdit, ...] | None = field(default=None, metadata=_ADDED_IN_V1)
    # the finding's identity when code moves around it (advisor/fingerprint.py)
    fingerprint: str | None = field(default=None, metadata=_ADDED_IN_V1)
    # an unsafe fix whose every doubt a verified run can settle (pickling, an external effect, a
    # callee concadvise cannot see): `profile --apply` tries it and keeps it only if the run
    # behaves the same; `fix` applies it only with --unsafe-fixes
    run_checkable: bool | None = dataclasses.field(default=None, metadata=_ADDED_IN_V1)
    # items a process pool sends a worker at a time (executor.map's chunksize) when the items
    # are too many and too small for one task each
    chunksize: int | None = dataclasses.field(default=None, metadata=_ADDED_IN_V1)
    # what the finding's lines started in the profiled run (CA201, CA202, CA205)
    started: StartCounts | None = dataclasses.field(default=None, metadata=_ADDED_IN_V1)


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
    # the cores the advice is stated for (the machine's unless the user chose), and how many
    # other programs left free while the run was measured (fewer: its timings ran contended)
    cores: int | None = dataclasses.field(default=None, metadata=_ADDED_IN_V1)
    free_cores: float | None = dataclasses.field(default=None, metadata=_ADDED_IN_V1)
    # the running process py-spy attached to (`profile --pid`); ``wall_s`` is how long it sampled
    attached_pid: int | None = dataclasses.field(default=None, metadata=_ADDED_IN_V1)
    # the user's output masks `--apply` compared the runs with (`--ignore-output`), if any
    output_masks: tuple[str, ...] | None = dataclasses.field(default=None, metadata=_ADDED_IN_V1)


@dataclass(frozen=True, slots=True)
class TimingStats:
    """What a set of timed runs is shown as: the median, the fastest and the slowest."""

    median_s: float
    min_s: float
    max_s: float
    runs: int

    @classmethod
    def of(cls, samples: tuple[float, ...]) -> TimingStats | None:
        if not samples:
            return None
        return cls(statistics.median(samples), min(samples), max(samples), len(samples))


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
    # Made from before_s and after_s when the verification is made (a loaded report's too, which
    # never reads them back), so every renderer shows the same medians without computing them.
    before_stats: TimingStats | None = field(default=None, init=False, metadata=_ADDED_IN_V1)
    after_stats: TimingStats | None = field(default=None, init=False, metadata=_ADDED_IN_V1)

    def __post_init__(self) -> None:
        object.__setattr__(self, "before_stats", TimingStats.of(self.before_s))
        object.__setattr__(self, "after_stats", TimingStats.of(self.after_s))


@dataclass(frozen=True, slots=True)
class PlanStep:
    finding: int  # index into Report.findings
    predicted_speedup: float  # on the run the earlier steps leave, not on the original run


@dataclass(frozen=True, slots=True)
class Plan:
    """The measured loops worth fixing together, largest gain first, each judged on the run the
    earlier ones leave: a loop too small to matter beside a slow download may be most of what
    remains once the download is concurrent."""

    steps: tuple[PlanStep, ...]
    predicted_speedup: float  # the whole run, every step applied


@dataclass(frozen=True, slots=True)
class Report:
    tool_version: str
    findings: tuple[Finding, ...] = ()
    errors: tuple[ErrorEntry, ...] = ()
    run: RunInfo | None = None
    verification: tuple[Verification, ...] = ()
    plan: Plan | None = None  # a profile's, when two or more loops are worth fixing

    def count(self, fix_safety: FixSafety) -> int:
        """How many findings have this fix safety (the summary every format shows)."""
        return sum(1 for f in self.findings if f.fix_safety == fix_safety)

    @property
    def kept_rewrites(self) -> int:
        return sum(1 for v in self.verification if v.kept)


def plain(value: Any, *, exact: bool = False) -> Any:
    """A model value as JSON data, the way the report has it (fields added to schema 1 left out
    when empty, floats to 4 places); for renderers that embed a part of the report. ``exact``
    keeps every float as it is, for data that is read back and computed with (a saved profile:
    a thread hand-off of 3e-05 s would round to nothing)."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {
            f.name: plain(getattr(value, f.name), exact=exact)
            for f in dataclasses.fields(value)
            if not (f.metadata.get("omit_when_none") and getattr(value, f.name) is None)
        }
    if isinstance(value, (tuple, list)):
        return [plain(v, exact=exact) for v in value]
    if isinstance(value, float) and not exact:
        return round(value, 4)
    return value


class PlainDataError(ValueError):
    """JSON data that does not fit the model, at a location such as ``findings[2].kind``."""

    def __init__(self, where: str, problem: str) -> None:
        super().__init__(f"{where}: {problem}" if where else problem)


@cache
def _field_types(cls: type) -> dict[str, Any]:
    return typing.get_type_hints(cls)


def _describe(value: Any) -> str:
    return "null" if value is None else type(value).__name__


def from_plain(hint: Any, value: Any, where: str = "") -> Any:
    """``value`` (parsed JSON, as :func:`plain` wrote it) as the model type ``hint``; raises
    PlainDataError naming where it does not fit. Unknown keys of an object are ignored (fields
    added later), a missing key without a default is an error."""
    origin = get_origin(hint)
    if origin in (types.UnionType, typing.Union):
        options = get_args(hint)
        if value is None and type(None) in options:
            return None
        (inner,) = (option for option in options if option is not type(None))
        return from_plain(inner, value, where)
    if origin is Literal:
        if value not in get_args(hint):
            allowed = ", ".join(str(option) for option in get_args(hint))
            raise PlainDataError(where, f"{value!r} is not one of {allowed}")
        return value
    if origin is tuple:
        return _tuple(hint, value, where)
    if dataclasses.is_dataclass(hint):
        return _dataclass(hint, value, where)
    if hint is float:
        # JSON writes 2.0 as 2; a bool is not a number here
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise PlainDataError(where, f"expected a number, got {_describe(value)}")
        return float(value)
    if hint is int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise PlainDataError(where, f"expected an integer, got {_describe(value)}")
        return value
    if not isinstance(value, hint):
        raise PlainDataError(where, f"expected {hint.__name__}, got {_describe(value)}")
    return value


def _tuple(hint: Any, value: Any, where: str) -> tuple[Any, ...]:
    """``tuple[X, ...]`` from a list of any length, ``tuple[X, Y]`` from a list of two."""
    if not isinstance(value, list):
        raise PlainDataError(where, f"expected a list, got {_describe(value)}")
    args = get_args(hint)
    if len(args) == 2 and args[1] is Ellipsis:
        hints = (args[0],) * len(value)
    elif len(value) == len(args):
        hints = args
    else:
        raise PlainDataError(where, f"expected a list of {len(args)}, got {len(value)} items")
    pairs = enumerate(zip(hints, value, strict=True))
    return tuple(from_plain(h, item, f"{where}[{i}]") for i, (h, item) in pairs)


def _dataclass(cls: Any, data: Any, where: str) -> Any:
    if not isinstance(data, dict):
        raise PlainDataError(where, f"expected an object, got {_describe(data)}")
    hints = _field_types(cls)
    values = {}
    for f in dataclasses.fields(cls):
        if not f.init:
            continue  # derived when the object is made, never read back
        if f.name in data:
            inner = f"{where}.{f.name}" if where else f.name
            values[f.name] = from_plain(hints[f.name], data[f.name], inner)
        elif f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING:
            raise PlainDataError(where, f"missing key {f.name!r}")
    return cls(**values)


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
    if report.plan is not None:
        out["plan"] = plain(report.plan)
    return out
