"""The GitHub Actions renderer: one workflow command per finding and error, escaped exactly."""

from __future__ import annotations

from advisor.catalog import load_catalog
from advisor.model import ErrorEntry, Finding, Report
from advisor.report.github import escape_data, escape_property, render_github
from advisor.report.load import load_report
from conftest import RECORDED


def test_the_recorded_report_as_annotations():
    assert render_github(load_report(RECORDED), load_catalog()) == (
        "::warning file=checksum_files.py,line=32,endLine=32,title=CA101 serial-io-loop::"
        "serial loop (99%25 of the run) waits on I/O 89%25 of its time (`subprocess.run`): "
        "19 threads would make the whole run ~6.8x faster"
        "%0ARewritten and verified: measured 4.37x (1.93 s → 0.44 s, median), same output.\n"
        "::warning file=unsafe_loops.py,line=42,endLine=43,title=CA101 serial-io-loop::"
        "serial loop (53%25 of the run) waits on I/O 90%25 of its time (`time.sleep`): "
        "19 threads would make the whole run ~1.9x faster "
        "(unsafe to rewrite: `token` is carried from one iteration to the next)\n"
        "::warning file=service/poll.py,line=8,endLine=8,title=CA301 blocking-call-in-async::"
        "blocking call `time.sleep` inside `async def poll`: use `await asyncio.sleep(...)`\n"
        "::notice file=unsafe_loops.py,line=61,endLine=63,title=CA101 serial-io-loop::"
        "serial loop (16%25 of the run) is too small to gain from concurrency "
        "(at best ~1.04x for the whole run)\n"
        "::error file=legacy/py2_tools.py,title=concadvise syntax error::"
        "syntax error at line 8: expected ':'\n"
    )


def test_message_data_escapes_percent_and_line_breaks_only():
    assert escape_data("100% done\r\nnext: a, b") == "100%25 done%0D%0Anext: a, b"
    # % first, so an escape already in the text is not decoded by the runner
    assert escape_data("%0A") == "%250A"


def test_property_values_also_escape_colon_and_comma():
    assert escape_property("a:b,c%d\re\nf") == "a%3Ab%2Cc%25d%0De%0Af"


def test_a_hostile_path_and_message_stay_one_command():
    finding = Finding(
        rule="CA101",
        path="dir,x\\we:ird%.py",
        line=3,
        end_line=4,
        message="50% slower\n::error::injected",
        kind="io",
        suggestion="thread_pool",
        fix_safety="unsafe",
        reasons=("writes to `a,b`",),
    )
    out = render_github(Report("0.1.0", findings=(finding,)), load_catalog())
    assert out == (
        "::warning file=dir%2Cx/we%3Aird%25.py,line=3,endLine=4,title=CA101 serial-io-loop::"
        "50%25 slower%0A::error::injected (unsafe to rewrite: writes to `a,b`)\n"
    )
    assert out.count("\n") == 1


def test_a_rule_missing_from_the_catalog_is_titled_by_its_code():
    finding = Finding("CA999", "a.py", 1, 1, "m", "unknown", "none", "none")
    assert render_github(Report("0.1.0", findings=(finding,)), {}) == (
        "::notice file=a.py,line=1,endLine=1,title=CA999::m\n"
    )


def test_errors_without_findings_and_an_empty_report():
    error = ErrorEntry("bin/tool", "encoding", "cannot decode source: 'utf-8' codec, byte 0xff")
    assert render_github(Report("0.1.0", errors=(error,))) == (
        "::error file=bin/tool,title=concadvise encoding error::"
        "cannot decode source: 'utf-8' codec, byte 0xff\n"
    )
    assert render_github(Report("0.1.0")) == ""
