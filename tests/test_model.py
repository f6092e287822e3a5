"""The model computes the figures every renderer shows, once, and a saved report makes them again
rather than trusting what the file says."""

from __future__ import annotations

import dataclasses
import json

from advisor.model import (
    Evidence,
    Finding,
    Report,
    TimingStats,
    Verification,
    report_to_dict,
)
from advisor.report.load import report_from_dict

FINDING = Finding("CA101", "a.py", 3, 4, "m", "io", "thread_pool", "safe")


def test_a_verification_carries_the_stats_of_its_runs() -> None:
    v = Verification(0, (2.0, 1.0, 4.0), (0.5,), 3.0, True, True)
    assert v.before_stats == TimingStats(median_s=2.0, min_s=1.0, max_s=4.0, runs=3)
    assert v.after_stats == TimingStats(0.5, 0.5, 0.5, 1)
    crashed = Verification(0, (2.0, 3.0), (), 0.0, False, False, "crashed")
    assert crashed.before_stats == TimingStats(2.5, 2.0, 3.0, 2) and crashed.after_stats is None
    again = dataclasses.replace(v, after_s=(1.0, 3.0))
    assert again.after_stats == TimingStats(2.0, 1.0, 3.0, 2)


def test_the_stats_are_in_the_json_and_made_again_on_load() -> None:
    v = Verification(0, (2.0, 1.0, 4.0), (0.5,), 3.0, True, True)
    data = report_to_dict(Report("0.1.0", findings=(FINDING,), verification=(v,)))
    (entry,) = data["verification"]
    assert entry["before_stats"] == {"median_s": 2.0, "min_s": 1.0, "max_s": 4.0, "runs": 3}
    entry["before_stats"]["median_s"] = 99.0  # a file that disagrees with its own runs
    loaded = report_from_dict(json.loads(json.dumps(data)))
    assert loaded.verification[0].before_stats == TimingStats(2.0, 1.0, 4.0, 3)
    assert "before_stats" not in report_to_dict(Report("0.1.0", findings=(FINDING,)))


def test_evidence_gives_the_seconds_behind_each_share() -> None:
    evidence = Evidence(wall_s=2.0, share_of_run=0.5, cpu_python=0.25, cpu_native=0.05, waiting=0.7)
    assert (evidence.waiting_s, evidence.cpu_python_s, evidence.cpu_native_s) == (1.4, 0.5, 0.1)


def test_a_report_counts_its_findings_by_safety_and_its_kept_rewrites() -> None:
    findings = (
        FINDING,
        dataclasses.replace(FINDING, fix_safety="unsafe"),
        dataclasses.replace(FINDING, line=9),
    )
    kept = Verification(0, (2.0,), (1.0,), 2.0, True, True)
    report = Report("0.1.0", findings=findings, verification=(kept,))
    assert (report.count("safe"), report.count("unsafe"), report.count("none")) == (2, 1, 0)
    assert report.kept_rewrites == 1
