"""The SARIF renderer: schema-valid 2.1.0, rules from the catalog, fixes from edits, stable ids."""

from __future__ import annotations

import codecs
import json
from dataclasses import replace
from pathlib import Path

import jsonschema
import pytest

from advisor.catalog import help_uri, load_catalog
from advisor.codemods.apply import fixed_file_bytes, with_proposed_fix
from advisor.model import ErrorEntry, Finding, Report, TextEdit
from advisor.report.load import load_report
from advisor.report.sarif import (
    FINGERPRINT_KEY,
    artifact_location,
    render_sarif,
)
from advisor.syntax.source import Source

ROOT = Path(__file__).resolve().parent.parent
RECORDED = ROOT / "tests" / "data" / "report_profile.json"
SCHEMA = Path("/work/shared/schemas/sarif-schema-2.1.0.json")
if not SCHEMA.exists():  # a checkout without the shared folder beside it
    SCHEMA = ROOT.parent / "shared" / "schemas" / "sarif-schema-2.1.0.json"


def sarif(report: Report | None = None, **kwargs) -> dict:
    return json.loads(render_sarif(report or load_report(RECORDED), load_catalog(), **kwargs))


def validate(log: dict) -> None:
    schema = json.loads(SCHEMA.read_text(encoding="utf-8"))
    assert schema["$schema"] == "http://json-schema.org/draft-04/schema#"
    validator = jsonschema.Draft4Validator(
        schema, format_checker=jsonschema.Draft4Validator.FORMAT_CHECKER
    )
    errors = sorted(validator.iter_errors(log), key=lambda e: list(e.absolute_path))
    assert not errors, "\n".join(f"{list(e.absolute_path)}: {e.message}" for e in errors)


def apply_fix(text: str, replacements: list[dict]) -> str:
    """Apply SARIF replacements whose regions are line/column based, as a SARIF viewer would."""
    lines = text.splitlines(keepends=True)
    starts = [0]
    for line in lines:
        starts.append(starts[-1] + len(line))

    def offset(line: int, column: int) -> int:
        return starts[line - 1] + column - 1

    for r in sorted(replacements, key=lambda r: r["deletedRegion"]["startLine"], reverse=True):
        region = r["deletedRegion"]
        begin = offset(region["startLine"], region["startColumn"])
        end = offset(region["endLine"], region["endColumn"])
        text = text[:begin] + r.get("insertedContent", {}).get("text", "") + text[end:]
    return text


# ----------------------------------------------------------------------------- the log


def test_the_recorded_report_is_valid_sarif_2_1_0():
    log = sarif()
    validate(log)
    assert log["version"] == "2.1.0"
    assert log["$schema"] == "https://json.schemastore.org/sarif-2.1.0.json"


def test_a_static_report_without_run_or_findings_is_valid_too():
    validate(sarif(Report(tool_version="0.1.0")))
    validate(sarif(replace(load_report(RECORDED), run=None, verification=())))


def test_the_driver_names_the_tool_and_describes_every_rule_from_the_catalog():
    catalog = load_catalog()
    driver = sarif()["runs"][0]["tool"]["driver"]
    assert driver["name"] == "concadvise"
    assert driver["version"] == "0.1.0"
    assert driver["informationUri"].startswith("https://")
    assert [d["id"] for d in driver["rules"]] == list(catalog)
    ca101 = driver["rules"][0]
    rule = catalog["CA101"]
    assert ca101["name"] == "serial-io-loop"
    assert ca101["shortDescription"] == {"text": rule.summary}
    assert ca101["fullDescription"] == {"text": rule.what_it_does}
    assert ca101["helpUri"] == help_uri(rule)
    assert rule.why_it_matters in ca101["help"]["text"]
    assert ca101["help"]["markdown"].startswith("## CA101 serial-io-loop\n")
    assert "### Fix safety" in ca101["help"]["markdown"]
    assert ca101["defaultConfiguration"] == {"level": "warning"}


