"""Fingerprints: a finding keeps its identity when code moves around it, and they are made when
the findings are made (check, profile), from the source text then in hand."""

from __future__ import annotations

from pathlib import Path

from advisor.check import CheckRequest, check_paths
from advisor.fingerprint import finding_fingerprints
from advisor.model import Finding

MODULE = [
    "import time",
    "",
    "def poll(jobs):",
    "    for job in jobs:",
    "        time.sleep(job)",
    "",
]


def loop_finding(line: int, path: str = "app/poll.py", rule: str = "CA101") -> Finding:
    return Finding(rule, path, line, line + 1, "m", "io", "thread_pool", "safe")


def fingerprint(finding: Finding, source: list[str]) -> str:
    (one,) = finding_fingerprints((finding,), lambda _path: source)
    return one


def test_a_finding_moved_down_keeps_its_fingerprint():
    moved = ["# a new comment", "import os", "", *MODULE]
    before = fingerprint(loop_finding(4), MODULE)
    assert fingerprint(loop_finding(7), moved) == before
    reindented = [line.replace("    ", "\t") for line in MODULE]
    assert fingerprint(loop_finding(4), reindented) == before


def test_a_changed_line_rule_or_path_changes_the_fingerprint():
    before = fingerprint(loop_finding(4), MODULE)
    changed = [*MODULE[:4], "        time.sleep(job * 2)", ""]
    assert fingerprint(loop_finding(4), changed) != before
    assert fingerprint(loop_finding(4, rule="CA103"), MODULE) != before
    assert fingerprint(loop_finding(4, path="app/other.py"), MODULE) != before


def test_identical_loops_in_one_file_get_distinct_stable_fingerprints():
    source = [*MODULE, "def again(jobs):", "    for job in jobs:", "        time.sleep(job)"]
    first, second = finding_fingerprints((loop_finding(8), loop_finding(4)), lambda _path: source)
    assert first != second
    shifted = ["", "", *source]
    again_first, again_second = finding_fingerprints(
        (loop_finding(10), loop_finding(6)), lambda _path: shifted
    )
    assert (again_first, again_second) == (first, second)


def test_check_gives_each_finding_a_fingerprint_that_survives_code_moving(
    tmp_path: Path, monkeypatch
) -> None:
    monkeypatch.chdir(tmp_path)
    source = "\n".join(
        [*MODULE, "def again(jobs):", "    for job in jobs:", "        time.sleep(job)", ""]
    )
    Path("poll.py").write_text(source)

    def fingerprints() -> list[tuple[int, str | None]]:
        report = check_paths(CheckRequest(paths=("poll.py",), use_cache=False))
        return [(f.line, f.fingerprint) for f in report.findings]

    before = fingerprints()
    assert [line for line, _ in before] == [4, 8]
    assert all(f is not None and len(f) == 64 for _, f in before)
    assert before[0][1] != before[1][1]  # the same loop twice in one file
    Path("poll.py").write_text("# a comment\nimport os\n\n" + source)
    assert fingerprints() == [(7, before[0][1]), (11, before[1][1])]
