"""Reading a saved JSON report back into a Report: the inverse of ``report_to_dict``.

``concadvise report REPORT.json --format ...`` re-renders a recorded run without re-running it (the
pyinstrument habit). Anything that is not a concadvise report of this schema version is a
UsageError with a one-line message naming the file and what is wrong.
"""

from __future__ import annotations

import dataclasses
import json
import types
import typing
from functools import cache
from pathlib import Path
from typing import Any, Literal, get_args, get_origin

from advisor.errors import UsageError
from advisor.model import (
    SCHEMA_VERSION,
    ErrorEntry,
    Finding,
    Report,
    RunInfo,
    Verification,
)


class _Invalid(Exception):
    """A problem at a JSON location, e.g. ``findings[2].kind``; becomes a UsageError."""

    def __init__(self, where: str, problem: str) -> None:
        super().__init__(f"{where}: {problem}" if where else problem)


@cache
def _field_types(cls: type) -> dict[str, Any]:
    return typing.get_type_hints(cls)


def _describe(value: Any) -> str:
    return "null" if value is None else type(value).__name__


def _convert(value: Any, hint: Any, where: str) -> Any:
    """``value`` (parsed JSON) as the model's type ``hint``; _Invalid when it does not fit."""
    origin = get_origin(hint)
    if origin in (types.UnionType, typing.Union):
        options = get_args(hint)
        if value is None and type(None) in options:
            return None
        (inner,) = (option for option in options if option is not type(None))
        return _convert(value, inner, where)
    if origin is Literal:
        if value not in get_args(hint):
            allowed = ", ".join(str(option) for option in get_args(hint))
            raise _Invalid(where, f"{value!r} is not one of {allowed}")
        return value
    if origin is tuple:
        if not isinstance(value, list):
            raise _Invalid(where, f"expected a list, got {_describe(value)}")
        item_hint = get_args(hint)[0]
        return tuple(_convert(item, item_hint, f"{where}[{i}]") for i, item in enumerate(value))
    if dataclasses.is_dataclass(hint):
        return _dataclass(hint, value, where)
    if hint is float:
        # JSON writes 2.0 as 2; a bool is not a number here
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise _Invalid(where, f"expected a number, got {_describe(value)}")
        return float(value)
    if hint is int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise _Invalid(where, f"expected an integer, got {_describe(value)}")
        return value
    if not isinstance(value, hint):
        raise _Invalid(where, f"expected {hint.__name__}, got {_describe(value)}")
    return value


def _dataclass(cls: Any, data: Any, where: str) -> Any:
    """Build ``cls`` from a JSON object; unknown keys are ignored (later additions of v1)."""
    if not isinstance(data, dict):
        raise _Invalid(where, f"expected an object, got {_describe(data)}")
    hints = _field_types(cls)
    values = {}
    for f in dataclasses.fields(cls):
        if not f.init:
            continue  # derived when the object is made, never read back
        if f.name in data:
            values[f.name] = _convert(data[f.name], hints[f.name], f"{where}.{f.name}")
        elif f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING:
            raise _Invalid(where, f"missing key {f.name!r}")
    return cls(**values)


def _entries(data: dict[str, Any], key: str, cls: type) -> tuple[Any, ...]:
    value = data.get(key, [])
    if not isinstance(value, list):
        raise _Invalid(key, f"expected a list, got {_describe(value)}")
    return tuple(_dataclass(cls, item, f"{key}[{i}]") for i, item in enumerate(value))


def _report(data: Any) -> Report:
    if not isinstance(data, dict) or "schema_version" not in data:
        raise _Invalid("", "not a concadvise report (no schema_version)")
    tool = data.get("tool")
    if not isinstance(tool, dict) or tool.get("name") != "concadvise":
        raise _Invalid("", "not a concadvise report (tool.name is not concadvise)")
    version = data["schema_version"]
    if version != SCHEMA_VERSION:
        raise _Invalid(
            "", f"report schema_version {version!r}; this concadvise reads {SCHEMA_VERSION}"
        )
    findings = _entries(data, "findings", Finding)
    verification = _entries(data, "verification", Verification)
    for i, v in enumerate(verification):
        if not 0 <= v.finding < len(findings):
            raise _Invalid(f"verification[{i}].finding", f"no finding {v.finding}")
    run = data.get("run")
    return Report(
        tool_version=_convert(tool.get("version"), str, "tool.version"),
        findings=findings,
        errors=_entries(data, "errors", ErrorEntry),
        run=None if run is None else _dataclass(RunInfo, run, "run"),
        verification=verification,
    )


def report_from_dict(data: Any) -> Report:
    """The Report that ``report_to_dict`` turned into ``data``; UsageError if it is not one."""
    try:
        return _report(data)
    except _Invalid as exc:
        raise UsageError(str(exc)) from None


def load_report(path: str | Path) -> Report:
    """Read a report written by ``--format json``; every failure is a one-line UsageError."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        raise UsageError(f"cannot read {path}: {exc.strerror or exc}") from None
    except UnicodeDecodeError:
        raise UsageError(f"{path}: not a concadvise report (not UTF-8 text)") from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise UsageError(f"{path}: not a concadvise report (not JSON: {exc})") from None
    try:
        return _report(data)
    except _Invalid as exc:
        raise UsageError(f"{path}: {exc}") from None
