"""Reading a saved JSON report back into a Report: the inverse of ``report_to_dict``.

``concadvise report REPORT.json --format ...`` re-renders a recorded run without re-running it (the
pyinstrument habit). Anything that is not a concadvise report of this schema version is a
UsageError with a one-line message naming the file and what is wrong.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from advisor.errors import UsageError
from advisor.model import (
    SCHEMA_VERSION,
    ErrorEntry,
    Finding,
    PlainDataError,
    Plan,
    Report,
    RunInfo,
    Verification,
    from_plain,
)
from advisor.saved_json import read_saved_json


def _entries(data: dict[str, Any], key: str, cls: type) -> tuple[Any, ...]:
    return from_plain(tuple[cls, ...], data.get(key, []), key)


def _report(data: Any) -> Report:
    if not isinstance(data, dict) or "schema_version" not in data:
        raise PlainDataError("", "not a concadvise report (no schema_version)")
    tool = data.get("tool")
    if not isinstance(tool, dict) or tool.get("name") != "concadvise":
        raise PlainDataError("", "not a concadvise report (tool.name is not concadvise)")
    version = data["schema_version"]
    if version != SCHEMA_VERSION:
        raise PlainDataError(
            "", f"report schema_version {version!r}; this concadvise reads {SCHEMA_VERSION}"
        )
    findings = _entries(data, "findings", Finding)
    verification = _entries(data, "verification", Verification)
    for i, v in enumerate(verification):
        if not 0 <= v.finding < len(findings):
            raise PlainDataError(f"verification[{i}].finding", f"no finding {v.finding}")
    run = data.get("run")
    return Report(
        tool_version=from_plain(str, tool.get("version"), "tool.version"),
        findings=findings,
        errors=_entries(data, "errors", ErrorEntry),
        run=from_plain(RunInfo | None, run, "run"),
        verification=verification,
        plan=from_plain(Plan | None, data.get("plan"), "plan"),
    )


def report_from_dict(data: Any) -> Report:
    """The Report that ``report_to_dict`` turned into ``data``; UsageError if it is not one."""
    try:
        return _report(data)
    except PlainDataError as exc:
        raise UsageError(str(exc)) from None


def load_report(path: str | Path) -> Report:
    """Read a report written by ``--format json``; every failure is a one-line UsageError."""
    data = read_saved_json(path, "a concadvise report")
    try:
        return _report(data)
    except PlainDataError as exc:
        raise UsageError(f"{path}: {exc}") from None