def test_one_result_per_finding_pointing_at_its_rule_and_lines():
    report = load_report(RECORDED)
    run = sarif()["runs"][0]
    rules = run["tool"]["driver"]["rules"]
    assert len(run["results"]) == len(report.findings)
    for finding, result in zip(report.findings, run["results"], strict=True):
        assert result["ruleId"] == finding.rule
        assert rules[result["ruleIndex"]]["id"] == finding.rule
        (location,) = result["locations"]
        assert location["physicalLocation"] == {
            "artifactLocation": {"uri": finding.path, "uriBaseId": "%SRCROOT%"},
            "region": {"startLine": finding.line, "endLine": finding.end_line},
        }
    assert [r["level"] for r in run["results"]] == ["warning", "warning", "warning", "note"]


def test_results_carry_the_advice_and_the_evidence_as_properties():
    data = json.loads(RECORDED.read_text(encoding="utf-8"))
    results = sarif()["runs"][0]["results"]
    profiled, unsafe, static, _ = results
    finding = data["findings"][0]
    assert profiled["properties"] == {
        "kind": "io",
        "suggestion": "thread_pool",
        "fix_safety": "safe",
        "reasons": [],
        "workers": 19,
        "predicted_speedup": 6.84,
        "evidence": finding["evidence"],
        "verification": {
            "before_median_s": 1.934,
            "after_median_s": 0.4431,
            "speedup": 4.365,
            "same_output": True,
            "kept": True,
            "reason": "",
        },
    }
    assert profiled["message"] == {"text": finding["message"]}
    assert unsafe["properties"]["reasons"] == ["`token` is carried from one iteration to the next"]
    assert unsafe["message"]["text"].endswith(
        "(unsafe to rewrite: `token` is carried from one iteration to the next)"
    )
    assert "evidence" not in static["properties"]
    assert "predicted_speedup" not in static["properties"]


def test_errors_are_tool_execution_notifications():
    (invocation,) = sarif()["runs"][0]["invocations"]
    assert invocation["executionSuccessful"] is True
    assert invocation["toolExecutionNotifications"] == [
        {
            "level": "error",
            "message": {"text": "syntax error: syntax error at line 8: expected ':'"},
            "locations": [
                {
                    "physicalLocation": {
                        "artifactLocation": {
                            "uri": "legacy/py2_tools.py",
                            "uriBaseId": "%SRCROOT%",
                        }
                    }
                }
            ],
        }
    ]
    failed = Report("0.1.0", errors=(ErrorEntry("s.py", "profiler", "scalene crashed"),))
    assert sarif(failed)["runs"][0]["invocations"][0]["executionSuccessful"] is False


@pytest.mark.parametrize(
    ("path", "location"),
    [
        ("pkg/mod.py", {"uri": "pkg/mod.py", "uriBaseId": "%SRCROOT%"}),
        ("./mod.py", {"uri": "mod.py", "uriBaseId": "%SRCROOT%"}),
        ("pkg\\win.py", {"uri": "pkg/win.py", "uriBaseId": "%SRCROOT%"}),
        ("my dir/a#1.py", {"uri": "my%20dir/a%231.py", "uriBaseId": "%SRCROOT%"}),
        ("/srv/app/a.py", {"uri": "file:///srv/app/a.py"}),
    ],
)
def test_paths_become_relative_uris_with_forward_slashes(path, location):
    assert artifact_location(path) == location


# ----------------------------------------------------------------------------- fixes


