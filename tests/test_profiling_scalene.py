"""Real scalene runs on real fixture scripts: the I/O loop is found and classified `io`."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

from advisor.advice.decision import classify_loop
from advisor.analysis.facts import module_facts
from advisor.analysis.knowledge import load_knowledge
from advisor.analysis.loops import find_loop_sites
from advisor.profiling.attribution import evidence_by_site
from advisor.profiling.runner import run_in_process_group
from advisor.profiling.scalene_adapter import profile_with_scalene
from advisor.profiling.target import Target
from advisor.syntax.source import Source
from conftest import FIXTURES

pytestmark = pytest.mark.slow


def test_scalene_charges_the_external_command_loop_and_calls_it_io() -> None:
    script = str(FIXTURES / "checksum_files.py")
    profile, run = profile_with_scalene(Target(script), timeout=120)
    assert run.exit_code == 0 and profile is not None
    assert profile.profiler == "scalene" and profile.complete
    sites = find_loop_sites(module_facts(Source.read(script), load_knowledge()))
    evidence = evidence_by_site(profile, sites)
    [hot] = [s for s in sites if s.line == 32]
    # time spent inside checksum() and subprocess is charged to the comprehension's line
    assert evidence[hot].share_of_run > 0.7
    assert evidence[hot].waiting > 0.6
    assert classify_loop(evidence[hot]) == "io"
    assert run.stdout.decode().endswith("16 files\n")


def test_scalene_is_stopped_at_the_timeout_and_keeps_a_partial_profile() -> None:
    profile, run = profile_with_scalene(Target(str(FIXTURES / "hangs.py")), timeout=3)
    assert run.timed_out
    assert profile is not None and not profile.complete
    assert _live_members_of_group(run.pgid) == []


def _live_members_of_group(pgid: int) -> list[int]:
    """Processes still in the group, zombies aside (no init reaps them in a container)."""
    live = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry}/stat").read_text()
        except OSError:
            continue
        fields = stat.rsplit(")", 1)[1].split()
        if int(fields[2]) == pgid and fields[0] != "Z":
            live.append(int(entry))
    return live


def test_timeout_kills_the_whole_process_group_of_a_plain_run() -> None:
    run = run_in_process_group([sys.executable, str(FIXTURES / "hangs.py")], timeout=1.5)
    assert run.timed_out
    assert _live_members_of_group(run.pgid) == []
