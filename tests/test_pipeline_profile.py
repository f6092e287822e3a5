"""`profile_script` end to end on the pool fixtures: existing pools judged from what their
workers were measured doing (real py-spy runs)."""

from __future__ import annotations

import pytest

from advisor.advice.findings import AdviceSettings
from advisor.pipeline import ProfileRequest, profile_script

pytestmark = pytest.mark.slow


def test_a_thread_pool_over_python_work_is_ca203(fixture_copy) -> None:
    script = fixture_copy("pool_threads_over_cpu.py")
    report = profile_script(
        ProfileRequest(str(script), timeout=120, settings=AdviceSettings(cores=2, free_cores=2))
    )
    [finding] = [f for f in report.findings if f.rule == "CA203"]
    assert (finding.line, finding.kind, finding.suggestion, finding.workers) == (
        37,
        "cpu",
        "process_pool",
        2,
    )
    assert finding.evidence is not None and finding.evidence.cpu_python >= 0.6
    assert finding.evidence.share_of_run > 0.5
    assert finding.predicted_speedup is not None and finding.predicted_speedup > 1.3
    assert "held the GIL" in finding.message
    # the pool's own loop (in count_primes, run by the workers) is the pool's, not a finding
    assert [f.rule for f in report.findings] == ["CA203"]


def test_a_process_pool_that_waits_is_ca204(fixture_copy, pages_server: str) -> None:
    script = fixture_copy("pool_processes_over_io.py")
    report = profile_script(
        ProfileRequest(str(script), (pages_server,), timeout=120, measure_overheads=False)
    )
    [finding] = [f for f in report.findings if f.rule == "CA204"]
    assert (finding.line, finding.kind, finding.suggestion) == (43, "io", "thread_pool")
    assert finding.evidence is not None and finding.evidence.waiting >= 0.6
    assert finding.workers is not None and finding.workers > 2
    assert finding.predicted_speedup is not None and finding.predicted_speedup > 1.5
