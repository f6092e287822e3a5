"""The Markdown renderer: a PR comment with the findings table, timings and folded diffs."""

from __future__ import annotations

from dataclasses import replace

from advisor.catalog import load_catalog
from advisor.model import Finding, Report
from advisor.report.load import load_report
from advisor.report.markdown import render_markdown
from conftest import RECORDED
from conftest import SAMPLE_DIFF as DIFF


def with_diff(diff: str | None) -> Report:
    """The recorded report with ``diff`` as the proposed rewrite of its first finding."""
    report = load_report(RECORDED)
    return replace(report, findings=(replace(report.findings[0], diff=diff), *report.findings[1:]))


def render(report: Report | None = None, **kwargs) -> str:
    return render_markdown(report or load_report(RECORDED), load_catalog(), **kwargs)


def table_rows(text: str) -> list[str]:
    return [line for line in text.splitlines() if line.startswith("| ")]


def test_headline_names_the_count_and_the_run():
    text = render()
    assert text.startswith(
        "## concadvise: 4 findings\n\nProfiled with scalene: 2.54 s wall, exit code 0.\n"
    )


def test_an_attached_run_says_what_it_sampled_and_that_predictions_are_bounds():
    report = load_report(RECORDED)
    assert report.run is not None
    attached = replace(report, run=replace(report.run, profiler="py-spy", attached_pid=4242))
    assert render(attached).startswith(
        "## concadvise: 4 findings\n\nAttached py-spy to process 4242: sampled 2.54 s of its "
        "run. Its loops were not counted: a prediction is an upper bound where the source does "
        "not tell the items.\n"
    )


def test_one_table_row_per_finding_with_predicted_and_measured_speedups():
    rows = table_rows(render())
    assert rows[0] == (
        "| # | Location | Rule | Kind | Share of run | Suggestion | Predicted | Measured | Safety |"
    )
    assert rows[1] == (
        "| 0 | `checksum_files.py:32` | [CA101](https://concadvise.readthedocs.io/en/latest/rules/"
        'CA101 "serial-io-loop") | io | 99% | ThreadPoolExecutor, 19 workers | 6.8x '
        "| **4.37x** (kept) | ✅ safe |"
    )
    # a prediction shows one decimal, as in the terminal and in the message
    assert rows[2].endswith("| io | 53% | ThreadPoolExecutor, 19 workers | 1.9x | — | ⚠️ unsafe |")
    assert rows[3].endswith("| io | — | asyncio.sleep | — | — | ✅ safe |")
    assert rows[4].endswith("| io | 16% | — | 1.0x | — | — no rewrite |")


def test_unsafe_reasons_are_listed_under_their_finding():
    text = render()
    assert (
        "- **1** `unsafe_loops.py:42`: serial loop (53% of the run) waits on I/O 90% of its time "
        "(`time.sleep`): 19 threads would make the whole run ~1.9x faster\n"
        "  - `token` is carried from one iteration to the next\n"
    ) in text


def test_before_after_table_shows_medians():
    text = render()
    assert "### Before / after\n" in text
    assert "| 0 | `checksum_files.py:32` | 1.93 s | 0.44 s | 4.37x | yes | kept |" in text


def test_each_diff_is_folded_in_a_details_block():
    text = render(with_diff(DIFF))
    assert (
        "### Proposed rewrites\n\n"
        "<details>\n<summary>0 · checksum_files.py:32 · CA101: proposed rewrite</summary>\n\n"
        f"```diff\n{DIFF}```\n\n</details>"
    ) in text
    assert "Proposed rewrites" not in render(with_diff(None))


def test_a_diff_with_a_fence_inside_gets_a_longer_fence():
    diff = '--- a/d.py\n+++ b/d.py\n@@ -1 +1 @@\n-x = 1\n+DOC = """\n ```\n'
    text = render(with_diff(diff))
    assert f"````diff\n{diff}````" in text


def test_pipes_and_newlines_cannot_break_the_table():
    finding = Finding(
        "CA101", "a|b.py", 1, 2, "uses `x | y`\nthen more", "io", "thread_pool", "safe"
    )
    report = Report("0.1.0", findings=(finding,))
    rows = table_rows(render(report))
    assert rows[1].startswith("| 0 | `a\\|b.py:1` |")
    assert "- **0** `a|b.py:1`: uses `x | y` then more" in render(report)


def test_a_static_report_has_no_profile_columns():
    report = replace(load_report(RECORDED), run=None, verification=())
    text = render(report)
    assert text.startswith("## concadvise: 4 findings\n\n| # |")
    assert table_rows(text)[0] == "| # | Location | Rule | Kind | Suggestion | Safety |"
    assert "Before / after" not in text


def test_errors_are_listed_and_an_empty_report_says_so():
    assert render().endswith(
        "### Errors\n\n- `legacy/py2_tools.py` (syntax): syntax error at line 8: expected ':'\n"
    )
    assert render(Report("0.1.0")) == "## concadvise: no findings\n"
