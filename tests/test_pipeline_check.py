"""`concadvise check`: exact findings on the fixtures, exit codes, and the JSON contract."""

from __future__ import annotations

import json

from advisor.check import CheckRequest, check_paths
from advisor.model import ErrorEntry
from conftest import FIXTURES, ROOT, run_cli


def test_check_finds_exactly_the_io_loops_of_the_fixtures(monkeypatch) -> None:
    monkeypatch.chdir(ROOT)
    report = check_paths(CheckRequest(paths=("fixtures",), use_cache=False))
    got = [(f.rule, f.path, f.line, f.fix_safety) for f in report.findings]
    assert got == [
        ("CA101", "fixtures/async_build_watch.py", 19, "none"),
        ("CA301", "fixtures/async_build_watch.py", 20, "safe"),
        # (line 25 makes coroutines for gather: calling an `async def` runs none of its body)
        ("CA303", "fixtures/async_build_watch.py", 25, "safe"),
        ("CA103", "fixtures/async_checksum_downloads.py", 25, "safe"),
        ("CA302", "fixtures/async_checksum_downloads.py", 26, "unsafe"),
        ("CA103", "fixtures/async_fetch_prices.py", 28, "none"),
        ("CA104", "fixtures/async_fetch_prices.py", 28, "safe"),
        # a thread per page; a pool's tasks submitted and waited for one by one
        ("CA201", "fixtures/check_links.py", 63, "unsafe"),
        ("CA205", "fixtures/check_links.py", 74, "safe"),
        # statically an I/O loop (its profile says the GIL is what matters: CA102 or CA103)
        ("CA101", "fixtures/checksum_chunks.py", 31, "safe"),
        ("CA101", "fixtures/checksum_chunks.py", 37, "unsafe"),
        ("CA101", "fixtures/checksum_files.py", 32, "unsafe"),
        (
            "CA101",
            "fixtures/checksum_files.py",
            39,
            "unsafe",
        ),  # effects only: a rewrite, not proven safe
        ("CA101", "fixtures/crashes_midway.py", 24, "safe"),
        ("CA101", "fixtures/download_pages.py", 44, "safe"),
        # the print around the command: its output is the item's own, in order
        ("CA101", "fixtures/encode_clips.py", 26, "unsafe"),
        # the inner generator is not a loop over items; the outer loop's items must pickle
        # a progress line before the request, a CSV row after it: both stay serial
        ("CA101", "fixtures/export_sizes.py", 43, "safe"),
        ("CA102", "fixtures/factorial_digits.py", 21, "none"),
        ("CA102", "fixtures/factorial_digits.py", 29, "unsafe"),
        ("CA101", "fixtures/fetch_and_score.py", 52, "safe"),
        ("CA101", "fixtures/fetch_records.py", 48, "safe"),
        ("CA103", "fixtures/hash_blocks.py", 38, "safe"),
        # printing and a running total after the request: they stay serial after the pool
        ("CA101", "fixtures/mirror_pages.py", 39, "safe"),
        # a request handler's serial calls to its backend (attached to with `profile --pid`)
        ("CA101", "fixtures/report_service.py", 43, "safe"),
        ("CA101", "fixtures/unsafe_loops.py", 42, "none"),
        ("CA101", "fixtures/unsafe_loops.py", 50, "none"),
        ("CA101", "fixtures/unsafe_loops.py", 61, "unsafe"),
    ]
    assert [(e.path, e.kind) for e in report.errors] == [
        ("fixtures/broken/syntax_error.py", "syntax")
    ]


def test_check_json_is_the_report_contract_and_exit_1_on_findings() -> None:
    result = run_cli("check", str(FIXTURES / "download_pages.py"), "--format", "json")
    assert result.returncode == 1, result.stderr
    report = json.loads(result.stdout)
    assert report["schema_version"] == 1
    assert report["tool"]["name"] == "concadvise"
    [finding] = report["findings"]
    assert finding["rule"] == "CA101"
    assert finding["line"] == 44 and finding["end_line"] == 45
    assert finding["kind"] == "io" and finding["suggestion"] == "thread_pool"
    assert finding["fix_safety"] == "safe" and finding["reasons"] == []
    assert report["errors"] == []


def test_check_exits_0_on_clean_code(tmp_path) -> None:
    clean = tmp_path / "clean.py"
    clean.write_text("total = 0\nfor i in range(10):\n    total += i\n")
    result = run_cli("check", str(clean))
    assert result.returncode == 0
    assert "No findings." in result.stdout


def test_check_reports_unreadable_input_without_a_traceback(tmp_path) -> None:
    (tmp_path / "bad.py").write_bytes(b"x = 1\x00\n")
    (tmp_path / "latin.py").write_bytes(b"s = '\xe9'\n")
    result = run_cli("check", str(tmp_path), str(tmp_path / "missing.py"), "--format", "json")
    assert result.returncode == 1, result.stderr  # files it cannot analyse fail the gate
    assert "Traceback" not in result.stderr
    errors = {
        (e["path"].rsplit("/", 1)[-1], e["kind"]) for e in json.loads(result.stdout)["errors"]
    }
    assert errors == {("bad.py", "syntax"), ("latin.py", "encoding"), ("missing.py", "io")}


def test_review_formats_carry_the_diff_of_each_safe_rewrite() -> None:
    markdown = run_cli("check", str(FIXTURES / "download_pages.py"), "-f", "markdown")
    assert markdown.returncode == 1, markdown.stderr
    assert "+    with ThreadPoolExecutor(max_workers=8) as executor:" in markdown.stdout
    assert "+        pages.extend(executor.map(download, urls))" in markdown.stdout
    sarif = json.loads(run_cli("check", str(FIXTURES / "download_pages.py"), "-f", "sarif").stdout)
    [result] = sarif["runs"][0]["results"]
    [fix] = result["fixes"]
    inserted = [
        r["insertedContent"]["text"] for c in fix["artifactChanges"] for r in c["replacements"]
    ]
    assert any("executor.map(download, urls)" in text for text in inserted)


def test_every_fixable_rule_has_a_fixer_that_imports() -> None:
    from advisor.catalog import load_catalog
    from advisor.codemods.fixers import FIXERS, RewriteError
    from advisor.model import Finding

    fixable = {code for code, rule in load_catalog().items() if rule.fixable}
    assert set(FIXERS) == fixable
    # CA208's finding is about the whole module: any module without a guard can be given one.
    for code, fixer in sorted(FIXERS.items() - {("CA208", FIXERS["CA208"])}):
        finding = Finding(code, "m.py", 1, 1, "", "unknown", "none", "safe")
        try:  # a line that holds nothing of the rule: each fixer must refuse it cleanly
            fixer("x = 1\n", finding)
        except RewriteError:
            continue
        raise AssertionError(f"{code}: fixer accepted a line with nothing to fix")


def test_a_fixer_crash_costs_only_its_files_diff(crash_tree) -> None:
    report = check_paths(CheckRequest(paths=(".",), use_cache=False, with_diffs=True, jobs=1))
    assert [(f.path, f.rule, f.diff is not None) for f in report.findings] == [
        ("crashes.py", "CA101", False),
        ("fixes.py", "CA101", True),
    ]
    assert report.errors == (
        ErrorEntry(
            "crashes.py", "internal", "CA101 fixer failed on line 6: FixerBug: a deliberate bug"
        ),
    )
