"""CA301 (blocking call in async def → asyncio.sleep / asyncio.to_thread): exact source before and
after, the finding gone after the fix, the calls it will not touch, and the same output when the
original and the rewritten programs run."""

from __future__ import annotations

import dataclasses
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from advisor.analysis.detectors import analyse_content
from advisor.analysis.knowledge import load_knowledge
from advisor.catalog import get_rule
from advisor.codemods.async_blocking import fix_blocking_call_in_async
from advisor.codemods.thread_pool import RewriteError
from advisor.model import Finding

ROOT = Path(__file__).resolve().parent.parent
KNOWLEDGE = load_knowledge()


def _findings(source: str) -> list[Finding]:
    result = analyse_content("example.py", source.encode(), KNOWLEDGE)
    assert result.errors == ()
    return [f for f in result.findings if f.rule == "CA301"]


def _finding(source: str, start: str | None = None) -> Finding:
    found = _findings(source)
    if start is not None:
        lines = source.splitlines()
        found = [f for f in found if lines[f.line - 1].lstrip().startswith(start)]
    assert len(found) == 1, found
    return found[0]


def _fixable(source: str) -> int:
    return sum(1 for f in _findings(source) if f.fix_safety != "none")


def _fix(source: str, start: str | None = None) -> str:
    after = fix_blocking_call_in_async(source, _finding(source, start))
    compile(after, "<rewritten>", "exec", dont_inherit=True)
    assert _fixable(after) == _fixable(source) - 1
    return after


def _refusal(source: str, start: str | None = None) -> str:
    with pytest.raises(RewriteError) as error:
        fix_blocking_call_in_async(source, _finding(source, start))
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


def test_the_rule_example_sleeps_asynchronously() -> None:
    rule = get_rule("CA301")
    assert _fix(_code(rule.example_flagged)) == _code(rule.example_fixed)


def test_an_aliased_module_still_used_elsewhere_keeps_its_import() -> None:
    before = _code(
        """
        import time as t


        async def heartbeat(client):
            await client.ping()
            t.sleep(5)  # between pings


        def pause():
            t.sleep(1)
        """
    )
    after = _code(
        """
        import time as t
        import asyncio


        async def heartbeat(client):
            await client.ping()
            await asyncio.sleep(5)  # between pings


        def pause():
            t.sleep(1)
        """
    )
    assert _fix(before) == after


def test_a_from_import_nothing_uses_any_more_is_dropped() -> None:
    before = _code(
        """
        import asyncio
        from time import monotonic, sleep


        async def drain(queue):
            started = monotonic()
            while not queue.empty():
                item = await queue.get()
                sleep(0.1)
                print(item, monotonic() - started)
        """
    )
    after = _code(
        """
        import asyncio
        from time import monotonic


        async def drain(queue):
            started = monotonic()
            while not queue.empty():
                item = await queue.get()
                await asyncio.sleep(0.1)
                print(item, monotonic() - started)
        """
    )
    assert _fix(before) == after


def test_other_blocking_calls_run_on_a_thread_with_their_arguments() -> None:
    before = _code(
        """
        import subprocess


        async def git_head(repo):
            completed = subprocess.run(["git", "rev-parse", "HEAD"], cwd=repo, text=True)
            return completed.stdout.strip()
        """
    )
    after = _code(
        """
        import subprocess
        import asyncio


        async def git_head(repo):
            completed = await asyncio.to_thread(subprocess.run, ["git", "rev-parse", "HEAD"], cwd=repo, text=True)
            return completed.stdout.strip()
        """  # noqa: E501  (the rewrite does not wrap lines; formatters do)
    )
    assert _fix(before) == after


def test_a_call_whose_result_is_used_gets_parentheses() -> None:
    before = _code(
        """
        import os


        async def head(path):
            return os.popen(f"head -1 {path}").read().strip()
        """
    )
    assert '    return (await asyncio.to_thread(os.popen, f"head -1 {path}")).read().strip()\n' in (
        _fix(before)
    )


def test_a_call_without_arguments() -> None:
    before = "async def ask():\n    return input()\n"
    assert "    return await asyncio.to_thread(input)\n" in _fix(before)


def test_only_the_named_call_of_a_line_is_rewritten() -> None:
    before = _code(
        """
        import subprocess
        import time


        async def step():
            time.sleep(0.1); subprocess.call(["true"])
        """
    )
    finding = next(f for f in _findings(before) if "`time.sleep`" in f.message)
    after = fix_blocking_call_in_async(before, finding)
    assert '    await asyncio.sleep(0.1); subprocess.call(["true"])\n' in after


@pytest.mark.parametrize(
    ("source", "reason"),
    [
        (
            "import requests\nasync def get(u):\n    return requests.get(u, timeout=5)\n",
            "a design change, not applied automatically",
        ),
        (
            "async def load(p):\n    with open(p) as f:\n        return f.read()\n",
            "opens a `with` block",
        ),
        (
            "import time\nasync def total(xs):\n    return sum(time.sleep(x) or x for x in xs)\n",
            "generator expression",
        ),
        (
            "import time\nasync def f(aw):\n    await aw(g(time.sleep(1)))\n",
            "already inside an `await`",
        ),
        (
            "import time\nasync def f():\n    class Slow:\n        time.sleep(1)\n",
            "lambda or class body",
        ),
    ],
)
def test_calls_that_cannot_become_an_await_are_refused(source: str, reason: str) -> None:
    assert reason in _refusal(source)


