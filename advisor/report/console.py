"""The terminal renderer: rich tables of findings, errors and before/after timings."""

from __future__ import annotations

from rich.console import Console
from rich.markup import escape
from rich.table import Table
from rich.text import Text

from advisor.display import speedup_text
from advisor.model import Finding, Report, TimingStats
from advisor.report.wording import (
    SUGGESTION_TEXT,
    concurrency_text,
    ignored_output_text,
    plan_text,
)

_SAFETY_STYLE = {"safe": "green", "unsafe": "red", "none": "dim"}
_KIND_STYLE = {
    "io": "cyan",
    "cpu": "magenta",
    "native": "yellow",
    "mixed": "blue",
    "unknown": "dim",
}


def _findings_table(report: Report, profiled: bool) -> Table:
    table = Table(
        title="Findings by share of the run" if profiled else "Findings", title_justify="left"
    )
    table.add_column("#", justify="right", style="dim", no_wrap=True)
    # the location may fold over lines; the short columns never do
    table.add_column("Loop", overflow="fold", ratio=1)
    columns = ["Rule", *(["Share"] if profiled else []), "Kind", "Suggestion"]
    columns += [*(["Workers", "Speedup"] if profiled else []), "Safety"]
    for name in columns:
        right = name in ("Share", "Workers", "Speedup")
        table.add_column(name, justify="right" if right else "left", no_wrap=True)
    for index, f in enumerate(report.findings):
        row: list[str | Text] = [str(index), f"{f.path}:{f.line}", f.rule]
        if profiled:
            row.append(f"{f.evidence.share_of_run:.0%}" if f.evidence else "—")
        row += [Text(f.kind, style=_KIND_STYLE[f.kind]), SUGGESTION_TEXT[f.suggestion]]
        if profiled:
            row.append(str(f.workers) if f.workers and f.suggestion != "none" else "—")
            row.append(speedup_text(f.predicted_speedup) if f.predicted_speedup else "—")
        row.append(Text(f.fix_safety, style=_SAFETY_STYLE[f.fix_safety]))
        table.add_row(*row)
    return table


def _details(console: Console, findings: tuple[Finding, ...]) -> None:
    for index, f in enumerate(findings):
        console.print(
            f"[dim]{index}[/dim] {escape(f.path)}:{f.line} {escape(f.message)}", highlight=False
        )
        for reason in f.reasons:
            console.print(f"    [red]•[/red] {escape(reason)}", highlight=False)


def _spread(stats: TimingStats | None) -> str:
    if stats is None:
        return "—"
    return f"{stats.median_s:.2f} s ({stats.min_s:.2f}-{stats.max_s:.2f})"


def _verification_table(report: Report) -> Table:
    table = Table(title="Before / after (median, min-max)", title_justify="left")
    for name, justify in (
        ("#", "right"),
        ("Loop", "left"),
        ("Before", "right"),
        ("After", "right"),
        ("Speedup", "right"),
        ("Predicted", "right"),
        ("Same output", "left"),
        ("Result", "left"),
    ):
        table.add_column(name, justify=justify)  # type: ignore[arg-type]
    for v in report.verification:
        f = report.findings[v.finding]
        result = (
            Text("kept", style="green")
            if v.kept
            else Text(f"rolled back: {v.reason}", style="yellow")
        )
        table.add_row(
            str(v.finding),
            f"{f.path}:{f.line}",
            _spread(v.before_stats),
            _spread(v.after_stats),
            speedup_text(v.speedup, 2) if v.after_stats else "—",
            speedup_text(f.predicted_speedup) if f.predicted_speedup else "—",
            "yes" if v.same_output else Text("no", style="red"),
            result,
        )
    return table


def _cores_text(report: Report) -> str:
    """ " for 2 cores", and how many were free when others used some while the run was measured."""
    run = report.run
    if run is None or not run.cores:
        return ""
    free = run.free_cores
    busy = (
        f" ({free:.1f} free while profiling)" if free is not None and free < run.cores - 0.5 else ""
    )
    return f" for {run.cores} cores{busy}"


def render_console(report: Report, console: Console) -> None:
    profiled = report.run is not None
    if report.run is not None:
        python = report.run.python
        under = f" under {python} ({report.run.python_version})" if python else ""
        if report.run.attached_pid is not None:
            console.print(
                f"Attached {report.run.profiler} to process {report.run.attached_pid}{under}"
                f"{_cores_text(report)}: sampled {report.run.wall_s:.2f} s of its run",
                highlight=False,
            )
        else:
            console.print(
                f"Profiled with {report.run.profiler}{under}{_cores_text(report)}: "
                f"{report.run.wall_s:.2f} s wall, "
                + (
                    "stopped at the timeout"
                    if report.run.timed_out
                    else f"exit code {report.run.exit_code}"
                ),
                highlight=False,
            )
    if report.findings:
        console.print(_findings_table(report, profiled))
        _details(console, report.findings)
        if report.plan is not None:
            console.print(plan_text(report.plan), highlight=False)
    elif profiled:
        console.print("No hot serial loops found.")
    elif report.errors:
        unread = len({e.path for e in report.errors})
        files = "file" if unread == 1 else "files"
        console.print(f"No findings in the files analysed; {unread} {files} could not be analysed:")
    else:
        console.print("No findings.")
    if report.verification:
        console.print(_verification_table(report))
        if report.run is not None and report.run.output_masks:
            console.print(escape(ignored_output_text(report.run.output_masks)), highlight=False)
        for v in report.verification:
            f = report.findings[v.finding]
            if v.kept:
                concurrency = concurrency_text(f)
                workers = f", {concurrency}" if concurrency else ""
                console.print(
                    f"[green]Rewrote[/green] {escape(f.path)}:{f.line} ({f.rule}{workers}); "
                    "review it with your diff tool.",
                    highlight=False,
                )
            else:
                console.print(
                    f"Left {escape(f.path)}:{f.line} unchanged: {escape(v.reason)}.",
                    highlight=False,
                )
            if v.noise_warning:
                console.print(
                    f"[yellow]Noisy timings[/yellow] for {escape(f.path)}:{f.line}: "
                    f"{escape(v.noise_warning)}",
                    highlight=False,
                )
    for error in report.errors:
        console.print(
            f"[yellow]{error.kind} error[/yellow] {escape(error.path)}: {escape(error.message)}",
            highlight=False,
        )
