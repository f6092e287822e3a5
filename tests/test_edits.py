"""A fix as edits: the edits between two texts reproduce the new text, and the unified diff made
from them is what diff -u writes, keeping each line's ending and a BOM."""

from __future__ import annotations

import difflib
import subprocess
import tempfile
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from advisor.model import TextEdit
from advisor.syntax.text_edits import apply_edits, edits_between, python_lines, unified_diff

OLD = "".join(f"line {i}\n" for i in range(1, 21))


@pytest.mark.parametrize(
    ("new", "edits"),
    [
        ("header\n" + OLD, [TextEdit(1, 1, 1, 1, "header\n")]),
        (OLD + "footer\n", [TextEdit(21, 1, 21, 1, "footer\n")]),
        (
            OLD.replace("line 5\n", "").replace("line 17\n", "LINE 17\nline 17b\n"),
            [TextEdit(5, 1, 6, 1, ""), TextEdit(17, 1, 18, 1, "LINE 17\nline 17b\n")],
        ),
        (
            OLD.replace("line 1\n", "").replace("line 20\n", ""),
            [TextEdit(1, 1, 2, 1, ""), TextEdit(20, 1, 21, 1, "")],
        ),
        (OLD.replace("line 10\n", "line ten\n"), [TextEdit(10, 1, 11, 1, "line ten\n")]),
        (OLD.rstrip("\n"), [TextEdit(20, 1, 21, 1, "line 20")]),
        ("", [TextEdit(1, 1, 21, 1, "")]),
    ],
)
def test_edits_are_whole_runs_of_lines_and_reproduce_the_new_text(new, edits):
    assert list(edits_between(OLD, new)) == edits
    assert apply_edits(OLD, edits) == new


def test_an_edit_at_the_end_of_a_file_without_a_final_newline_ends_after_its_last_character():
    old = "a = 1\nb = 2"
    assert edits_between(old, "a = 1\nb = 3") == (TextEdit(2, 1, 2, 6, "b = 3"),)
    assert edits_between(old, old + "\nc = 3\n") == (TextEdit(2, 1, 2, 6, "b = 2\nc = 3\n"),)


def test_lines_are_numbered_as_python_numbers_them():
    assert python_lines("a\r\nb\rc\nd") == ["a\r\n", "b\r", "c\n", "d"]
    assert python_lines("x\x0cy\u2028z\n") == ["x\x0cy\u2028z\n"]  # not line breaks to Python
    old = "import os\rfor x in y:\r    f(x)\r"
    new = "import os\rimport sys\rfor x in y:\r    f(x)\r"
    assert edits_between(old, new) == (TextEdit(2, 1, 2, 1, "import sys\r"),)


def test_overlapping_or_outside_edits_are_refused():
    with pytest.raises(ValueError, match="overlaps"):
        apply_edits(OLD, [TextEdit(2, 1, 4, 1, "x"), TextEdit(3, 1, 3, 1, "y")])
    with pytest.raises(ValueError, match="outside"):
        apply_edits(OLD, [TextEdit(23, 1, 23, 1, "x")])
    with pytest.raises(ValueError, match="outside"):
        apply_edits("ab\ncd", [TextEdit(2, 4, 2, 4, "x")])


LINE = st.sampled_from(["a", "b", "c", "pass", "x = 1", "# c", ""])
ENDING = st.sampled_from(["\n", "\r\n", "\r"])


@st.composite
def source(draw) -> str:
    lines = draw(st.lists(st.tuples(LINE, ENDING), max_size=12))
    text = "".join(line + end for line, end in lines)
    return text + draw(st.sampled_from(["", "tail"]))


@given(source(), source())
def test_edits_between_any_two_texts_turn_one_into_the_other(old, new):
    edits = edits_between(old, new)
    assert apply_edits(old, edits) == new
    assert (edits == ()) is (old == new)
    assert all(e.column == 1 or e.end_line == len(python_lines(old)) for e in edits)


def apply_with(tool: list[str], before: bytes, diff: str) -> bytes:
    """The bytes of ``f.py`` after a real patch tool applied ``diff`` to ``before``."""
    with tempfile.TemporaryDirectory() as directory:
        Path(directory, "f.py").write_bytes(before)
        done = subprocess.run(
            tool, input=diff.encode(), cwd=directory, capture_output=True, check=False
        )
        assert done.returncode == 0, done.stdout + done.stderr
        return Path(directory, "f.py").read_bytes()


@settings(max_examples=40, deadline=None)
@given(source().filter(bool), source(), st.booleans())
def test_the_diff_applies_with_git_apply_and_patch(old, new, bom):
    diff = unified_diff("f.py", old, new, bom=bom)
    prefix = "\ufeff" if bom else ""
    before, after = (prefix + old).encode(), (prefix + new).encode()
    assert (diff == "") is (old == new)
    if diff:
        assert apply_with(["git", "apply", "-"], before, diff) == after
        assert apply_with(["patch", "-p1", "--quiet", "--batch"], before, diff) == after


def test_the_diff_of_lf_texts_is_the_usual_unified_diff():
    new = OLD.replace("line 5\n", "").replace("line 17\n", "LINE 17\nline 17b\n")
    expected = "".join(
        difflib.unified_diff(
            OLD.splitlines(keepends=True), new.splitlines(keepends=True), "a/f.py", "b/f.py"
        )
    )
    assert unified_diff("f.py", OLD, new) == expected


def test_the_diff_keeps_crlf_the_bom_and_marks_a_missing_final_newline():
    old = "import os\r\n\r\nx = 1"
    new = "import os\r\nimport sys\r\n\r\nx = 2"
    assert unified_diff("m.py", old, new, bom=True) == (
        "--- a/m.py\n"
        "+++ b/m.py\n"
        "@@ -1,3 +1,4 @@\n"
        " \ufeffimport os\r\n"
        "+import sys\r\n"
        " \r\n"
        "-x = 1\n"
        "\\ No newline at end of file\n"
        "+x = 2\n"
        "\\ No newline at end of file\n"
    )
    assert unified_diff("/abs/m.py", old, old) == ""
    assert unified_diff("/abs/m.py", "a\n", "b\n").startswith("--- /abs/m.py\n+++ /abs/m.py\n")
