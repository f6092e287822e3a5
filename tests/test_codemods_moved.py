"""A finding found again after another rewrite of its file (profile --apply in plan order)."""

from __future__ import annotations

from advisor.codemods.moved import moved_finding
from advisor.model import Finding, Site

BEFORE = "import os\n\ndef f(xs):\n    out = []\n    for x in xs:\n        out.append(g(x))\n"
FINDING = Finding(
    "CA101",
    "m.py",
    5,
    6,
    "m",
    "io",
    "thread_pool",
    "safe",
    site=Site(5, 5, 6, 25, "for_append"),
)


def test_lines_added_above_shift_it() -> None:
    now = BEFORE.replace("import os\n", "import os\nfrom x import y\n\n")
    moved = moved_finding(FINDING, BEFORE, now)
    assert moved is not None
    assert (moved.line, moved.end_line) == (7, 8)
    assert moved.site == Site(7, 5, 8, 25, "for_append")


def test_changes_below_leave_it_and_an_unchanged_file_is_the_same_finding() -> None:
    assert moved_finding(FINDING, BEFORE, BEFORE + "print(f([]))\n") == FINDING
    assert moved_finding(FINDING, BEFORE, BEFORE) is FINDING


def test_a_rewrite_of_its_own_lines_loses_it() -> None:
    now = BEFORE.replace("        out.append(g(x))\n", "        out.append(h(x))\n")
    assert moved_finding(FINDING, BEFORE, now) is None
