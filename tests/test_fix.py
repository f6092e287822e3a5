"""`fix_paths`: which findings are rewritten, how files are written back, and what is refused."""

from __future__ import annotations

import codecs
import os
import stat
from pathlib import Path

import pytest

from advisor.fix import FixRequest, fix_paths
from advisor.model import ErrorEntry
from conftest import SAFE_IO_LOOP

# A module whose loop blocks on I/O (CA101, safe) and another whose loop prints (CA101, unsafe).
IO_LOOP = """\
import urllib.request


def fetch(url):
    with urllib.request.urlopen(url) as response:  # one request per page
        return response.read()


def fetch_all(urls):
    pages = []
    for url in urls:
        pages.append(fetch(url))
    return pages
"""

IO_LOOP_FIXED = """\
import urllib.request
from concurrent.futures import ThreadPoolExecutor


def fetch(url):
    with urllib.request.urlopen(url) as response:  # one request per page
        return response.read()


def fetch_all(urls):
    pages = []
    with ThreadPoolExecutor(max_workers=8) as executor:
        pages.extend(executor.map(fetch, urls))
    return pages
"""

PRINTING_LOOP = """\
import urllib.request


def fetch_and_log(url):
    with urllib.request.urlopen(url) as response:
        print("fetched", url)
        return response.read()


def fetch_all(urls):
    pages = []
    for url in urls:
        pages.append(fetch_and_log(url))
    return pages
"""

SEARCH_LOOP = """\
import urllib.request


def first_page(urls):
    for url in urls:
        page = urllib.request.urlopen(url).read()
        if page:
            break
    return page
"""


def _write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def test_fixes_a_safe_loop_and_a_second_run_changes_nothing(tmp_path: Path) -> None:
    target = _write(tmp_path / "pages.py", IO_LOOP)
    report = fix_paths(FixRequest(paths=(str(target),)))
    assert target.read_text() == IO_LOOP_FIXED
    assert [(f.rule, f.line) for f in report.files[0].applied] == [("CA101", 11)]
    assert report.files[0].written and report.errors == ()
    again = fix_paths(FixRequest(paths=(str(target),)))
    assert again.files == () and again.errors == ()
    assert target.read_text() == IO_LOOP_FIXED


def test_diff_mode_writes_nothing_and_returns_the_diff(tmp_path: Path) -> None:
    target = _write(tmp_path / "pages.py", IO_LOOP)
    before = target.stat().st_mtime_ns
    report = fix_paths(FixRequest(paths=(str(target),), write=False))
    assert target.read_text() == IO_LOOP and target.stat().st_mtime_ns == before
    diff = report.files[0].diff
    assert diff.startswith(f"--- {target}\n+++ {target}\n")
    assert "-    for url in urls:\n" in diff
    assert "+        pages.extend(executor.map(fetch, urls))\n" in diff
    assert not report.files[0].written


def test_unsafe_fix_is_withheld_with_its_reason_unless_asked(tmp_path: Path) -> None:
    target = _write(tmp_path / "printing.py", PRINTING_LOOP)
    report = fix_paths(FixRequest(paths=(str(target),)))
    assert target.read_text() == PRINTING_LOOP
    [skipped] = report.skipped
    assert (skipped.finding.rule, skipped.finding.line) == ("CA101", 12)
    assert "print" in skipped.reason and skipped.reason.endswith(
        "rerun with --unsafe-fixes to apply it"
    )
    unsafe = fix_paths(FixRequest(paths=(str(target),), unsafe_fixes=True))
    assert unsafe.applied == 1 and unsafe.skipped == ()
    assert "        pages.extend(executor.map(fetch_and_log, urls))\n" in target.read_text()


def test_a_fix_the_codemod_refuses_is_reported_with_its_reason(tmp_path: Path) -> None:
    target = _write(tmp_path / "search.py", SEARCH_LOOP)
    report = fix_paths(FixRequest(paths=(str(target),), unsafe_fixes=True))
    assert target.read_text() == SEARCH_LOOP and report.applied == 0
    [refused] = report.skipped  # the reason `check` gives it too
    assert refused.reason.startswith("no automatic rewrite") and "break" in refused.reason


