"""Plain data passed between the stages, and the one path that turns a Report into JSON.

The JSON shape is the public contract of DESIGN.md (``schema_version`` 1). Every stage takes and
returns these frozen dataclasses; only :func:`report_to_dict` knows how they become JSON.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any, Literal

SCHEMA_VERSION = 1

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
    "for_append", "for_dict_item", "for_augassign", "list_comp", "dict_comp", "other"
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


@dataclass(frozen=True, slots=True)
class StackSample:
    """One distinct call stack of user frames (outermost first) and the seconds charged to it."""

    frames: tuple[tuple[str, int], ...]  # (path, line) of each user frame, outermost first
    cpu_python_s: float
    cpu_native_s: float
    waiting_s: float


@dataclass(frozen=True, slots=True)
class ProfileResult:
    """What one profiled run measured; profiler-independent."""

    profiler: str
    script: str
    wall_s: float
    exit_code: int
    stacks: tuple[StackSample, ...]
    complete: bool = True  # False when the script crashed or timed out and the profile is partial


@dataclass(frozen=True, slots=True)
class Evidence:
    wall_s: float
    share_of_run: float
    cpu_python: float  # shares of the loop's own wall time
    cpu_native: float
    waiting: float


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


@dataclass(frozen=True, slots=True)
class Verification:
    finding: int  # index into Report.findings
    before_s: tuple[float, ...]
    after_s: tuple[float, ...]
    speedup: float
    same_output: bool
    kept: bool
    reason: str = ""


@dataclass(frozen=True, slots=True)
class Report:
    tool_version: str
    findings: tuple[Finding, ...] = ()
    errors: tuple[ErrorEntry, ...] = ()
    run: RunInfo | None = None
    verification: tuple[Verification, ...] = ()


def _plain(value: Any) -> Any:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: _plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, (tuple, list)):
        return [_plain(v) for v in value]
    if isinstance(value, float):
        return round(value, 4)
    return value


def report_to_dict(report: Report) -> dict[str, Any]:
    """The versioned JSON contract of DESIGN.md."""
    out: dict[str, Any] = {
        "schema_version": SCHEMA_VERSION,
        "tool": {"name": "concadvise", "version": report.tool_version},
        "findings": [_plain(f) for f in report.findings],
        "errors": [_plain(e) for e in report.errors],
    }
    if report.run is not None:
        out["run"] = _plain(report.run)
    if report.verification:
        out["verification"] = [_plain(v) for v in report.verification]
    return out