def test_a_rewrite_is_a_fix_with_one_replacement_per_edit():
    results = sarif()["runs"][0]["results"]
    assert [("fixes" in r) for r in results] == [True, False, False, False]
    (fix,) = results[0]["fixes"]
    assert fix["description"] == {
        "text": "Rewrite with ThreadPoolExecutor, 19 workers; fix safety: safe"
    }
    (change,) = fix["artifactChanges"]
    assert change["artifactLocation"] == {"uri": "checksum_files.py", "uriBaseId": "%SRCROOT%"}
    assert change["replacements"] == [
        {
            "deletedRegion": {"startLine": 14, "startColumn": 1, "endLine": 14, "endColumn": 1},
            "insertedContent": {"text": "from concurrent.futures import ThreadPoolExecutor\n"},
        },
        {
            "deletedRegion": {"startLine": 32, "startColumn": 1, "endLine": 33, "endColumn": 1},
            "insertedContent": {
                "text": "    with ThreadPoolExecutor(max_workers=19) as executor:\n"
                "        checksums = dict(executor.map(lambda path: (path, checksum(path)), "
                "paths))\n"
            },
        },
    ]


def test_a_deletion_has_no_inserted_content_and_columns_are_kept():
    edits = (TextEdit(3, 5, 4, 1, ""), TextEdit(7, 1, 7, 9, "x"))
    finding = replace(load_report(RECORDED).findings[0], edits=edits)
    (fix,) = sarif(Report("0.1.0", findings=(finding,)))["runs"][0]["results"][0]["fixes"]
    assert fix["artifactChanges"][0]["replacements"] == [
        {"deletedRegion": {"startLine": 3, "startColumn": 5, "endLine": 4, "endColumn": 1}},
        {
            "deletedRegion": {"startLine": 7, "startColumn": 1, "endLine": 7, "endColumn": 9},
            "insertedContent": {"text": "x"},
        },
    ]


@pytest.mark.parametrize(
    "source",
    [
        "checksum_files.py",
        "bom_crlf",  # the same fixture with a BOM and CRLF line endings
    ],
)
def test_applying_the_fix_to_the_fixture_gives_the_codemods_rewrite(source):
    path = ROOT / "fixtures" / "checksum_files.py"
    data = path.read_bytes()
    if source == "bom_crlf":
        data = codecs.BOM_UTF8 + data.replace(b"\n", b"\r\n")
    finding = Finding(
        "CA101", "checksum_files.py", 32, 32, "", "io", "thread_pool", "safe", workers=19
    )
    rewritten = fixed_file_bytes(str(path), data, finding)
    proposed = with_proposed_fix(finding, Source.decode("checksum_files.py", data))
    log = sarif(Report("0.1.0", findings=(proposed,)))
    validate(log)
    (fix,) = log["runs"][0]["results"][0]["fixes"]
    # a SARIF viewer works on the text, after the BOM
    text = data.decode("utf-8-sig")
    assert apply_fix(text, fix["artifactChanges"][0]["replacements"]) == rewritten.decode(
        "utf-8-sig"
    )


def test_no_edits_is_no_fix():
    report = load_report(RECORDED)
    findings = (replace(report.findings[0], edits=None), replace(report.findings[0], edits=()))
    results = sarif(Report("0.1.0", findings=findings))["runs"][0]["results"]
    assert not any("fixes" in r for r in results)


# ----------------------------------------------------------------------------- fingerprints


def test_the_log_carries_each_findings_fingerprint_else_one_from_its_line():
    report = load_report(RECORDED)
    findings = (replace(report.findings[0], fingerprint="f" * 64), *report.findings[1:])

    def hashes(findings: tuple[Finding, ...]) -> list[str]:
        results = sarif(Report("0.1.0", findings=findings))["runs"][0]["results"]
        return [r["partialFingerprints"][FINGERPRINT_KEY] for r in results]

    first, *others = hashes(findings)
    assert first == "f" * 64
    assert len(set(others)) == len(others) and "f" * 64 not in others
    # a report saved before findings carried one: the line number is all there is
    moved = tuple(replace(f, line=f.line + 3, end_line=f.end_line + 3) for f in findings)
    assert hashes(moved)[0] == first
    assert hashes(moved)[1:] != others
