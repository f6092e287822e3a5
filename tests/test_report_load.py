"""Loading a saved JSON report: the exact inverse of report_to_dict, and clear one-line errors."""

from __future__ import annotations

import json

import pytest

from advisor.errors import UsageError
from advisor.model import (
    ErrorEntry,
    Evidence,
    Finding,
    Report,
    RunInfo,
    Verification,
    report_to_dict,
)
from advisor.report.json_report import render_json
from advisor.report.load import load_report, report_from_dict
from conftest import RECORDED


def recorded() -> dict:
    return json.loads(RECORDED.read_text(encoding="utf-8"))


def test_recorded_report_round_trips_exactly():
    report = load_report(RECORDED)
    assert report_to_dict(report) == recorded()
    assert json.loads(render_json(report)) == recorded()


def test_recorded_report_has_every_shape_the_renderers_meet():
    report = load_report(RECORDED)
    profiled, unsafe, static, no_gain = report.findings
    assert profiled.evidence is not None and report.verification[0].finding == 0
    assert unsafe.fix_safety == "unsafe" and unsafe.reasons
    assert static.evidence is None and static.workers is None
    assert no_gain.suggestion == "none"
    assert report.errors == (
        ErrorEntry("legacy/py2_tools.py", "syntax", "syntax error at line 8: expected ':'"),
    )
    assert report.run == RunInfo(wall_s=2.5406, profiler="scalene", exit_code=0)


def test_report_from_dict_inverts_report_to_dict():
    report = Report(
        tool_version="9.9.9",
        findings=(
            Finding(
                rule="CA102",
                path="pkg/work.py",
                line=3,
                end_line=9,
                message="m",
                kind="cpu",
                suggestion="process_pool",
                fix_safety="none",
                reasons=("a", "b"),
                workers=4,
                predicted_speedup=2.5,
                evidence=Evidence(1.0, 0.5, 0.9, 0.05, 0.05),
            ),
        ),
        errors=(ErrorEntry("x.py", "encoding", "cannot decode source"),),
        run=RunInfo(wall_s=2.0, profiler="scalene", exit_code=1, timed_out=True),
        verification=(Verification(0, (2.0, 2.1), (), 0.0, False, False, "crashed"),),
    )
    assert report_from_dict(report_to_dict(report)) == report


def test_a_static_report_has_no_run_and_no_verification():
    report = report_from_dict(
        {"schema_version": 1, "tool": {"name": "concadvise", "version": "0.1.0"}, "findings": []}
    )
    assert report == Report(tool_version="0.1.0")


def test_integers_are_accepted_where_seconds_are_floats():
    data = recorded()
    data["run"]["wall_s"] = 3
    report = report_from_dict(data)
    assert report.run is not None and report.run.wall_s == 3.0


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda d: d.pop("schema_version"), "not a concadvise report (no schema_version)"),
        (
            lambda d: d["tool"].update(name="ruff"),
            "not a concadvise report (tool.name is not concadvise)",
        ),
        (
            lambda d: d.update(schema_version=2),
            "report schema_version 2; this concadvise reads 1",
        ),
        (
            lambda d: d["findings"][1].update(kind="disk"),
            "findings[1].kind: 'disk' is not one of io, cpu, native, mixed, unknown",
        ),
        (lambda d: d["findings"][0].pop("rule"), "findings[0]: missing key 'rule'"),
        (
            lambda d: d["findings"][0]["evidence"].update(wall_s="2s"),
            "findings[0].evidence.wall_s: expected a number, got str",
        ),
        (
            lambda d: d["findings"][0].update(line=True),
            "findings[0].line: expected an integer, got bool",
        ),
        (
            lambda d: d["verification"][0].update(finding=7),
            "verification[0].finding: no finding 7",
        ),
        (lambda d: d.update(errors={}), "errors: expected a list, got dict"),
    ],
)
def test_a_malformed_report_is_a_one_line_usage_error(tmp_path, change, message):
    data = recorded()
    change(data)
    path = tmp_path / "report.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    with pytest.raises(UsageError) as caught:
        load_report(path)
    assert str(caught.value) == f"{path}: {message}"
    with pytest.raises(UsageError) as caught:
        report_from_dict(data)
    assert str(caught.value) == message


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "not a concadvise report (not JSON: Expecting value: line 1 column 1 (char 0))"),
        (b"[1, 2]", "not a concadvise report (no schema_version)"),
        (b"\xff\xfe\x00binary", "not a concadvise report (not UTF-8 text)"),
        (
            b'{"version": "2.1.0", "runs": []}',
            "not a concadvise report (no schema_version)",
        ),
    ],
)
def test_a_file_that_is_not_a_report_says_so(tmp_path, content, message):
    path = tmp_path / "out.sarif"
    path.write_bytes(content)
    with pytest.raises(UsageError) as caught:
        load_report(path)
    assert str(caught.value) == f"{path}: {message}"
    assert "\n" not in str(caught.value)


def test_a_missing_file_is_a_usage_error(tmp_path):
    missing = tmp_path / "nope.json"
    with pytest.raises(UsageError, match=r"^cannot read .*nope\.json: No such file or directory$"):
        load_report(missing)
