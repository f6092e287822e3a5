"""This machine's pool overheads: measured for real once, then read from the cache."""

from __future__ import annotations

import json
from pathlib import Path

from advisor.advice.calibration import (
    CACHE_FILE,
    load_overheads,
    machine_key,
    measure_thread_overheads,
)
from advisor.advice.decision import Overheads


def _refuse(_cores: int) -> Overheads:
    raise AssertionError("measured again although the cache holds this machine's figures")


def test_measured_once_then_read_from_the_cache(tmp_path: Path) -> None:
    first = load_overheads(tmp_path, cores=2)
    # each is a real cost: positive, and a process pool costs more than a thread
    assert 0 < first.thread_handoff_s < first.process_task_s
    assert 0 < first.thread_start_s < first.process_start_s
    assert first.cores == 2
    stored = json.loads((tmp_path / CACHE_FILE).read_text())
    assert list(stored) == [machine_key(2)]
    assert load_overheads(tmp_path, cores=2, measure=_refuse) == first


def test_another_machine_key_or_a_damaged_cache_is_measured_again(tmp_path: Path) -> None:
    calls: list[int] = []

    def fixed(cores: int) -> Overheads:
        calls.append(cores)
        return Overheads(0.001, 0.0001, 0.05, 0.002, cores)

    load_overheads(tmp_path, cores=2, measure=fixed)
    load_overheads(tmp_path, cores=4, measure=fixed)  # another core count: its own entry
    assert calls == [2, 4]
    assert sorted(json.loads((tmp_path / CACHE_FILE).read_text())) == sorted(
        [machine_key(2), machine_key(4)]
    )
    (tmp_path / CACHE_FILE).write_text("{broken")
    assert load_overheads(tmp_path, cores=2, measure=fixed).process_task_s == 0.002
    assert calls == [2, 4, 2]


def test_an_unwritable_cache_still_gives_figures(tmp_path: Path) -> None:
    blocked = tmp_path / "file-not-dir"
    blocked.write_text("")
    overheads = load_overheads(blocked, cores=1, measure=lambda c: Overheads(1, 2, 3, 4, c))
    assert overheads == Overheads(1, 2, 3, 4, 1)


def test_thread_overheads_are_quick_to_measure() -> None:
    start, handoff = measure_thread_overheads()
    assert start > 0 and handoff > 0