def test_select_and_ignore_choose_the_rules(tmp_path: Path) -> None:
    target = _write(tmp_path / "pages.py", IO_LOOP)
    assert fix_paths(FixRequest(paths=(str(target),), ignore=("CA101",))).files == ()
    assert fix_paths(FixRequest(paths=(str(target),), select=("CA3",))).files == ()
    assert target.read_text() == IO_LOOP
    fix_paths(FixRequest(paths=(str(target),), select=("CA1",)))
    assert target.read_text() == IO_LOOP_FIXED


def test_keeps_bom_crlf_and_a_latin1_cookie_byte_for_byte(tmp_path: Path) -> None:
    crlf = IO_LOOP.replace("\n", "\r\n")
    with_bom = tmp_path / "bom.py"
    with_bom.write_bytes(codecs.BOM_UTF8 + crlf.encode())
    latin = tmp_path / "latin.py"
    cookie = "# -*- coding: latin-1 -*-\n# Ä comment in latin-1\n"
    latin.write_bytes((cookie + IO_LOOP).encode("latin-1"))
    report = fix_paths(FixRequest(paths=(str(with_bom), str(latin))))
    assert report.errors == () and report.applied == 2
    assert with_bom.read_bytes() == codecs.BOM_UTF8 + IO_LOOP_FIXED.replace("\n", "\r\n").encode()
    assert latin.read_bytes() == (cookie + IO_LOOP_FIXED).encode("latin-1")


def test_keeps_permissions_and_writes_through_a_symlink(tmp_path: Path) -> None:
    real = _write(tmp_path / "real.py", IO_LOOP)
    real.chmod(0o750)
    link = tmp_path / "link.py"
    link.symlink_to(real)
    fix_paths(FixRequest(paths=(str(link),)))
    assert link.is_symlink() and real.read_text() == IO_LOOP_FIXED
    assert stat.S_IMODE(real.stat().st_mode) == 0o750
    assert sorted(p.name for p in tmp_path.iterdir()) == ["link.py", "real.py"]


def test_read_only_file_is_reported_and_left_intact(tmp_path: Path) -> None:
    target = _write(tmp_path / "pages.py", IO_LOOP)
    target.chmod(0o444)
    report = fix_paths(FixRequest(paths=(str(target),)))
    assert target.read_text() == IO_LOOP
    [error] = report.errors
    assert error.kind == "io" and error.message == (
        "not written: the file is read-only; the file is unchanged"
    )
    assert sorted(p.name for p in tmp_path.iterdir()) == ["pages.py"]


def test_syntax_error_is_reported_and_other_files_still_fixed(tmp_path: Path) -> None:
    _write(tmp_path / "broken.py", "def f(:\n")
    good = _write(tmp_path / "good.py", IO_LOOP)
    report = fix_paths(FixRequest(paths=(str(tmp_path),)))
    assert [(e.kind, Path(e.path).name) for e in report.errors] == [("syntax", "broken.py")]
    assert good.read_text() == IO_LOOP_FIXED


@pytest.mark.skipif(os.geteuid() != 0, reason="needs root to hand the file to another user")
def test_keeps_the_owner(tmp_path: Path) -> None:
    target = _write(tmp_path / "pages.py", IO_LOOP)
    os.chown(target, 12345, 12345)
    fix_paths(FixRequest(paths=(str(target),)))
    info = target.stat()
    assert (info.st_uid, info.st_gid) == (12345, 12345)
    assert target.read_text() == IO_LOOP_FIXED


CRASHED = ErrorEntry(
    "crashes.py",
    "internal",
    "CA101 fixer failed on line 6: FixerBug: a deliberate bug; the file is unchanged",
)


@pytest.mark.parametrize("write", [True, False])
def test_a_fixer_crash_on_one_file_is_its_error_and_the_other_file_is_fixed(
    crash_tree: Path, write: bool
) -> None:
    crashes = (crash_tree / "crashes.py").read_text()
    report = fix_paths(FixRequest(paths=(".",), write=write))
    assert report.errors == (CRASHED,)
    assert [(f.path, [a.rule for a in f.applied]) for f in report.files] == [
        ("fixes.py", ["CA101"])
    ]
    assert "+    with ThreadPoolExecutor(max_workers=8) as executor:\n" in report.files[0].diff
    assert (crash_tree / "crashes.py").read_text() == crashes
    fixed = (crash_tree / "fixes.py").read_text()
    assert (fixed != SAFE_IO_LOOP) is write
