"""The bench renderers on a recorded result: exact text, no runs."""

from __future__ import annotations

import io
import json

from rich.console import Console

from advisor.report.bench_console import LiveBenchProgress, render_bench, render_bench_json
from advisor.verify.bench import BenchResult, Ratio, RunEvent, Timing

RECORDED = BenchResult(
    before=Timing.of([2.31, 2.25, 2.40]),
    after=Timing.of([0.41, 0.39, 0.44]),
    ratio=Ratio(median=5.63, min=5.45, max=5.77),
    same_output=True,
    difference=None,
    noise_warning=None,
)


def rendered(result: BenchResult) -> str:
    out = io.StringIO()
    render_bench(result, Console(file=out, width=100, color_system=None), "a.py", "b.py")
    return out.getvalue()


def test_the_table_shows_median_min_max_and_runs() -> None:
    text = rendered(RECORDED)
    assert "│ before  a.py │ 2.310 s │ 2.250 s │ 2.400 s │    3 │" in text
    assert "│ after   b.py │ 0.410 s │ 0.390 s │ 0.440 s │    3 │" in text
    assert "after is 5.63x faster (median of per-pair ratios; pairwise 5.45x-5.77x)" in text
    assert "Same output (exit code and stdout)." in text
    assert "Noisy" not in text


def test_a_slower_after_a_difference_and_noise_are_said() -> None:
    result = BenchResult(
        before=Timing.of([1.0]),
        after=Timing.of([2.0]),
        ratio=Ratio(0.5, 0.5, 0.5),
        same_output=False,
        difference="exit code changed from 0 to 1",
        noise_warning="before runs spread 1.40x (1-1.4 s)",
    )
    text = rendered(result)
    assert "after is 2.00x slower (before/after 0.50x, median of per-pair ratios;" in text
    assert "Output differs: exit code changed from 0 to 1" in text
    assert "Noisy: before runs spread 1.40x (1-1.4 s)" in text


def test_no_completed_pair_is_said_rather_than_dividing_by_zero() -> None:
    empty = BenchResult(Timing.of([]), Timing.of([]), None, False, "exit code changed", None)
    text = rendered(empty)
    assert "│ before  a.py │      — │   — │   — │    0 │" in text
    assert "No timed pair completed." in text


def test_json_is_the_result_dataclass() -> None:
    document = json.loads(render_bench_json(RECORDED))
    assert document == {
        "before": {"median_s": 2.31, "min_s": 2.25, "max_s": 2.4, "runs": [2.31, 2.25, 2.4]},
        "after": {"median_s": 0.41, "min_s": 0.39, "max_s": 0.44, "runs": [0.41, 0.39, 0.44]},
        "ratio": {"median": 5.63, "min": 5.45, "max": 5.77},
        "same_output": True,
        "difference": None,
        "noise_warning": None,
    }


def test_the_live_progress_counts_runs_and_shows_the_latest_times() -> None:
    out = io.StringIO()
    console = Console(file=out, width=100, color_system=None, force_terminal=True)
    with LiveBenchProgress(console) as progress:
        progress(RunEvent("before", 1, 4, 0.5, True))
        progress(RunEvent("after", 2, 4, 0.1, True))
        progress(RunEvent("before", 3, 4, 0.48, False))
        task = progress._progress.tasks[0]
        assert (task.completed, task.total) == (3, 4)
        assert task.description == "Timing: before 0.480 s · after 0.100 s"
