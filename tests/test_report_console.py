"""The terminal report's lines about kept and rolled-back rewrites, noise included."""

from __future__ import annotations

from rich.console import Console

from advisor.model import Finding, Report, Verification
from advisor.report.console import render_console

FINDING = Finding(
    "CA101", "pages.py", 12, 13, "serial loop", "io", "thread_pool", "safe", workers=8
)


def _text(report: Report) -> str:
    console = Console(width=200, record=True, color_system=None)
    render_console(report, console)
    return console.export_text()


def test_kept_rewrite_names_its_rule_and_workers_and_a_noise_warning_is_shown() -> None:
    verification = Verification(
        0, (2.0, 2.1), (0.5, 0.9), 3.1, True, True, noise_warning="after runs spread 1.80x"
    )
    text = _text(Report("0", findings=(FINDING,), verification=(verification,)))
    assert "Rewrote pages.py:12 (CA101, 8 workers); review it with your diff tool." in text
    assert "Noisy timings for pages.py:12: after runs spread 1.80x" in text


def test_rolled_back_rewrite_says_why_and_quiet_timings_say_nothing_more() -> None:
    verification = Verification(0, (2.0,), (2.0,), 1.0, True, False, "not faster (1.00x)")
    text = _text(Report("0", findings=(FINDING,), verification=(verification,)))
    assert "Left pages.py:12 unchanged: not faster (1.00x)." in text
    assert "Noisy" not in text
