"""Inline ``# concadvise: ignore`` comments: the lines they cover; only real comments count."""

from __future__ import annotations

import pytest

from advisor.analysis.suppression import is_suppressed, suppressed_lines

SOURCE = """\
import time

for url in urls:  # concadvise: ignore[CA101]
    fetch(url)

# concadvise: ignore
for item in items:
    work(item)

for x in xs:  # concadvise: ignore[CA101, CA205]
    pass

pages = [  # unrelated comment
    fetch(u)
    for u in urls
]  # concadvise: ignore[CA1]
"""


def test_trailing_standalone_and_listed_codes() -> None:
    assert suppressed_lines(SOURCE) == {
        3: frozenset({"CA101"}),
        7: None,
        10: frozenset({"CA101", "CA205"}),
        16: frozenset({"CA1"}),
    }


def test_a_finding_is_suppressed_by_its_first_line_the_line_above_or_its_last_line() -> None:
    suppressions = suppressed_lines(SOURCE)
    assert is_suppressed(suppressions, "CA101", 3, 4)  # trailing on the first line
    assert not is_suppressed(suppressions, "CA102", 3, 4)  # another code
    assert is_suppressed(suppressions, "CA999", 7, 8)  # standalone above: every rule
    assert is_suppressed(suppressions, "CA205", 10, 11)
    assert is_suppressed(suppressions, "CA104", 13, 16)  # last line, by prefix
    assert not is_suppressed(suppressions, "CA201", 13, 16)
    assert not is_suppressed(suppressions, "CA101", 14, 15)  # lines in between do not count
    assert not is_suppressed(suppressions, "CA101", 1, 1)


def test_a_string_holding_the_text_is_not_a_suppression() -> None:
    source = (
        'text = "# concadvise: ignore"\n'
        "doc = '''\n"
        "# concadvise: ignore[CA101]\n"
        "'''\n"
        "f'{x}  # concadvise: ignore'\n"
    )
    assert suppressed_lines(source) == {}


def test_the_directive_may_follow_other_comment_text() -> None:
    source = "x = 1  # noqa: E501  # concadvise: ignore[CA301]\n"
    assert suppressed_lines(source) == {1: frozenset({"CA301"})}


@pytest.mark.parametrize(
    "comment",
    [
        "# concadvise: ignored",
        "# concadvise: ignore[CA101",  # unclosed: do not guess
        "# concadvise: ignore[]",  # names nothing
        "# concadvise ignore",
        "# ConcAdvise: IGNORE",
    ],
)
def test_malformed_directives_suppress_nothing(comment: str) -> None:
    assert suppressed_lines(f"x = 1  {comment}\n") == {}


def test_two_comments_for_one_line_combine() -> None:
    source = "# concadvise: ignore[CA101]\nx = 1  # concadvise: ignore[CA205]\n"
    assert suppressed_lines(source) == {2: frozenset({"CA101", "CA205"})}
    source = "# concadvise: ignore\nx = 1  # concadvise: ignore[CA205]\n"
    assert suppressed_lines(source) == {2: None}


def test_carriage_return_line_endings_count_lines_like_the_parser() -> None:
    source = "a = 1\r\nb = 2  # concadvise: ignore\r\rc = 3  # concadvise: ignore[CA1]\r"
    assert suppressed_lines(source) == {2: None, 4: frozenset({"CA1"})}


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        # tokenize fails on these; the per-line fallback takes over
        ("def f(:\n    pass  # concadvise: ignore\n", {2: None}),
        ("x = (1,\n  # concadvise: ignore[CA101]\n", {3: frozenset({"CA101"})}),
        ("if x:\n        a = 1\n    b = 2  # concadvise: ignore\n", {3: None}),
        # inside an unclosed string the fallback cannot tell text from comment
        ("s = '''never closed  # concadvise: ignore\n", {1: None}),
        # odd but tokenizable
        ("x = 1\x00  # concadvise: ignore\n", {1: None}),
        ("\ufeff# concadvise: ignore\nx = 1\n", {2: None}),
        ("\x0c# concadvise: ignore\nx = 1\n", {2: None}),
    ],
)
def test_bad_source_never_raises(source: str, expected: dict[int, frozenset[str] | None]) -> None:
    assert suppressed_lines(source) == expected


def test_fallback_regex_still_tells_trailing_from_standalone_comments() -> None:
    source = "def f(:\n    pass  # concadvise: ignore[CA101]\n# concadvise: ignore\nx = (\n"
    assert suppressed_lines(source) == {2: frozenset({"CA101"}), 4: None}


def test_empty_source() -> None:
    assert suppressed_lines("") == {}