def test_a_module_that_rebinds_asyncio_is_refused() -> None:
    source = "import time\n\n\nasync def f(asyncio):\n    time.sleep(1)\n"
    assert "binds `asyncio`" in _refusal(source)


def test_the_build_watch_fixture_prints_the_same(tmp_path: Path) -> None:
    source = (ROOT / "fixtures" / "async_build_watch.py").read_text(encoding="utf-8")
    rewritten = _fix(source)
    assert "        await asyncio.sleep(interval)  # wait before asking the CI service again\n" in (
        rewritten
    )
    assert "import time" not in rewritten
    before = _run(tmp_path, "before.py", source, "0.002")
    assert before == _run(tmp_path, "after.py", rewritten, "0.002")
    assert before.splitlines() == [
        "docs: passed after 3 checks",
        "tests: passed after 5 checks",
        "wheel: passed after 2 checks",
    ]


def test_a_call_on_a_thread_returns_the_same_value(tmp_path: Path) -> None:
    source = _code(
        """
        import asyncio
        import subprocess
        import sys


        async def child_says():
            out = subprocess.run([sys.executable, "-c", "print('hello')"], capture_output=True)
            return out.stdout.decode().strip()


        print(asyncio.run(child_says()))
        """
    )
    rewritten = _fix(source)
    assert "await asyncio.to_thread(subprocess.run, [sys.executable" in rewritten
    assert _run(tmp_path, "before.py", source) == _run(tmp_path, "after.py", rewritten) == "hello\n"


def test_crlf_non_ascii_and_parentheses_are_kept() -> None:
    before = 'import time\r\n\r\n\r\nasync def f():\r\n    print("héllo"); time.sleep(1)\r\n'
    before += "    x = (time.sleep(2))\r\n"
    once = _fix(before, "print")
    assert once == before.replace("time.sleep(1)", "await asyncio.sleep(1)").replace(
        "import time\r\n", "import time\r\nimport asyncio\r\n"
    )
    twice = _fix(once, "x =")
    assert twice.startswith("import asyncio\r\n\r\n")  # `time` is used no more
    assert "    x = (await asyncio.sleep(2))\r\n" in twice


# --- the coroutine's own event loop (issue 20) ----------------------------------------------


@pytest.mark.parametrize(
    ("library", "run", "sleep", "to_thread"),
    [
        ("trio", "trio.run(main)", "trio.sleep", "trio.to_thread.run_sync"),
        ("anyio", 'anyio.run(main, backend="trio")', "anyio.sleep", "anyio.to_thread.run_sync"),
    ],
)
def test_the_event_loop_the_module_runs_on_gives_its_own_sleep_and_offload(
    library: str, run: str, sleep: str, to_thread: str
) -> None:
    before = textwrap.dedent(
        f"""\
        import subprocess
        import time

        import {library}


        async def main():
            time.sleep(1)
            subprocess.run(["true"])


        {run}
        """
    )
    after = fix_blocking_call_in_async(before, _finding(before, "time.sleep"))
    after = fix_blocking_call_in_async(after, _finding(after, "subprocess.run"))
    assert f"    await {sleep}(1)\n" in after
    assert f'    await {to_thread}(subprocess.run, ["true"])\n' in after
    assert "asyncio" not in after


def test_a_module_that_imports_no_event_loop_is_unsafe_and_a_run_can_tell() -> None:
    source = "import time\n\n\nasync def build():\n    time.sleep(1)\n"
    finding = _finding(source)
    assert (finding.fix_safety, finding.run_checkable) == ("unsafe", True)
    assert "imports no event-loop library, so asyncio is assumed" in finding.reasons[0]


def test_a_framework_on_asyncio_is_asyncio() -> None:
    source = "import time\n\nimport aiohttp\n\n\nasync def handler(request):\n    time.sleep(1)\n"
    assert _finding(source).fix_safety == "safe"


def test_a_new_await_between_two_writes_is_unsafe() -> None:
    source = textwrap.dedent(
        """\
        import asyncio
        import time


        async def save(path):
            with open(path, "w") as handle:
                handle.write("header;")
                time.sleep(0.05)
                handle.write("payload")
        """
    )
    finding = _finding(source, "time.sleep")
    assert finding.fix_safety == "unsafe"
    assert finding.reasons[-1] == (
        "the new `await` is a point where the coroutine can be cancelled (a timeout, a failing "
        "task group): it writes (`builtins.open` (to write)) before the call and "
        "(`handle.write()`) after it"
    )


def test_a_module_re_exporting_time_keeps_its_calls() -> None:
    source = (
        'import asyncio\nimport time\n\n__all__ = ["pause", "time"]\n\n\n'
        "async def pause(seconds):\n    time.sleep(seconds)\n"
    )
    with pytest.raises(RewriteError, match="re-exports in `__all__`"):
        fix_blocking_call_in_async(source, _finding(source))


def test_a_call_a_test_patches_by_name_is_kept(tmp_path: Path) -> None:
    source = "import asyncio\nimport time\n\n\nasync def retry():\n    time.sleep(1)\n"
    (tmp_path / "jobs.py").write_text(source)
    (tmp_path / "test_jobs.py").write_text(
        'from unittest import mock\nmock.patch("jobs.time.sleep")\n'
    )
    finding = dataclasses.replace(_finding(source), path=str(tmp_path / "jobs.py"))
    with pytest.raises(
        RewriteError, match=r"patched by name in test_jobs.py \(`jobs.time.sleep`\)"
    ):
        fix_blocking_call_in_async(source, finding)
