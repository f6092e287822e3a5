"""Rendering a `concadvise bench` result: a rich table for people, JSON for scripts."""

from __future__ import annotations

import json

from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, SpinnerColumn, TextColumn
from rich.table import Table

from advisor.display import speedup_text
from advisor.report.wording import ignored_output_text
from advisor.verify.bench import BenchResult, RunEvent, Timing


def _seconds(value: float) -> str:
    return f"{value:.3f} s" if value < 10 else f"{value:.1f} s"


def _timing_row(label: str, timing: Timing) -> list[str]:
    if not timing.runs:
        return [label, "—", "—", "—", "0"]
    return [
        label,
        _seconds(timing.median_s),
        _seconds(timing.min_s),
        _seconds(timing.max_s),
        str(len(timing.runs)),
    ]


def _verdict(result: BenchResult) -> str:
    ratio = result.ratio
    if ratio is None:
        return "No timed pair completed."
    span = f"pairwise {speedup_text(ratio.min, 2)}-{speedup_text(ratio.max, 2)}"
    if ratio.median >= 1.0:
        return (
            f"[bold]after is {speedup_text(ratio.median, 2)} faster[/bold] "
            f"(median of per-pair ratios; {span})"
        )
    return (
        f"[bold]after is {speedup_text(ratio.slowdown, 2)} slower[/bold] "
        f"(before/after {speedup_text(ratio.median, 2)}, median of per-pair ratios; {span})"
    )


def render_bench(result: BenchResult, console: Console, before: str, after: str) -> None:
    """The timings of both versions, the ratio, whether the output matched, and any warning."""
    table = Table(title="Alternating runs (wall time)", title_justify="left")
    table.add_column("Version")
    for name in ("Median", "Min", "Max", "Runs"):
        table.add_column(name, justify="right")
    table.add_row(*_timing_row(f"before  {escape(before)}", result.before))
    table.add_row(*_timing_row(f"after   {escape(after)}", result.after))
    console.print(table)
    console.print(_verdict(result), highlight=False)
    if result.same_output and result.failure:
        console.print(
            f"[red]Both versions failed[/red] the same way ({escape(result.failure)}).",
            highlight=False,
        )
    elif result.same_output:
        console.print("[green]Same output[/green] (exit code and stdout).", highlight=False)
    else:
        console.print(
            f"[red]Output differs:[/red] {escape(result.difference or 'changed')}",
            highlight=False,
        )
    if result.ignored_output:
        console.print(escape(ignored_output_text(result.ignored_output)), highlight=False)
    if result.noise_warning:
        console.print(f"[yellow]Noisy:[/yellow] {escape(result.noise_warning)}", highlight=False)


def render_bench_json(result: BenchResult) -> str:
    return json.dumps(result.to_dict(), indent=2) + "\n"


class LiveBenchProgress:
    """A live bar while the runs go: runs done of total and each version's latest time.

    Give it the status console (stderr, quiet off a terminal) so stdout stays the result only.
    """

    def __init__(self, console: Console, total: int | None = None) -> None:
        self._progress = Progress(
            SpinnerColumn(),
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            console=console,
            transient=True,
        )
        self._task = self._progress.add_task("Warming up", total=total)
        self._latest: dict[str, float] = {}

    def __enter__(self) -> LiveBenchProgress:
        self._progress.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self._progress.stop()

    def __call__(self, event: RunEvent) -> None:
        self._latest[event.label] = event.wall_s
        latest = " · ".join(f"{label} {s:.3f} s" for label, s in self._latest.items())
        phase = "Warming up" if event.warmup else "Timing"
        self._progress.update(
            self._task, completed=event.done, total=event.total, description=f"{phase}: {latest}"
        )
