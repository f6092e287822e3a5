"""One entry point over the text renderers: a format name in, the rendered report out."""

from __future__ import annotations

from advisor.catalog import load_catalog
from advisor.model import Report
from advisor.report.github import render_github
from advisor.report.html import render_html
from advisor.report.json_report import render_json
from advisor.report.markdown import render_markdown
from advisor.report.sarif import render_sarif


def render_text(report: Report, output_format: str) -> str:
    """Every format but the terminal table, as text."""
    if output_format == "json":
        return render_json(report)
    if output_format == "sarif":
        return render_sarif(report, load_catalog())
    if output_format == "markdown":
        return render_markdown(report, load_catalog())
    if output_format == "github":
        return render_github(report, load_catalog())
    if output_format == "html":
        return render_html(report, load_catalog())
    raise ValueError(f"unknown text format {output_format!r}")
