"""The HTML renderer: one self-contained page (no scripts, no network) for a saved report.

Per loop: where its time went (waiting / Python / native) as a stacked bar, the suggestion and
the diff of its rewrite, and the measured before/after timings as a bar chart. The charts are
inline SVG drawn by the Jinja2 template ``templates/report.html.j2``; this module only gathers
the numbers the template shows.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping
from dataclasses import dataclass
from importlib import resources

import jinja2
from markupsafe import Markup, escape

from advisor.catalog import Rule, help_uri, load_catalog
from advisor.display import speedup_text
from advisor.model import Finding, Report, Verification
from advisor.report.wording import plan_text, suggestion_with_concurrency

TEMPLATE = "report.html.j2"


@dataclass(frozen=True, slots=True)
class Segment:
    """One part of a loop's wall time, e.g. waiting 89% = 2.25 s."""

    part: str  # "waiting" | "python" | "native": the CSS class and data-part of the bar
    label: str
    share: float
    seconds: float


@dataclass(frozen=True, slots=True)
class Timings:
    """One verification's timed runs as the chart draws them, in seconds (from its stats)."""

    before_median: float
    after_median: float | None
    before_min: float
    before_max: float
    after_min: float | None
    after_max: float | None
    runs: int
    verification: Verification

    @property
    def scale(self) -> float:
        """The longest time on the chart (the axis end)."""
        return max(self.before_max, self.after_max or 0.0) or 1.0


@dataclass(frozen=True, slots=True)
class DiffLine:
    kind: str  # "add" | "del" | "hunk" | "file" | "context"
    text: str


@dataclass(frozen=True, slots=True)
class LoopView:
    """What the template shows of one finding."""

    index: int
    finding: Finding
    rule: Rule | None
    help_uri: str | None
    suggestion: str  # "ThreadPoolExecutor, 40 workers"
    segments: tuple[Segment, ...]
    timings: Timings | None
    diff: tuple[DiffLine, ...]


def _segments(finding: Finding) -> tuple[Segment, ...]:
    ev = finding.evidence
    if ev is None:
        return ()
    return (
        Segment("waiting", "Waiting", ev.waiting, ev.waiting_s),
        Segment("python", "Python", ev.cpu_python, ev.cpu_python_s),
        Segment("native", "Native", ev.cpu_native, ev.cpu_native_s),
    )


def _timings(v: Verification | None) -> Timings | None:
    if v is None or v.before_stats is None:
        return None
    before, after = v.before_stats, v.after_stats
    return Timings(
        before_median=before.median_s,
        after_median=after.median_s if after else None,
        before_min=before.min_s,
        before_max=before.max_s,
        after_min=after.min_s if after else None,
        after_max=after.max_s if after else None,
        runs=before.runs,
        verification=v,
    )


def _diff_lines(diff: str | None) -> tuple[DiffLine, ...]:
    if not diff:
        return ()
    lines = []
    for text in diff.rstrip("\n").split("\n"):
        if text.startswith(("+++ ", "--- ")):
            kind = "file"
        elif text.startswith("@@"):
            kind = "hunk"
        elif text.startswith("+"):
            kind = "add"
        elif text.startswith("-"):
            kind = "del"
        else:
            kind = "context"
        lines.append(DiffLine(kind, text))
    return tuple(lines)


def loop_views(report: Report, catalog: Mapping[str, Rule]) -> list[LoopView]:
    verified = {v.finding: v for v in report.verification}
    views = []
    for index, finding in enumerate(report.findings):
        rule = catalog.get(finding.rule)
        views.append(
            LoopView(
                index=index,
                finding=finding,
                rule=rule,
                help_uri=help_uri(rule) if rule is not None else None,
                suggestion=suggestion_with_concurrency(finding),
                segments=_segments(finding),
                timings=_timings(verified.get(index)),
                diff=_diff_lines(finding.diff),
            )
        )
    return views


_CODE_SPAN = re.compile(r"`([^`]+)`")


def code_spans(text: str) -> Markup:
    """Escape ``text`` and show its `backticked` parts as code, as the terminal does."""
    return Markup(_CODE_SPAN.sub(r"<code>\1</code>", str(escape(text))))


def _template_source(name: str) -> str:
    return resources.files("advisor.report").joinpath("templates", name).read_text("utf-8")


@functools.cache
def _environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FunctionLoader(_template_source),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["code_spans"] = code_spans
    env.filters["speedup"] = speedup_text
    return env


def render_html(
    report: Report,
    catalog: Mapping[str, Rule] | None = None,
    *,
    title: str = "concadvise report",
) -> str:
    """The report as one HTML page, with the diff of each finding's proposed rewrite."""
    catalog = load_catalog() if catalog is None else catalog
    views = loop_views(report, catalog)
    return (
        _environment()
        .get_template(TEMPLATE)
        .render(
            title=title,
            report=report,
            loops=views,
            plan=plan_text(report.plan) if report.plan is not None else None,
        )
    )
