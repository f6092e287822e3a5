"""A finding carries its site, the node it is about; the fixer is handed that node and never
searches for its target by line again."""

from __future__ import annotations

import dataclasses
import json
import textwrap

import pytest

from advisor.analysis.detectors import analyse_content
from advisor.analysis.knowledge import load_knowledge
from advisor.codemods.async_blocking import fix_blocking_call_in_async
from advisor.codemods.thread_pool import fix_thread_pool_loop
from advisor.errors import RewriteError
from advisor.model import Finding, Report, Site, report_to_dict
from advisor.report.load import report_from_dict
from advisor.syntax.sites import site_of, statement_at, statement_holding
from advisor.syntax.source import Source

KNOWLEDGE = load_knowledge()

LOOP = """\
import urllib.request


def fetch_all(urls):
    pages = []
    for url in urls:
        pages.append(urllib.request.urlopen(url).read())
    return pages
"""


def _findings(code: str, rule: str) -> list[Finding]:
    result = analyse_content("m.py", textwrap.dedent(code).encode(), KNOWLEDGE)
    return [f for f in result.findings if f.rule == rule]


def test_a_loop_finding_carries_its_span_and_recognised_shape() -> None:
    [finding] = _findings(LOOP, "CA101")
    assert finding.site == Site(line=6, column=5, end_line=7, end_column=57, shape="for_append")


def test_columns_count_characters_not_bytes() -> None:
    source = Source.of_text("s = 'é'; t = [x for x in s]\n")
    statement = source.tree.body[1]
    site = site_of(source, statement, "statement")
    assert (site.column, site.end_column) == (10, 28)
    located = statement_at(source, site)
    assert located is not None and located.node is statement


def test_the_site_is_in_the_json_report_and_loads_back_and_left_out_when_absent() -> None:
    [finding] = _findings(LOOP, "CA101")
    data = report_to_dict(Report(tool_version="0", findings=(finding,)))
    assert data["findings"][0]["site"] == {
        "line": 6,
        "column": 5,
        "end_line": 7,
        "end_column": 57,
        "shape": "for_append",
    }
    assert report_from_dict(json.loads(json.dumps(data))).findings == (finding,)
    without = dataclasses.replace(finding, site=None)
    assert (
        "site" not in report_to_dict(Report(tool_version="0", findings=(without,)))["findings"][0]
    )


def test_the_fixer_takes_the_loop_at_the_site_and_refuses_when_the_code_moved() -> None:
    [finding] = _findings(LOOP, "CA101")
    fixed = fix_thread_pool_loop(LOOP, finding)
    assert "pages.extend(executor.map(" in fixed
    moved = LOOP.replace("def fetch_all(urls):\n", "def fetch_all(urls):\n    urls = list(urls)\n")
    with pytest.raises(RewriteError, match="not where the analysis located it"):
        fix_thread_pool_loop(moved, dataclasses.replace(finding, line=7, end_line=8))
    # a finding without a site (a report saved before sites existed) is taken by its line
    assert fix_thread_pool_loop(LOOP, dataclasses.replace(finding, site=None)) == fixed


def test_the_fixer_refuses_a_loop_whose_shape_changed() -> None:
    [finding] = _findings(LOOP, "CA101")
    assert finding.site is not None
    other = dataclasses.replace(finding, site=dataclasses.replace(finding.site, shape="for_extend"))
    with pytest.raises(RewriteError, match="for_append now, not the for_extend"):
        fix_thread_pool_loop(LOOP, other)


def test_of_two_calls_on_one_line_each_finding_fixes_its_own() -> None:
    code = """\
    import time


    async def poll():
        time.sleep(1); time.sleep(2)
    """
    first, second = _findings(code, "CA301")
    assert (first.site, second.site) == (
        Site(line=5, column=5, end_line=5, end_column=18, shape="call"),
        Site(line=5, column=20, end_line=5, end_column=33, shape="call"),
    )
    source = textwrap.dedent(code)
    assert "time.sleep(1); await asyncio.sleep(2)" in fix_blocking_call_in_async(source, second)
    assert "await asyncio.sleep(1); time.sleep(2)" in fix_blocking_call_in_async(source, first)


def test_the_statement_holding_a_call_is_the_innermost_around_its_span() -> None:
    code = "if ready:\n    results = list(\n        pool.map(work, items)\n    )\n"
    source = Source.of_text(code)
    call = source.tree.body[0].body[0].value.args[0]  # type: ignore[attr-defined]
    site = site_of(source, call, "call")
    assert (site.line, site.column) == (3, 9)
    held = statement_holding(source, site)
    assert held is not None and held.node is source.tree.body[0].body[0]  # type: ignore[attr-defined]
    assert statement_holding(Source.of_text("x = 1\n"), site) is None
