"""The SARIF 2.1.0 renderer, for code-scanning UIs (GitHub code scanning, VS Code's SARIF viewer).

One result per finding, rule descriptors from the catalog, fixes copied from the findings' edits
and fingerprints from the findings' own (built from their source text when they were found, so
a finding keeps its identity when code above it moves). Nothing is parsed or read here.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path, PurePosixPath
from typing import Any
from urllib.parse import quote

from advisor.catalog import Rule, help_uri, load_catalog
from advisor.fingerprint import finding_fingerprints
from advisor.model import Finding, Report, TextEdit, Verification, plain
from advisor.report.rules_doc import rule_markdown
from advisor.report.wording import suggestion_with_concurrency

SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
INFORMATION_URI = "https://concadvise.readthedocs.io/"
SRCROOT = "%SRCROOT%"
FINGERPRINT_KEY = "concadviseFindingHash/v1"


def artifact_location(path: str) -> dict[str, str]:
    """A report path for SARIF: relative to %SRCROOT% with forward slashes, or a file URI."""
    posix = path.replace("\\", "/")  # a report written on Windows
    if PurePosixPath(posix).is_absolute():
        return {"uri": Path(posix).as_uri()}
    return {"uri": quote(posix.removeprefix("./")), "uriBaseId": SRCROOT}


# ----------------------------------------------------------------------------- fingerprints


def fingerprints_of(findings: tuple[Finding, ...]) -> list[str]:
    """Each finding's own fingerprint; a report saved before findings carried one falls back to
    rule, path and line number (stable only until code moves)."""
    fallback = finding_fingerprints(findings, lambda _path: None)
    return [f.fingerprint or fallback[i] for i, f in enumerate(findings)]


# ----------------------------------------------------------------------------- fixes


def _replacement(edit: TextEdit) -> dict[str, Any]:
    out: dict[str, Any] = {
        "deletedRegion": {
            "startLine": edit.line,
            "startColumn": edit.column,
            "endLine": edit.end_line,
            "endColumn": edit.end_column,
        }
    }
    if edit.text:
        out["insertedContent"] = {"text": edit.text}
    return out


def _fix(finding: Finding) -> dict[str, Any] | None:
    """The finding's proposed rewrite, copied from its edits (the file is the finding's)."""
    if not finding.edits:
        return None
    return {
        "description": {
            "text": f"Rewrite with {suggestion_with_concurrency(finding)}; "
            f"fix safety: {finding.fix_safety}"
        },
        "artifactChanges": [
            {
                "artifactLocation": artifact_location(finding.path),
                "replacements": [_replacement(edit) for edit in finding.edits],
            }
        ],
    }


# ----------------------------------------------------------------------------- descriptors


def _rule_descriptor(rule: Rule) -> dict[str, Any]:
    return {
        "id": rule.id,
        "name": rule.name,
        "shortDescription": {"text": rule.summary},
        "fullDescription": {"text": rule.what_it_does},
        "help": {
            "text": "\n\n".join(
                (rule.what_it_does, rule.why_it_matters, f"Fix safety: {rule.fix_safety}")
            ),
            "markdown": rule_markdown(rule, level=2),
        },
        "helpUri": help_uri(rule),
        "defaultConfiguration": {"level": "warning"},
        "properties": {
            "suggestion": rule.suggestion,
            "fixable": rule.fixable,
            "detection": "static" if rule.static else "profile",
        },
    }


def _unknown_rule_descriptor(rule_id: str) -> dict[str, Any]:
    """A finding of a rule this catalog does not hold (a report from another version)."""
    return {
        "id": rule_id,
        "shortDescription": {"text": rule_id},
        "defaultConfiguration": {"level": "warning"},
    }


def level_of(finding: Finding) -> str:
    """SARIF level: a finding that suggests nothing (e.g. a loop too small to gain) is a note."""
    return "note" if finding.suggestion == "none" else "warning"


def _verification_properties(v: Verification) -> dict[str, Any]:
    return {
        "before_median_s": v.before_stats.median_s if v.before_stats else None,
        "after_median_s": v.after_stats.median_s if v.after_stats else None,
        "speedup": v.speedup,
        "same_output": v.same_output,
        "kept": v.kept,
        "reason": v.reason,
    }


def _properties(finding: Finding, verification: Verification | None) -> dict[str, Any]:
    props: dict[str, Any] = {
        "kind": finding.kind,
        "suggestion": finding.suggestion,
        "fix_safety": finding.fix_safety,
        "reasons": list(finding.reasons),
    }
    if finding.workers is not None:
        props["workers"] = finding.workers
    if finding.predicted_speedup is not None:
        props["predicted_speedup"] = finding.predicted_speedup
    if finding.evidence is not None:
        props["evidence"] = plain(finding.evidence)
    if verification is not None:
        props["verification"] = _verification_properties(verification)
    return props


# the reasons of a "none" finding already say that no rewrite exists
_REASONS_LEAD = {"unsafe": "unsafe to rewrite: ", "none": "", "safe": ""}


def message_with_reasons(finding: Finding) -> str:
    """The finding's message, and why it is not rewritten when there are reasons."""
    if not finding.reasons:
        return finding.message
    return f"{finding.message} ({_REASONS_LEAD[finding.fix_safety]}{'; '.join(finding.reasons)})"


