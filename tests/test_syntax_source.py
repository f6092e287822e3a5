"""Source bytes to text and back: encoding, BOM and line endings survive a rewrite; the ``ast``,
the lines and the indentation unit of the same object."""

from __future__ import annotations

import codecs
from pathlib import Path

import pytest

from advisor.codemods.apply import attach_proposed_diffs, fixed_file_bytes
from advisor.errors import RewriteError, SourceError
from advisor.fix import FixRequest, fix_paths
from advisor.syntax.source import Source

IO_LOOP = """\
import urllib.request


def fetch_all(urls):
    pages = []
    for url in urls:
        pages.append(urllib.request.urlopen(url).read())
    return pages
"""

IO_LOOP_FIXED = """\
import urllib.request
from concurrent.futures import ThreadPoolExecutor


def fetch_all(urls):
    pages = []
    with ThreadPoolExecutor(max_workers=8) as executor:
        pages.extend(executor.map(lambda url: urllib.request.urlopen(url).read(), urls))
    return pages
"""


def test_round_trip_is_byte_exact() -> None:
    for data in (
        b"x = 1\n",
        b"x = 1\r\ny = 2\r\n",
        b"x = 1\ry = 2\r",
        codecs.BOM_UTF8 + b"s = '\xc3\xa9'\n",
        "# coding: latin-1\ns = 'é'\n".encode("latin-1"),
        b"",
    ):
        source = Source.decode("m.py", data)
        assert source.encode("m.py", source.text) == data


def test_added_lines_take_the_files_line_ending() -> None:
    source = Source.decode("m.py", b"x = 1\r\n")
    assert source.newline == "\r\n"
    assert source.encode("m.py", "import os\nx = 1\r\n") == b"import os\r\nx = 1\r\n"


def test_a_file_of_lone_carriage_returns_reads_as_lines_and_writes_back_with_them() -> None:
    source = Source.decode("m.py", b"x = 1\rif x:\r    y = 2\r")
    assert source.text == "x = 1\nif x:\n    y = 2\n"
    assert source.lines == ("x = 1\n", "if x:\n", "    y = 2\n")
    assert [type(s).__name__ for s in source.tree.body] == ["Assign", "If"]
    added = source.encode("m.py", "import os\n" + source.text)
    assert added == b"import os\rx = 1\rif x:\r    y = 2\r"


def test_text_the_encoding_cannot_hold_is_an_encoding_error() -> None:
    source = Source.decode("m.py", b"# coding: ascii\nx = 1\n")
    with pytest.raises(SourceError) as raised:
        source.encode("m.py", "# coding: ascii\nx = '\u00e9'\n")
    assert raised.value.kind == "encoding"


def test_the_tree_is_parsed_when_asked_and_a_syntax_error_names_its_line() -> None:
    source = Source.decode("m.py", b"x = 1\ndef f(:\n")
    assert source.text == "x = 1\ndef f(:\n"
    with pytest.raises(SourceError) as raised:
        source.parsed()
    assert (raised.value.kind, raised.value.detail) == (
        "syntax",
        "syntax error at line 2: invalid syntax",
    )
    with pytest.raises(RewriteError, match=r"^the module does not parse \(syntax error at line 2"):
        Source.for_rewrite("x = 1\ndef f(:\n")


def test_a_nul_byte_is_a_syntax_error_not_a_crash() -> None:
    with pytest.raises(SourceError, match="NUL byte"):
        Source.decode("m.py", b"x = 1\x00\n").parsed()


def test_lines_split_only_where_python_ends_a_line() -> None:
    source = Source.of_text("a = '\f'\nb = 1\r\nc = 2\rd = 3")
    assert source.lines == ("a = '\f'\n", "b = 1\r\n", "c = 2\r", "d = 3")


def test_indentation_unit_and_columns_as_ast_counts_them() -> None:
    source = Source.of_text("def f():\n  s = 'é'; t = 1\n")
    assert source.indent_unit == "  "
    assert source.indentation(2) == "  "
    assert source.after(2, len("  s = 'é';".encode())) == " t = 1\n"
    assert source.column(2, len("  s = 'é';".encode())) == len("  s = 'é';")
    statement = source.tree.body[0].body[1]  # type: ignore[attr-defined]
    assert source.segment(statement) == "t = 1"


def test_fix_rewrites_a_file_of_lone_carriage_returns_and_keeps_them(tmp_path: Path) -> None:
    target = tmp_path / "pages.py"
    target.write_bytes(IO_LOOP.replace("\n", "\r").encode())
    report = fix_paths(FixRequest(paths=(str(target),)))
    assert report.errors == ()
    assert [(f.rule, f.line) for f in report.files[0].applied] == [("CA101", 6)]
    assert target.read_bytes() == IO_LOOP_FIXED.replace("\n", "\r").encode()


def test_the_profile_and_report_rewrites_take_a_file_of_lone_carriage_returns(
    tmp_path: Path,
) -> None:
    target = tmp_path / "pages.py"
    target.write_bytes(IO_LOOP.replace("\n", "\r").encode())
    [finding] = fix_paths(FixRequest(paths=(str(target),), write=False)).files[0].applied
    after = fixed_file_bytes(str(target), target.read_bytes(), finding)
    assert after == IO_LOOP_FIXED.replace("\n", "\r").encode()
    [with_diff], errors = attach_proposed_diffs([finding])
    assert errors == []
    assert with_diff.diff is not None and "+    with ThreadPoolExecutor" in with_diff.diff
