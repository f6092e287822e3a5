"""`profile_script` end to end (real py-spy runs): existing pools judged from what their workers
were measured doing, and a coroutine's serial awaits from its clocked loop."""

from __future__ import annotations

from dataclasses import replace

import pytest

from advisor.advice.findings import AdviceSettings
from advisor.codemods.fixers import fixer_for
from advisor.pipeline import ProfileRequest, profile_script
from conftest import script_stdout

pytestmark = pytest.mark.slow


def test_a_thread_pool_over_python_work_is_ca203(fixture_copy) -> None:
    script = fixture_copy("pool_threads_over_cpu.py")
    # 16 ranges (~1 s): at 100 samples a second a shorter run left the GIL share to chance on a
    # loaded machine (63% seen against the 60% it must pass)
    report = profile_script(
        ProfileRequest(
            str(script), args=("16",), timeout=120, settings=AdviceSettings(cores=2, free_cores=2)
        )
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
    # the pool's own loop (in count_primes, lines 29-31, run by the workers) is the pool's, not a
    # finding: its clock, summed over the workers, once made it look like the whole run (the
    # printing loop after it may be one on a loaded machine: not this test's point)
    assert [f for f in report.findings if 29 <= f.line <= 31] == []


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


def test_serial_awaits_in_a_coroutine_are_measured_and_gathered(fixture_copy, tmp_path) -> None:
    """The samples never see a suspended coroutine; the bootstrap's clock does."""
    script = fixture_copy("async_fetch_prices.py")
    report = profile_script(
        ProfileRequest(str(script), ("0.1",), timeout=120, measure_overheads=False)
    )
    [finding] = report.findings
    assert (finding.rule, finding.line, finding.kind, finding.suggestion) == (
        "CA104",
        28,
        "io",
        "asyncio_gather",
    )
    assert (finding.fix_safety, finding.workers) == ("safe", 24)  # every item in one round
    assert finding.evidence is not None
    assert (finding.evidence.iterations, finding.evidence.executions) == (24, 1)
    assert finding.evidence.waiting > 0.9 and finding.evidence.share_of_run > 0.8
    assert finding.predicted_speedup is not None and finding.predicted_speedup > 3
    fixed = fixer_for(finding)(script.read_text(), finding)
    assert "asyncio.Semaphore(24)" in fixed
    assert script_stdout(fixed, tmp_path, "gathered.py") == script_stdout(
        script.read_text(), tmp_path, "serial.py"
    )


def test_a_coroutine_loop_ca104_cannot_rewrite_is_advised_gather_without_a_fix(tmp_path) -> None:
    script = tmp_path / "handshakes.py"
    script.write_text(
        "import asyncio\n"
        "async def send(n):\n"
        "    await asyncio.sleep(0.05)\n"
        "async def receive(n):\n"
        "    await asyncio.sleep(0.05)\n"
        "    return n * 2\n"
        "async def main():\n"
        "    results = []\n"
        "    for n in range(12):\n"  # send, then receive: two awaits an item
        "        await send(n)\n"
        "        results.append(await receive(n))\n"
        "    print(sum(results))\n"
        "asyncio.run(main())\n"
    )
    report = profile_script(ProfileRequest(str(script), timeout=120, measure_overheads=False))
    [finding] = report.findings
    assert (finding.rule, finding.line, finding.suggestion, finding.fix_safety) == (
        "CA104",
        9,
        "asyncio_gather",
        "none",
    )
    assert finding.workers == 12 and finding.evidence is not None
    assert finding.evidence.waiting > 0.9


def test_a_loop_silenced_by_comment_or_config_stays_out_of_the_profile(tmp_path) -> None:
    """As in `check`: a loop the user silenced after review is neither shown nor rewritten."""
    loop = "for n in range(10):\n    time.sleep(0.05)\n"
    script = tmp_path / "waits.py"
    script.write_text(f"import time\n{loop}")

    def rules() -> list[str]:
        request = ProfileRequest(str(script), timeout=60, measure_overheads=False)
        return [f.rule for f in profile_script(request).findings]

    assert rules() == ["CA101"]
    script.write_text(f"import time\n# concadvise: ignore[CA101]\n{loop}")
    assert rules() == []
    script.write_text(f"import time\n{loop}")
    (tmp_path / "pyproject.toml").write_text('[tool.concadvise]\nignore = ["CA1"]\n')
    assert rules() == []


def test_a_saved_run_advised_again_gives_the_same_report(fixture_copy, tmp_path) -> None:
    """--save-profile keeps everything the advice used: the replay equals the live run."""
    script = fixture_copy("hash_blocks.py")
    saved = tmp_path / "run.json"
    live = profile_script(
        ProfileRequest(
            str(script),
            ("40",),
            timeout=120,
            settings=AdviceSettings(cores=2, free_cores=2),
            save_profile=str(saved),
            # the default overheads: a calibration on a loaded machine may find no gain at all
            measure_overheads=False,
        )
    )
    again = profile_script(ProfileRequest(str(script), load_profile=str(saved)))
    # the hashing loop; on a loaded machine the printing loop after it may be one too
    assert "CA103" in [f.rule for f in live.findings]
    assert again.findings == live.findings
    assert again.errors == live.errors == ()
    assert live.run is not None and again.run is not None
    assert again.run == replace(live.run, analysis_s=again.run.analysis_s)


TEXTBOOK_CONCURRENCY = {
    "threads_joined.py": (
        "import threading, time\n"
        "def work(n):\n"
        "    time.sleep(0.2)\n"
        "threads = []\n"
        "for i in range(5):\n"
        "    t = threading.Thread(target=work, args=(i,))\n"
        "    t.start()\n"
        "    threads.append(t)\n"
        "for t in threads:\n"
        "    t.join()\n"
        "print('done')\n"
    ),
    "process_per_item.py": (
        "import multiprocessing\n"
        "def crunch(n):\n"
        "    return sum(i % (n + 1) for i in range(1_500_000))\n"
        "if __name__ == '__main__':\n"
        "    procs = [multiprocessing.Process(target=crunch, args=(n,)) for n in range(2)]\n"
        "    for p in procs:\n"
        "        p.start()\n"
        "    for p in procs:\n"
        "        p.join()\n"
    ),
    "gather_three.py": (
        "import asyncio\n"
        "async def fetch(url):\n"
        "    await asyncio.sleep(0.3)\n"
        "    return url\n"
        "async def main():\n"
        "    urls = ['a', 'b', 'c']\n"
        "    print(await asyncio.gather(*(fetch(u) for u in urls)))\n"
        "asyncio.run(main())\n"
    ),
    "thread_pool_map.py": (
        "import time\n"
        "from concurrent.futures import ThreadPoolExecutor\n"
        "def work(n):\n"
        "    time.sleep(0.2)\n"
        "    return n\n"
        "with ThreadPoolExecutor(max_workers=8) as pool:\n"
        "    print(sum(pool.map(work, range(16))))\n"
    ),
    # the one thing wrong here is the missing guard (CA208): nothing else is flagged
    "process_pool_unguarded.py": (
        "from concurrent.futures import ProcessPoolExecutor\n"
        "def crunch(n):\n"
        "    return sum(i % (n + 1) for i in range(1_000_000))\n"
        "with ProcessPoolExecutor(max_workers=2) as pool:\n"
        "    print(sum(pool.map(crunch, range(4))))\n"
    ),
}
_TEXTBOOK_FINDINGS = {"process_pool_unguarded.py": [("CA208", 4)]}


@pytest.mark.parametrize("name", sorted(TEXTBOOK_CONCURRENCY))
def test_concurrency_already_there_is_no_serial_loop(name: str, tmp_path) -> None:
    """Joining started threads, waiting for started processes, gathering three coroutines, a
    pool's map: their time is the concurrent work's, and nothing is to be made concurrent."""
    script = tmp_path / name
    script.write_text(TEXTBOOK_CONCURRENCY[name])
    report = profile_script(
        ProfileRequest(str(script), timeout=120, settings=AdviceSettings(cores=2, free_cores=2))
    )
    assert report.run is not None and report.run.exit_code == 0
    assert [(f.rule, f.line) for f in report.findings] == _TEXTBOOK_FINDINGS.get(name, [])


def test_three_long_awaits_are_worth_gathering(tmp_path) -> None:
    """Three awaits of 0.6 s: only three items, but gathering saves ~1.2 s of a 1.9 s run."""
    script = tmp_path / "three_reports.py"
    script.write_text(
        "import asyncio\n"
        "async def report(name):\n"
        "    await asyncio.sleep(0.6)\n"
        "    return name.upper()\n"
        "async def main():\n"
        "    done = []\n"
        "    for name in ('sales', 'stock', 'staff'):\n"
        "        done.append(await report(name))\n"
        "    print(done)\n"
        "asyncio.run(main())\n"
    )
    report = profile_script(
        ProfileRequest(str(script), timeout=120, settings=AdviceSettings(cores=2, free_cores=2))
    )
    [finding] = report.findings
    assert (finding.rule, finding.line, finding.suggestion, finding.workers) == (
        "CA104",
        7,
        "asyncio_gather",
        3,
    )
    assert finding.predicted_speedup is not None and finding.predicted_speedup > 2
    # the gather rewrite is there for three items too (the static rule alone skips so few)
    assert finding.fix_safety == "safe" and finding.diff is not None
    assert "asyncio.gather(*(report(name) for name in ('sales', 'stock', 'staff')))" in (
        finding.diff
    )


def test_concurrency_the_run_started_judges_ca201_and_ca205(fixture_copy, pages_server) -> None:
    """A live run of check_links.py: the pool's tasks one at a time (CA205, with the loop's
    time and the pool's 8 workers, and no CA101 of the loop), the 60 threads counted."""
    script = fixture_copy("check_links.py")
    report = profile_script(
        ProfileRequest(str(script), (pages_server,), timeout=120, measure_overheads=False)
    )
    assert report.run is not None and report.run.exit_code == 0
    by_rule = {f.rule: f for f in report.findings}
    assert sorted(by_rule) == ["CA201", "CA205"]
    waited, threads = by_rule["CA205"], by_rule["CA201"]
    assert waited.started is not None and threads.started is not None
    assert (waited.started.what, waited.started.started, waited.started.most_at_once) == (
        "thread_pool_task",
        30,
        1,
    )
    assert (waited.workers, waited.started.workers) == (8, 8)
    assert waited.evidence is not None and waited.evidence.iterations == 30
    assert waited.predicted_speedup is not None and waited.predicted_speedup > 2
    assert (threads.started.what, threads.started.started) == ("thread", 60)
    assert 1 <= threads.started.most_at_once <= 60
