"""CA302 (asyncio.run in a loop → one event loop) and CA304 (discarded task → kept referenced):
exact source before and after, the finding gone after the fix, the shapes that are refused, and
the same output when the original and the rewritten programs run."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from advisor.analysis.detectors import analyse_content
from advisor.analysis.knowledge import load_knowledge
from advisor.catalog import get_rule
from advisor.codemods.async_gather import fix_sequential_awaits
from advisor.codemods.async_tasks import fix_asyncio_run_in_loop, fix_discarded_task
from advisor.codemods.thread_pool import RewriteError
from advisor.model import Finding

ROOT = Path(__file__).resolve().parent.parent
KNOWLEDGE = load_knowledge()
FIXERS = {"CA302": fix_asyncio_run_in_loop, "CA304": fix_discarded_task}


def _findings(source: str, rule: str) -> list[Finding]:
    result = analyse_content("example.py", source.encode(), KNOWLEDGE)
    assert result.errors == ()
    return [f for f in result.findings if f.rule == rule]


def _finding(source: str, rule: str, start: str | None = None) -> Finding:
    found = _findings(source, rule)
    if start is not None:
        lines = source.splitlines()
        found = [f for f in found if lines[f.line - 1].lstrip().startswith(start)]
    assert len(found) == 1, found
    return found[0]


def _fixable(source: str, rule: str) -> int:
    return sum(1 for f in _findings(source, rule) if f.fix_safety != "none")


def _fix(source: str, rule: str, start: str | None = None) -> str:
    after = FIXERS[rule](source, _finding(source, rule, start))
    compile(after, "<rewritten>", "exec", dont_inherit=True)
    assert _fixable(after, rule) == _fixable(source, rule) - 1
    return after


def _refusal(source: str, rule: str, start: str | None = None) -> str:
    with pytest.raises(RewriteError) as error:
        FIXERS[rule](source, _finding(source, rule, start))
    return str(error.value)


def _code(text: str) -> str:
    return textwrap.dedent(text).lstrip("\n")


def _run(tmp_path: Path, name: str, source: str, *args: str) -> str:
    path = tmp_path / name
    path.write_text(source, encoding="utf-8")
    proc = subprocess.run(
        [sys.executable, str(path), *args], capture_output=True, text=True, timeout=60
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr == ""
    return proc.stdout


def _example(rule: str) -> tuple[str, str]:
    data = get_rule(rule)
    return _code(data.example_flagged), _code(data.example_fixed)


# --- CA302 ------------------------------------------------------------------------------------


def test_a_comprehension_runs_in_one_coroutine() -> None:
    before, fixed = _example("CA302")
    assert _fix(before, "CA302") == fixed


def test_a_loop_moves_into_a_coroutine_and_keeps_its_names() -> None:
    before = _code(
        """
        import asyncio


        async def fetch(url):
            ...


        def fetch_all(urls):
            results = []
            done = 0
            # one page at a time
            for url in urls:
                results.append(asyncio.run(fetch(url)))  # a fresh loop per page
                done += 1
            print(done)
            return results
        """
    )
    after = _code(
        """
        import asyncio


        async def fetch(url):
            ...


        def fetch_all(urls):
            results = []
            done = 0

            # one page at a time
            async def fetch_all_async():
                nonlocal done
                for url in urls:
                    results.append(await fetch(url))  # a fresh loop per page
                    done += 1

            asyncio.run(fetch_all_async())
            print(done)
            return results
        """
    )
    assert _fix(before, "CA302") == after


def test_nested_loops_move_together_and_an_alias_is_kept() -> None:
    before = _code(
        """
        from asyncio import run as arun


        async def check(host, port):
            ...


        def scan(hosts, ports):
            for host in hosts:
                if host:
                    for port in ports:
                        print(arun(check(host, port)))
        """
    )
    after = _code(
        """
        from asyncio import run as arun


        async def check(host, port):
            ...


        def scan(hosts, ports):
            async def scan_async():
                for host in hosts:
                    if host:
                        for port in ports:
                            print(await check(host, port))

            arun(scan_async())
        """
    )
    assert _fix(before, "CA302") == after


def test_a_module_level_loop_keeps_its_globals() -> None:
    before = _code(
        """
        import asyncio


        async def main(n):
            return n


        for n in range(3):
            print(asyncio.run(main(n)))
        print("last", n)
        """
    )
    after = _code(
        """
        import asyncio


        async def main(n):
            return n


        async def main_each():
            global n
            for n in range(3):
                print(await main(n))


        asyncio.run(main_each())
        print("last", n)
        """
    )
    assert _fix(before, "CA302") == after


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        ("while True:\n        asyncio.run(work(1))", "`while` loop"),
        ("for x in xs:\n        asyncio.run(work(x), debug=True)", "more than the coroutine"),
        (
            "for x in xs:\n        asyncio.run(work(x))\n        report(x)",
            "`report` calls `asyncio.run`",
        ),
        (
            "for x in xs:\n        asyncio.run(work(x))\n        if x:\n            return x",
            "returns",
        ),
        (
            "for x in xs:\n        r = asyncio.run(work(x))\n    return r",
            "`r` is bound only by the loop",
        ),
        ("print(sum(asyncio.run(work(x)) for x in xs))", "generator expression"),
        (
            "for x in xs:\n        loop.run_until_complete(work(x))\n        asyncio.run(work(x))",
            "runs a loop",
        ),
    ],
)
def test_loops_that_cannot_run_in_one_coroutine_are_refused(body: str, reason: str) -> None:
    source = (
        "import asyncio\n\n\nasync def work(x):\n    return x\n\n\n"
        "def report(x):\n    print(asyncio.run(work(x)))\n\n\n"
        f"def run_all(xs, loop):\n    {body}\n"
    )
    assert reason in _refusal(source, "CA302")


def test_asyncio_run_inside_a_coroutine_is_refused() -> None:
    source = (
        "import asyncio\n\n\nasync def f(xs, g):\n    for x in xs:\n        asyncio.run(g(x))\n"
    )
    assert "inside an `async def`" in _refusal(source, "CA302")


def test_the_downloads_fixture_prints_the_same_after_ca302_then_ca104(tmp_path: Path) -> None:
    """One event loop first (serial), then the moved loop's awaits gathered: same output."""
    source = (ROOT / "fixtures" / "async_checksum_downloads.py").read_text(encoding="utf-8")
    one_loop = _fix(source, "CA302")
    assert "            files[name] = await download(name, latency)\n" in one_loop
    gathered = fix_sequential_awaits(one_loop, _finding(one_loop, "CA104"))
    assert _findings(gathered, "CA104") == [] and _findings(gathered, "CA302") == []
    before = _run(tmp_path, "before.py", source, "0.002")
    assert before == _run(tmp_path, "one_loop.py", one_loop, "0.002")
    assert before == _run(tmp_path, "gathered.py", gathered, "0.002")
    assert before.count("\n") == 13


