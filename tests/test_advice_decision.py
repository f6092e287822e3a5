"""The decision arithmetic: kind thresholds, worker counts, Amdahl."""

from __future__ import annotations

import pytest

from advisor.advice.decision import (
    MAX_IO_WORKERS,
    choose_io_workers,
    classify_loop,
    predict_thread_pool_loop_time,
    predict_whole_run_speedup,
)
from advisor.advice.findings import AdviceSettings, profiled_findings
from advisor.model import Evidence, LoopSite


def ev(python: float, native: float, waiting: float, wall: float = 2.0, share: float = 0.9):
    return Evidence(
        wall_s=wall, share_of_run=share, cpu_python=python, cpu_native=native, waiting=waiting
    )


@pytest.mark.parametrize(
    ("evidence", "kind"),
    [
        (ev(0.05, 0.05, 0.90), "io"),
        (ev(0.80, 0.10, 0.10), "cpu"),
        (ev(0.10, 0.85, 0.05), "native"),
        (ev(0.40, 0.10, 0.50), "mixed"),
        (ev(0.0, 0.0, 0.0, wall=0.0), "unknown"),
    ],
)
def test_classify_loop(evidence: Evidence, kind: str) -> None:
    assert classify_loop(evidence) == kind


def test_io_workers_follow_the_wait_to_compute_ratio() -> None:
    assert choose_io_workers(ev(0.2, 0.0, 0.8), cores=2) == 10  # 2 x (1 + 0.8/0.2)
    assert choose_io_workers(ev(0.01, 0.0, 0.99), cores=2) == MAX_IO_WORKERS
    assert choose_io_workers(ev(0.5, 0.0, 0.5), cores=1) == 2


def test_python_time_stays_serial_under_threads() -> None:
    # 2 s loop: 0.2 s of Python stays, 1.8 s of waiting overlaps over 9 threads
    assert predict_thread_pool_loop_time(ev(0.1, 0.0, 0.9), workers=9) == pytest.approx(
        0.2 + 0.2 + 9 * 0.0001
    )


def test_amdahl_whole_run() -> None:
    assert predict_whole_run_speedup(10.0, 8.0, 1.0) == pytest.approx(10 / 3)
    assert predict_whole_run_speedup(10.0, 0.0, 0.0) == 1.0


def site(line: int, end: int, **kw) -> LoopSite:
    return LoopSite(
        path="s.py",
        line=line,
        end_line=end,
        form="for_append",
        target="u",
        io_calls=(),
        unsafe_reasons=kw.get("reasons", ()),
    )


def test_small_loops_are_not_suggested_and_inner_loops_of_a_safe_loop_are_dropped() -> None:
    outer, inner, tiny = site(10, 20), site(12, 14), site(30, 31)
    findings = profiled_findings(
        {
            outer: ev(0.05, 0.0, 0.95, wall=8.0, share=0.8),
            inner: ev(0.05, 0.0, 0.95, wall=7.0, share=0.7),
            tiny: ev(0.05, 0.0, 0.95, wall=0.2, share=0.02),
        },
        run_wall_s=10.0,
        settings=AdviceSettings(cores=2),
    )
    assert [(f.line, f.rule, f.kind, f.fix_safety) for f in findings] == [
        (10, "CA101", "io", "safe")
    ]


def test_a_loop_that_cannot_gain_enough_gets_no_suggestion() -> None:
    [finding] = profiled_findings(
        {site(1, 2): ev(0.05, 0.0, 0.95, wall=0.6, share=0.06)},
        run_wall_s=10.0,
        settings=AdviceSettings(cores=2),
    )
    assert finding.suggestion == "none"
    assert finding.predicted_speedup < 1.1
