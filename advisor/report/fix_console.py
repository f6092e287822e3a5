"""What `concadvise fix` did, for a terminal: one line per fix applied or left, then a summary."""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.console import Console
from rich.markup import escape

if TYPE_CHECKING:  # the report of `fix`, a command above the renderers: named, never imported
    from advisor.fix import FixReport


def _plural(count: int, word: str) -> str:
    return f"{count} {word}{'' if count == 1 else 's'}"


def render_fix_summary(report: FixReport, console: Console, *, wrote: bool) -> None:
    """``wrote`` is False for --diff: the same lines, said as what *would* be fixed."""
    verb = "fixed" if wrote else "would fix"
    for file in report.files:
        for finding in file.applied:
            console.print(
                f"{escape(file.path)}:{finding.line}: [bold]{finding.rule}[/] "
                f"[green]{verb}[/]: {escape(finding.message)}",
                highlight=False,
            )
        for skipped in file.skipped:
            console.print(
                f"{escape(file.path)}:{skipped.finding.line}: [bold]{skipped.finding.rule}[/] "
                f"[yellow]left[/]: {escape(skipped.reason)}",
                highlight=False,
            )
    for error in report.errors:
        console.print(
            f"{escape(error.path)}: [red]error[/] ({error.kind}): {escape(error.message)}",
            highlight=False,
        )
    summary = (
        f"{verb.capitalize()} {_plural(report.applied, 'finding')} "
        f"in {_plural(report.changed_files, 'file')}"
    )
    if report.skipped:
        summary += f"; {_plural(len(report.skipped), 'finding')} left unfixed"
    if report.errors:
        summary += f"; {_plural(len(report.errors), 'error')}"
    console.print(summary + ".", highlight=False)
