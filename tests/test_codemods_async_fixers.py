"""The asyncio fixers through the fix engine (advisor.fix.fix_text): on each async fixture the
fixes settle (a fix that makes a new finding, CA302 then CA104, gets it fixed in turn), a second
run changes nothing, and the fixed script prints what the original printed."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from advisor.analysis.knowledge import load_knowledge
from advisor.codemods.async_blocking import fix_blocking_call_in_async
from advisor.codemods.async_gather import fix_sequential_awaits, fix_unbounded_gather
from advisor.codemods.async_tasks import fix_asyncio_run_in_loop, fix_discarded_task
from advisor.codemods.fixers import FIXERS
from advisor.config import Config
from advisor.fix import FixPolicy, fix_text
from advisor.syntax.source import Source

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
KNOWLEDGE = load_knowledge()
# the thread-pool rules also see these loops (a loop of `asyncio.run` can run on threads too);
# this test is about the asyncio fixes
POLICY = FixPolicy(Config(ignore=("CA101", "CA102", "CA103")), unsafe_fixes=True)


@pytest.fixture
def async_fixers(monkeypatch: pytest.MonkeyPatch) -> None:
    """The entries this package asks the fixer table for (advisor/codemods/fixers.py)."""
    monkeypatch.setitem(FIXERS, "CA104", fix_sequential_awaits)
    monkeypatch.setitem(FIXERS, "CA301", fix_blocking_call_in_async)
    monkeypatch.setitem(FIXERS, "CA302", fix_asyncio_run_in_loop)
    monkeypatch.setitem(FIXERS, "CA303", fix_unbounded_gather)
    monkeypatch.setitem(FIXERS, "CA304", fix_discarded_task)


def _fixed(name: str, text: str) -> tuple[str, list[str]]:
    new, applied, _ = fix_text(name, Source.decode(name, text.encode()), POLICY, KNOWLEDGE)
    return new, [finding.rule for finding in applied]


def _run(path: Path) -> str:
    proc = subprocess.run(
        [sys.executable, str(path), "0.002"], capture_output=True, text=True, timeout=60
    )
    assert proc.returncode == 0, proc.stderr
    return proc.stdout


@pytest.mark.usefixtures("async_fixers")
@pytest.mark.parametrize(
    ("name", "rules"),
    [
        ("async_fetch_prices.py", ["CA104"]),
        ("async_build_watch.py", ["CA301", "CA303"]),
        ("async_checksum_downloads.py", ["CA302", "CA104"]),
    ],
)
def test_fixes_settle_and_the_script_prints_the_same(
    name: str, rules: list[str], tmp_path: Path
) -> None:
    source = (FIXTURES / name).read_text(encoding="utf-8")
    fixed, applied = _fixed(name, source)
    assert applied == rules
    assert _fixed(name, fixed) == (fixed, [])
    (tmp_path / "before.py").write_text(source, encoding="utf-8")
    (tmp_path / "after.py").write_text(fixed, encoding="utf-8")
    assert _run(tmp_path / "before.py") == _run(tmp_path / "after.py")


@pytest.mark.usefixtures("async_fixers")
def test_every_discarded_task_of_a_module_shares_one_set() -> None:
    source = (
        "import asyncio\n\n\nasync def main(jobs):\n"
        "    for job in jobs:\n        asyncio.create_task(job())\n"
        "    asyncio.ensure_future(jobs[0]())\n"
    )
    fixed, applied = _fixed("tasks.py", source)
    assert applied == ["CA304", "CA304"]
    assert fixed.count("_background_tasks = set()") == 1
    assert fixed.count(".add_done_callback(_background_tasks.discard)") == 2
    assert _fixed("tasks.py", fixed) == (fixed, [])
