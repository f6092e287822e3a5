"""Alternating timed runs of two real scripts: counts, order, statistics, output comparison."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from advisor.errors import UsageError
from advisor.verify.bench import (
    BenchRequest,
    BenchResult,
    Ratio,
    RunEvent,
    RunTimedOut,
    Timing,
    Version,
    bench_scripts,
    noise_warning,
    run_alternating,
)
from advisor.verify.equivalence import OutputRule


def script(tmp_path: Path, name: str, body: str) -> str:
    path = tmp_path / name
    path.write_text(body)
    return str(path)


def version(path: str) -> Version:
    return Version((sys.executable, path))


def test_timing_statistics() -> None:
    timing = Timing.of([0.3, 0.1, 0.2, 0.4])
    assert (timing.median_s, timing.min_s, timing.max_s) == (0.25, 0.1, 0.4)
    assert timing.runs == (0.3, 0.1, 0.2, 0.4)  # in the order they ran
    assert timing.spread == pytest.approx(4.0)
    assert Timing.of([]) == Timing(0.0, 0.0, 0.0, ())


def test_the_ratio_is_the_median_of_per_pair_ratios_not_of_medians() -> None:
    ratio = Ratio.of_pairs([1.0, 2.0, 4.0], [0.5, 0.5, 1.0])
    assert ratio == Ratio(median=4.0, min=2.0, max=4.0)
    assert Ratio.of_pairs([], []) is None


def test_no_warning_for_a_tight_measurement() -> None:
    tight = Timing.of([1.0, 1.1, 1.05])
    assert noise_warning(tight, Timing.of([0.5, 0.52]), Ratio(2.0, 1.9, 2.1)) is None


def test_a_wide_spread_warns() -> None:
    warning = noise_warning(Timing.of([1.0, 1.5]), Timing.of([0.5, 0.5]), Ratio(2.5, 2, 3))
    assert warning is not None
    assert warning.startswith("before runs spread 1.50x (1-1.5 s)")


def test_a_ratio_range_across_one_warns() -> None:
    warning = noise_warning(Timing.of([1.0, 1.1]), Timing.of([1.0, 1.05]), Ratio(1.0, 0.95, 1.05))
    assert warning is not None and "cannot tell which version is faster" in warning


def test_runs_alternate_after_a_warmup_pair(tmp_path: Path) -> None:
    log = tmp_path / "order.log"
    a = script(tmp_path, "a.py", f"open({str(log)!r}, 'a').write('A')\nprint('same')\n")
    b = script(tmp_path, "b.py", f"open({str(log)!r}, 'a').write('B')\nprint('same')\n")
    events: list[RunEvent] = []
    result = run_alternating(version(a), version(b), runs=3, warmup=1, on_run=events.append)
    assert log.read_text() == "ABABABAB"
    assert len(result.before.runs) == len(result.after.runs) == 3  # warm-up pair not counted
    assert [(e.label, e.done, e.total, e.warmup) for e in events[:3]] == [
        ("before", 1, 8, True),
        ("after", 2, 8, True),
        ("before", 3, 8, False),
    ]
    assert result.same_output and result.difference is None
    assert result.ratio is not None and result.ratio.min <= result.ratio.median <= result.ratio.max


def test_a_faster_after_has_a_ratio_above_one(tmp_path: Path) -> None:
    slow = script(tmp_path, "slow.py", "import time\ntime.sleep(0.3)\nprint('ok')\n")
    fast = script(tmp_path, "fast.py", "print('ok')\n")
    result = run_alternating(version(slow), version(fast), runs=2)
    assert result.ratio is not None and result.ratio.min > 1.0
    assert min(result.before.runs) >= 0.3


def test_a_different_output_is_reported_and_timing_goes_on(tmp_path: Path) -> None:
    a = script(tmp_path, "a.py", "print('result 42')\n")
    b = script(tmp_path, "b.py", "print('result 41')\n")
    result = run_alternating(version(a), version(b), runs=2)
    assert not result.same_output
    assert result.difference == ("standard output changed (line 1 was 'result 42', is 'result 41')")
    assert len(result.after.runs) == 2


def test_stop_on_difference_ends_after_the_first_differing_pair(tmp_path: Path) -> None:
    a = script(tmp_path, "a.py", "print(1)\n")
    b = script(tmp_path, "b.py", "print(2)\n")
    events: list[RunEvent] = []
    result = run_alternating(
        version(a), version(b), runs=5, stop_on_difference=True, on_run=events.append
    )
    assert len(events) == 2 and result.before.runs == () and result.ratio is None


def test_a_nondeterministic_before_is_named(tmp_path: Path) -> None:
    a = script(tmp_path, "a.py", "import random\nprint(random.random())\n")
    b = script(tmp_path, "b.py", "print(1)\n")
    result = run_alternating(version(a), version(a), runs=1)
    assert result.difference is not None
    assert result.difference.startswith("the before version's own output differs between runs")
    del b


def test_self_reported_time_does_not_make_outputs_differ(tmp_path: Path) -> None:
    body = "import time\nt = time.perf_counter()\ntime.sleep({})\nprint('answer 7')\n"
    body += "print(f'took {{time.perf_counter() - t:.3f}} s')\n"
    slow = script(tmp_path, "slow.py", body.format(0.2))
    fast = script(tmp_path, "fast.py", body.format(0.01))
    assert run_alternating(version(slow), version(fast), runs=1).same_output
    exact = OutputRule(mask_durations=False)
    assert not run_alternating(version(slow), version(fast), runs=1, rule=exact).same_output


def test_a_timeout_raises_with_the_side_named(tmp_path: Path) -> None:
    fast = script(tmp_path, "fast.py", "print(1)\n")
    hang = script(tmp_path, "hang.py", "import time\ntime.sleep(30)\n")
    with pytest.raises(RunTimedOut, match=r"the after version ran past the timeout of 0\.5 s"):
        run_alternating(version(fast), version(hang), runs=1, timeout=0.5)


def test_bench_scripts_passes_the_same_arguments_to_both(tmp_path: Path) -> None:
    body = "import sys\nprint(sys.argv[1:])\n"
    a, b = script(tmp_path, "a.py", body), script(tmp_path, "b.py", body)
    result = bench_scripts(BenchRequest(a, b, args=("x", "--y"), runs=1))
    assert isinstance(result, BenchResult) and result.same_output
    assert set(result.to_dict()) == {
        "before",
        "after",
        "ratio",
        "same_output",
        "difference",
        "noise_warning",
    }
    assert set(result.to_dict()["before"]) == {"median_s", "min_s", "max_s", "runs"}


def test_bench_scripts_rejects_a_missing_script(tmp_path: Path) -> None:
    a = script(tmp_path, "a.py", "print(1)\n")
    with pytest.raises(UsageError, match=r"no such script: .*nope\.py"):
        bench_scripts(BenchRequest(a, str(tmp_path / "nope.py")))
    with pytest.raises(UsageError, match="not a file"):
        bench_scripts(BenchRequest(str(tmp_path), a))