def test_results_and_exceptions_are_the_same_when_run(tmp_path: Path) -> None:
    source = _code(
        """
        import asyncio


        async def parse(text):
            await asyncio.sleep(0)
            return int(text)


        def parse_all(texts):
            numbers = []
            for text in texts:
                try:
                    numbers.append(asyncio.run(parse(text)))
                except ValueError as error:
                    print("skipped", error)
            return numbers


        print(parse_all(["1", "x", "3"]))
        print({t: asyncio.run(parse(t)) for t in ["4", "5"]})
        """
    )
    rewritten = _fix(source, "CA302", "numbers.append")
    rewritten = _fix(rewritten, "CA302", "print({")
    assert _run(tmp_path, "before.py", source) == _run(tmp_path, "after.py", rewritten)


# --- CA304 ------------------------------------------------------------------------------------


def test_the_rule_example_keeps_a_reference() -> None:
    before, fixed = _example("CA304")
    assert _fix(before, "CA304") == fixed


def test_a_second_task_shares_the_set_and_a_one_line_if_becomes_a_block() -> None:
    before = _code(
        '''
        """Webhooks."""

        import asyncio

        from app import deliver


        async def on_event(event, urgent):
            asyncio.create_task(deliver(event))  # fire and forget
            if urgent: asyncio.ensure_future(deliver(event, now=True))
        '''
    )
    once = _fix(before, "CA304", "asyncio.create_task")
    twice = _fix(once, "CA304", "if urgent")
    assert twice == _code(
        '''
        """Webhooks."""

        import asyncio

        from app import deliver

        # tasks running in the background: the event loop keeps only weak references to them
        _background_tasks = set()


        async def on_event(event, urgent):
            task = asyncio.create_task(deliver(event))  # fire and forget
            _background_tasks.add(task)
            task.add_done_callback(_background_tasks.discard)
            if urgent:
                task_1 = asyncio.ensure_future(deliver(event, now=True))
                _background_tasks.add(task_1)
                task_1.add_done_callback(_background_tasks.discard)
        '''
    )


def test_names_in_use_get_a_suffix_and_a_shared_line_keeps_its_statements() -> None:
    before = _code(
        """
        import asyncio

        _background_tasks = {}


        async def start(task):
            loop = asyncio.get_running_loop()
            loop.create_task(task()); print("started")
        """
    )
    after = _fix(before, "CA304")
    assert "\n_background_tasks_1 = set()\n" in after
    assert (
        "    task_1 = loop.create_task(task()); _background_tasks_1.add(task_1); "
        'task_1.add_done_callback(_background_tasks_1.discard); print("started")\n'
    ) in after


def test_a_task_started_in_a_class_body_is_refused() -> None:
    source = "import asyncio\n\n\nclass Jobs:\n    asyncio.ensure_future(asyncio.sleep(1))\n"
    assert "class body" in _refusal(source, "CA304")


def test_background_tasks_still_finish_when_run(tmp_path: Path) -> None:
    source = _code(
        """
        import asyncio

        log = []


        async def record(n):
            await asyncio.sleep(0.001 * n)
            log.append(n)


        async def main():
            for n in range(5):
                asyncio.create_task(record(n))
            await asyncio.sleep(0.05)
            print(sorted(log))


        asyncio.run(main())
        """
    )
    rewritten = _fix(source, "CA304")
    assert _run(tmp_path, "before.py", source) == _run(tmp_path, "after.py", rewritten)
    assert "[0, 1, 2, 3, 4]" in _run(tmp_path, "after.py", rewritten)
