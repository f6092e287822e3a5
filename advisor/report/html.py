"""The HTML renderer: one self-contained page (no scripts, no network) for a saved report.

Per loop: where its time went (waiting / Python / native) as a stacked bar, the suggestion and
the diff of its rewrite, and the measured before/after timings as a bar chart. The charts are
inline SVG drawn by the Jinja2 template ``templates/report.html.j2``; this module only gathers
the numbers the template shows.
"""

from __future__ import annotations

import functools
import re
import statistics
from collections.abc import Mapping
from dataclasses import dataclass
from importlib import resources

import jinja2
from markupsafe import Markup, escape

from advisor.catalog import Rule, help_uri, load_catalog
from advisor.model import Finding, Report, Verification
from advisor.report.wording import suggestion_with_concurrency

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
    """Summary of one verification's timed runs, in seconds."""

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
    parts = (
        ("waiting", "Waiting", ev.waiting),
        ("python", "Python", ev.cpu_python),
        ("native", "Native", ev.cpu_native),
    )
    return tuple(Segment(part, label, share, share * ev.wall_s) for part, label, share in parts)


def _timings(v: Verification | None) -> Timings | None:
    if v is None or not v.before_s:
        return None
    after = v.after_s
    return Timings(
        before_median=statistics.median(v.before_s),
        after_median=statistics.median(after) if after else None,
        before_min=min(v.before_s),
        before_max=max(v.before_s),
        after_min=min(after) if after else None,
        after_max=max(after) if after else None,
        runs=len(v.before_s),
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
        )
    )
