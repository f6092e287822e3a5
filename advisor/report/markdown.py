"""The Markdown renderer: a pull-request comment (GitHub-flavoured Markdown).

A headline, one table row per finding with its predicted and measured speedup, why the unsafe
ones were left alone, and each proposed rewrite's diff folded in a ``<details>`` block.
"""

from __future__ import annotations

import html
import re
from collections.abc import Mapping

from advisor.catalog import Rule, help_uri, load_catalog
from advisor.display import speedup_text
from advisor.model import Finding, Report, Verification
from advisor.report.wording import ignored_output_text, plan_text, suggestion_with_concurrency

_SAFETY_TEXT = {"safe": "✅ safe", "unsafe": "⚠️ unsafe", "none": "— no rewrite"}


def _cell(text: str) -> str:
    """Text for a table cell: a pipe would end the cell, a newline the row."""
    return " ".join(text.split()).replace("|", "\\|")


def _code(text: str) -> str:
    """An inline code span that survives backticks in ``text``."""
    longest = max((len(run) for run in re.findall(r"`+", text)), default=0)
    fence = "`" * (longest + 1)
    pad = " " if text.startswith("`") or text.endswith("`") else ""
    return f"{fence}{pad}{text}{pad}{fence}"


def _fenced(text: str, info: str) -> str:
    longest = max(
        (len(run) for run in re.findall(r"^ {0,3}(`{3,})", text, re.MULTILINE)), default=0
    )
    fence = "`" * max(3, longest + 1)
    return f"{fence}{info}\n{text.rstrip(chr(10))}\n{fence}"


def _location(finding: Finding) -> str:
    return f"{finding.path}:{finding.line}"


def _rule_link(rule_id: str, catalog: Mapping[str, Rule]) -> str:
    rule = catalog.get(rule_id)
    if rule is None:
        return rule_id
    return f'[{rule.id}]({help_uri(rule)} "{rule.name}")'


def _suggestion(finding: Finding) -> str:
    return suggestion_with_concurrency(finding)


def _measured(v: Verification | None) -> str:
    if v is None:
        return "—"
    if v.after_stats is None:
        return f"not run: {_cell(v.reason)}"
    result = "kept" if v.kept else f"rolled back: {_cell(v.reason)}"
    return f"**{speedup_text(v.speedup, 2)}** ({result})"


def _headline(report: Report) -> str:
    count = len(report.findings)
    noun = "finding" if count == 1 else "findings"
    head = f"## concadvise: {count} {noun}" if count else "## concadvise: no findings"
    if report.run is None:
        return head
    run = report.run
    if run.attached_pid is not None:
        sampled = f"sampled {run.wall_s:.2f} s of its run"
        return (
            f"{head}\n\nAttached {run.profiler} to process {run.attached_pid}: {sampled}. Its "
            "loops were not counted: a prediction is an upper bound where the source does not "
            "tell the items."
        )
    ending = "stopped at the timeout" if run.timed_out else f"exit code {run.exit_code}"
    return f"{head}\n\nProfiled with {run.profiler}: {run.wall_s:.2f} s wall, {ending}."


def _table(report: Report, catalog: Mapping[str, Rule]) -> list[str]:
    profiled = report.run is not None
    verified = {v.finding: v for v in report.verification}
    columns = ["#", "Location", "Rule", "Kind"]
    columns += ["Share of run"] if profiled else []
    columns += ["Suggestion"]
    columns += ["Predicted"] if profiled else []
    columns += ["Measured"] if report.verification else []
    columns += ["Safety"]
    right = {"#", "Share of run", "Predicted", "Measured"}
    lines = [
        "| " + " | ".join(columns) + " |",
        "|" + "|".join("--:" if c in right else "---" for c in columns) + "|",
    ]
    for index, f in enumerate(report.findings):
        row = [str(index), _code(_location(f)).replace("|", "\\|"), _rule_link(f.rule, catalog)]
        row.append(f.kind)
        if profiled:
            row.append(f"{f.evidence.share_of_run:.0%}" if f.evidence else "—")
        row.append(_suggestion(f))
        if profiled:
            row.append(speedup_text(f.predicted_speedup) if f.predicted_speedup else "—")
        if report.verification:
            row.append(_measured(verified.get(index)))
        row.append(_SAFETY_TEXT[f.fix_safety])
        lines.append("| " + " | ".join(row) + " |")
    return lines


def _details(report: Report) -> list[str]:
    lines = []
    for index, f in enumerate(report.findings):
        lines.append(f"- **{index}** {_code(_location(f))}: {' '.join(f.message.split())}")
        lines.extend(f"  - {' '.join(reason.split())}" for reason in f.reasons)
    return lines


def _timings(report: Report) -> list[str]:
    lines = [
        "| # | Location | Before (median) | After (median) | Speedup | Same output | Result |",
        "|--:|---|--:|--:|--:|---|---|",
    ]
    for v in report.verification:
        f = report.findings[v.finding]
        before = f"{v.before_stats.median_s:.2f} s" if v.before_stats else "—"
        after = f"{v.after_stats.median_s:.2f} s" if v.after_stats else "—"
        speedup = speedup_text(v.speedup, 2) if v.after_stats else "—"
        result = "kept" if v.kept else f"rolled back: {_cell(v.reason)}"
        same = "yes" if v.same_output else "**no**"
        lines.append(
            f"| {v.finding} | {_code(_location(f))} | {before} | {after} | {speedup} "
            f"| {same} | {result} |"
        )
    return lines


def _diff_block(index: int, finding: Finding, diff: str) -> str:
    summary = html.escape(f"{index} · {_location(finding)} · {finding.rule}: proposed rewrite")
    return f"<details>\n<summary>{summary}</summary>\n\n{_fenced(diff, 'diff')}\n\n</details>"


def render_markdown(report: Report, catalog: Mapping[str, Rule] | None = None) -> str:
    """A PR comment, with the diff of each finding's proposed rewrite."""
    catalog = load_catalog() if catalog is None else catalog
    blocks = [_headline(report)]
    if report.findings:
        blocks.append("\n".join(_table(report, catalog)))
        blocks.append("\n".join(_details(report)))
        if report.plan is not None:
            blocks.append(f"**{plan_text(report.plan)}**")
    if report.verification:
        blocks.append("### Before / after\n\n" + "\n".join(_timings(report)))
        if report.run is not None and report.run.output_masks:
            blocks.append(ignored_output_text(report.run.output_masks))
    proposed = [
        _diff_block(index, finding, finding.diff)
        for index, finding in enumerate(report.findings)
        if finding.diff
    ]
    if proposed:
        blocks.append("### Proposed rewrites\n\n" + "\n\n".join(proposed))
    if report.errors:
        errors = [
            f"- {_code(e.path)} ({e.kind}): {' '.join(e.message.split())}" for e in report.errors
        ]
        blocks.append("### Errors\n\n" + "\n".join(errors))
    return "\n\n".join(blocks) + "\n"
