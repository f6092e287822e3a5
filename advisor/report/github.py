"""The GitHub Actions renderer: workflow-command annotations, one line per finding and error.

Printed from a workflow step, each line becomes an annotation on the pull request's diff, e.g.
``::warning file=app.py,line=12,endLine=13,title=CA101 serial-io-loop::serial loop ...``.
"""

from __future__ import annotations

from collections.abc import Mapping

from advisor.catalog import Rule, load_catalog
from advisor.display import speedup_text
from advisor.model import Finding, Report, Verification
from advisor.report.sarif import message_with_reasons


def escape_data(text: str) -> str:
    """Escape a workflow command's message, as @actions/core does."""
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(text: str) -> str:
    """Escape a workflow command's property value: also ``:`` and ``,``, which delimit them."""
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")


def workflow_command(command: str, properties: Mapping[str, object], message: str) -> str:
    props = ",".join(f"{key}={escape_property(str(value))}" for key, value in properties.items())
    return f"::{command} {props}::{escape_data(message)}"


def _verification_line(v: Verification) -> str:
    if v.before_stats is None or v.after_stats is None:
        return f"Rewrite not kept: {v.reason}."
    before, after = v.before_stats.median_s, v.after_stats.median_s
    timing = f"measured {speedup_text(v.speedup, 2)} ({before:.2f} s → {after:.2f} s, median)"
    if v.kept:
        return f"Rewritten and verified: {timing}, same output."
    return f"Rewrite rolled back ({v.reason}): {timing}."


def _annotation(finding: Finding, title: str, verification: Verification | None) -> str:
    level = "notice" if finding.suggestion == "none" else "warning"
    lines = [message_with_reasons(finding)]
    if verification is not None:
        lines.append(_verification_line(verification))
    properties = {
        "file": finding.path.replace("\\", "/"),
        "line": finding.line,
        "endLine": finding.end_line,
        "title": title,
    }
    return workflow_command(level, properties, "\n".join(lines))


def render_github(report: Report, catalog: Mapping[str, Rule] | None = None) -> str:
    """Workflow commands for GitHub Actions: a warning (notice) per finding, an error per error."""
    catalog = load_catalog() if catalog is None else catalog
    verified = {v.finding: v for v in report.verification}
    out = []
    for index, finding in enumerate(report.findings):
        rule = catalog.get(finding.rule)
        title = rule.title if rule is not None else finding.rule
        out.append(_annotation(finding, title, verified.get(index)))
    for error in report.errors:
        properties = {
            "file": error.path.replace("\\", "/"),
            "title": f"concadvise {error.kind} error",
        }
        out.append(workflow_command("error", properties, error.message))
    return "".join(line + "\n" for line in out)