def sarif_log(report: Report, catalog: Mapping[str, Rule] | None = None) -> dict[str, Any]:
    """The SARIF log as a dict; :func:`render_sarif` serialises it."""
    catalog = load_catalog() if catalog is None else catalog
    descriptors = [_rule_descriptor(rule) for rule in catalog.values()]
    rule_index = {rule_id: i for i, rule_id in enumerate(catalog)}
    for finding in report.findings:
        if finding.rule not in rule_index:
            rule_index[finding.rule] = len(descriptors)
            descriptors.append(_unknown_rule_descriptor(finding.rule))
    verified = {v.finding: v for v in report.verification}
    fingerprints = fingerprints_of(report.findings)
    results = []
    for index, finding in enumerate(report.findings):
        result: dict[str, Any] = {
            "ruleId": finding.rule,
            "ruleIndex": rule_index[finding.rule],
            "level": level_of(finding),
            "message": {"text": message_with_reasons(finding)},
            "locations": [
                {
                    "physicalLocation": {
                        "artifactLocation": artifact_location(finding.path),
                        "region": {"startLine": finding.line, "endLine": finding.end_line},
                    }
                }
            ],
            "partialFingerprints": {FINGERPRINT_KEY: fingerprints[index]},
            "properties": _properties(finding, verified.get(index)),
        }
        fix = _fix(finding)
        if fix is not None:
            result["fixes"] = [fix]
        results.append(result)
    notifications = [
        {
            "level": "error",
            "message": {"text": f"{error.kind} error: {error.message}"},
            "locations": [
                {"physicalLocation": {"artifactLocation": artifact_location(error.path)}}
            ],
        }
        for error in report.errors
    ]
    run: dict[str, Any] = {
        "tool": {
            "driver": {
                "name": "concadvise",
                "version": report.tool_version,
                "semanticVersion": report.tool_version,
                "informationUri": INFORMATION_URI,
                "rules": descriptors,
            }
        },
        "invocations": [
            {
                # the tool itself failed only on an internal or profiler error
                "executionSuccessful": not any(
                    e.kind in ("internal", "profiler") for e in report.errors
                ),
                "toolExecutionNotifications": notifications,
            }
        ],
        "originalUriBaseIds": {
            SRCROOT: {"description": {"text": "The directory concadvise was run from."}}
        },
        "columnKind": "unicodeCodePoints",
        "results": results,
    }
    if report.run is not None:
        run["properties"] = {"run": plain(report.run)}
    return {"$schema": SARIF_SCHEMA, "version": "2.1.0", "runs": [run]}


def render_sarif(report: Report, catalog: Mapping[str, Rule] | None = None) -> str:
    """SARIF 2.1.0 JSON: each finding's edits its fix, its fingerprint its identity."""
    log = sarif_log(report, catalog)
    return json.dumps(log, indent=2, ensure_ascii=False) + "\n"
