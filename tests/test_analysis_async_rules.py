"""The asyncio rules (CA104, CA301-CA304) on exact snippets, and CA301's parity with ruff's
flake8-async blocking-call rules (ASYNC2xx)."""

from __future__ import annotations

import json
import subprocess
import sys
import sysconfig
import textwrap
from pathlib import Path

import pytest

from advisor.analysis.detectors import detect_async_rules
from advisor.analysis.facts import module_facts
from advisor.analysis.knowledge import load_knowledge
from advisor.catalog import get_rule
from advisor.errors import SourceError
from advisor.model import Finding
from advisor.syntax.source import Source

ROOT = Path(__file__).resolve().parent.parent
KNOWLEDGE = load_knowledge()
RUFF = Path(sys.executable).parent / "ruff"
# The blocking-call rules of flake8-async whose findings CA301 must include. ASYNC240 (os.path and
# pathlib metadata calls) is left out on purpose: a `stat` is not the I/O CA301 is about.
RUFF_BLOCKING_RULES = "ASYNC210,ASYNC212,ASYNC220,ASYNC221,ASYNC222,ASYNC230,ASYNC250,ASYNC251"

Row = tuple[str, int, int, str, str]  # rule, line, end_line, suggestion, fix_safety


def find(code: str) -> list[Finding]:
    source = Source.of_text(path="m.py", text=textwrap.dedent(code))
    return detect_async_rules(module_facts(source, KNOWLEDGE))


def rows(code: str, rule: str | None = None) -> list[Row]:
    return [
        (f.rule, f.line, f.end_line, f.suggestion, f.fix_safety)
        for f in find(code)
        if rule is None or f.rule == rule
    ]


def only(code: str, rule: str) -> Finding:
    found = [f for f in find(code) if f.rule == rule]
    assert len(found) == 1, found
    return found[0]


def rule_examples(rule: str, kind: str) -> list[str]:
    return [example.code for example in getattr(get_rule(rule), kind)]


# ------------------------------------------------------------------------------------ TOML cases

MUST_FLAG: dict[str, list[list[Row]]] = {
    "CA301": [
        [("CA301", 7, 7, "asyncio_sleep", "safe")],
        [("CA301", 5, 5, "to_thread", "none")],
        [("CA301", 5, 5, "to_thread", "none")],
        [("CA301", 5, 5, "to_thread", "none")],
        [("CA301", 5, 5, "to_thread", "unsafe")],
        [("CA301", 8, 8, "asyncio_sleep", "safe")],
        # objects.toml: `self.session` made in `__init__`; a connection passed in, annotated
        [("CA301", 9, 9, "to_thread", "none")],
        [("CA301", 5, 5, "to_thread", "unsafe")],
    ],
    "CA104": [
        [("CA104", 7, 9, "asyncio_gather", "safe")],
        # `db.fetchrow()` on a connection every item shares: asyncpg's refuses a second query
        # while one runs, and source cannot tell a pool from a connection
        [("CA104", 6, 6, "asyncio_gather", "unsafe")],
        [("CA104", 7, 8, "asyncio_gather", "safe")],
        # aiohttp's own shape: the `async with` block is the whole body, on a session whose
        # cookie jar every item shares (a doubt a run settles)
        [("CA104", 9, 11, "asyncio_gather", "unsafe")],
        # a coroutine of the module awaited for its effect, in a `with` block: a shared
        # context manager and a child process are doubts
        [("CA104", 11, 13, "asyncio_gather", "unsafe")],
    ],
    "CA302": [
        [("CA302", 11, 11, "asyncio_gather", "unsafe")],
        [("CA302", 9, 9, "asyncio_gather", "unsafe")],
        [("CA302", 10, 10, "asyncio_gather", "none")],
    ],
    "CA303": [
        [("CA303", 9, 9, "bounded_pool", "safe")],
        [("CA303", 10, 10, "bounded_pool", "unsafe")],
        [("CA303", 12, 12, "bounded_pool", "safe")],
        [("CA303", 11, 11, "bounded_pool", "safe")],
    ],
    "CA304": [
        [("CA304", 10, 10, "none", "safe")],
        [("CA304", 10, 10, "none", "safe")],
        [("CA304", 10, 10, "none", "safe")],
    ],
}


@pytest.mark.parametrize(
    ("rule", "index"), [(rule, i) for rule, cases in MUST_FLAG.items() for i in range(len(cases))]
)
def test_every_must_flag_example_gives_exactly_these_findings(rule: str, index: int) -> None:
    examples = rule_examples(rule, "must_flag")
    assert len(examples) == len(MUST_FLAG[rule])
    assert rows(examples[index], rule) == MUST_FLAG[rule][index]


@pytest.mark.parametrize(
    ("rule", "index"),
    [(rule, i) for rule in MUST_FLAG for i in range(len(rule_examples(rule, "must_not_flag")))],
)
def test_every_must_not_flag_example_gives_nothing_for_its_rule(rule: str, index: int) -> None:
    assert rows(rule_examples(rule, "must_not_flag")[index], rule) == []


# ------------------------------------------------------------------------------------ CA301


def test_blocking_sleep_message_names_the_call_and_its_replacement() -> None:
    finding = only(get_rule("CA301").example_flagged, "CA301")
    assert finding.message == (
        "blocking call `time.sleep` inside `async def poll`: use `await asyncio.sleep(...)`"
    )
    assert (finding.kind, finding.suggestion, finding.fix_safety) == ("io", "asyncio_sleep", "safe")
    assert finding.reasons == ()


@pytest.mark.parametrize(
    ("code", "line", "qualified"),
    [
        ("import time as t\nasync def f():\n    t.sleep(1)\n", 3, "time.sleep"),
        ("from time import sleep as nap\nasync def f():\n    nap(1)\n", 3, "time.sleep"),
        ("import subprocess as sp\nasync def f():\n    sp.run(['ls'])\n", 3, "subprocess.run"),
        ("from os import waitpid as reap\nasync def f(p):\n    reap(p, 0)\n", 3, "os.waitpid"),
        (
            "import urllib.request as ur\nasync def f(u):\n    return ur.urlopen(u)\n",
            3,
            "urllib.request.urlopen",
        ),
        (
            "from pathlib import Path as P\nasync def f(p):\n    return P(p).open()\n",
            3,
            "pathlib.Path().open",
        ),
        (
            "from pathlib import Path\nasync def f(p):\n    path = Path(p)\n"
            "    return path.open()\n",
            4,
            "pathlib.Path().open",
        ),
        (
            "import httpx\nasync def f(u):\n    client = httpx.Client()\n"
            "    return client.get(u)\n",
            4,
            "httpx.Client().get",
        ),
        (
            "import httpx as h\nasync def f(u, client: h.Client | None = None):\n"
            "    return client.post(u)\n",
            3,
            "httpx.Client().post",
        ),
        (
            "from typing import Optional\nimport httpx\n"
            "async def f(u, client: Optional[httpx.Client]):\n    return client.send(u)\n",
            4,
            "httpx.Client().send",
        ),
        ("async def f():\n    return input('name? ')\n", 2, "input"),
        ("import requests as rq\nasync def f(u):\n    return rq.get(u)\n", 3, "requests.get"),
        ("import os\nasync def f():\n    os.posix_spawn('ls', ['ls'], {})\n", 3, "os.posix_spawn"),
    ],
)
def test_blocking_calls_resolve_through_aliases_locals_and_annotations(
    code: str, line: int, qualified: str
) -> None:
    finding = only(code, "CA301")
    assert (finding.line, finding.end_line) == (line, line)
    assert f"`{qualified}`" in finding.message


@pytest.mark.parametrize(
    "code",
    [
        # awaited calls return awaitables: async APIs, whatever their names
        "import asyncio\nasync def f():\n    await asyncio.sleep(1)\n",
        "import httpx\nasync def f(u):\n    async with httpx.AsyncClient() as c:\n"
        "        return await c.get(u)\n",
        "import httpx\nasync def f(u, c: httpx.AsyncClient):\n    return await c.post(u)\n",
        # the function is handed over, not called
        "import asyncio, time\nasync def f():\n    await asyncio.to_thread(time.sleep, 1)\n",
        "import asyncio, subprocess\nasync def f():\n"
        "    await asyncio.to_thread(subprocess.run, ['ls'])\n",
        "import asyncio\nasync def f():\n"
        "    return await asyncio.get_running_loop().run_in_executor(None, input)\n",
        # a lambda or nested def runs where it is called, not here
        "import asyncio, time\nasync def f():\n"
        "    await asyncio.to_thread(lambda: time.sleep(1))\n",
        "import time\nasync def f():\n    def g():\n        time.sleep(1)\n    return g\n",
        # a local that shadows a builtin or an import is not it
        "async def f(open):\n    return open('x')\n",
        "import time\nasync def f(time):\n    time.sleep(1)\n",
        # constructors do not wait; neither does configuring a socket
        "import requests, httpx\nasync def f():\n    return requests.Session(), httpx.Client()\n",
        "import socket\nasync def f():\n    s = socket.socket()\n    s.setblocking(False)\n"
        "    s.close()\n",
        # plain functions may block
        "import time\ndef f():\n    time.sleep(1)\n",
    ],
)
def test_calls_that_do_not_block_the_event_loop_are_left_alone(code: str) -> None:
    assert rows(code, "CA301") == []


def test_a_method_of_a_blocking_calls_result_is_not_a_second_finding() -> None:
    code = """
        import requests


        async def f(u):
            response = requests.get(u)
            data = requests.get(u).json()
            return response.json(), data
        """
    assert [r[1] for r in rows(code, "CA301")] == [6, 7]


def test_code_that_runs_in_the_coroutine_is_checked_class_bodies_defaults_comprehensions() -> None:
    code = """
        import time


        async def f():
            class Inner:
                pause = time.sleep(1)

            def helper(delay=time.sleep(2)):
                time.sleep(3)  # runs when helper is called, not here

            return [time.sleep(4) for _ in range(3)]
        """
    assert [r[1] for r in rows(code, "CA301")] == [7, 9, 12]


@pytest.mark.parametrize(
    ("code", "safety", "reason"),
    [
        (
            "import time\nasync def f():\n    x = time.sleep(1)\n",
            "unsafe",
            "the sleep is part of a larger expression",
        ),
        (
            "import time\nclass C:\n    async def f(self):\n        self.n = 1\n"
            "        time.sleep(1)\n",
            "unsafe",
            "other tasks can run while the call waits, and the coroutine writes `self.n`",
        ),
        (
            "import time\nn = 0\nasync def f():\n    global n\n    n += 1\n    time.sleep(1)\n",
            "unsafe",
            "writes global `n`",
        ),
        (
            "import subprocess\nasync def f():\n    subprocess.run(['ls'])\n",
            "unsafe",
            "`asyncio.to_thread` runs the call on another thread",
        ),
        (
            "async def f(p):\n    with open(p) as h:\n        return h.read()\n",
            "none",
            "a `with` block around a blocking call cannot be wrapped call by call",
        ),
        (
            "import requests\nasync def f(u):\n    return requests.get(u)\n",
            "none",
            "switching to an async client (httpx.AsyncClient / aiohttp) is a design change",
        ),
    ],
)
def test_blocking_call_fix_safety_and_its_reason(code: str, safety: str, reason: str) -> None:
    finding = only(code, "CA301")
    assert finding.fix_safety == safety
    assert any(reason in r for r in finding.reasons), finding.reasons


def test_replacements_come_from_the_knowledge() -> None:
    finding = only("import subprocess\nasync def f():\n    subprocess.run(['ls'])\n", "CA301")
    assert finding.suggestion == "to_thread"
    assert finding.message.endswith("use asyncio.create_subprocess_exec, or asyncio.to_thread")
    finding = only("async def f():\n    return input()\n", "CA301")
    assert finding.message.endswith("use `await asyncio.to_thread(...)`")


# ------------------------------------------------------------------------------------ CA104


def test_serial_await_message() -> None:
    finding = only(rule_examples("CA104", "must_flag")[0], "CA104")
    assert finding.message == (
        "`await fetch(...)` one item at a time inside `async def fetch_all`: start the calls "
        "together with `asyncio.gather` (bounded by a Semaphore)"
    )
    assert (finding.kind, finding.reasons) == ("io", ())


@pytest.mark.parametrize(
    ("code", "expected"),
    [
        (  # out.append(await ...) on a client every item shares: its cookie jar is a doubt
            """
            import httpx
            async def fetch_all(client: httpx.AsyncClient, urls):
                out = []
                for url in urls:
                    out.append(await client.get(url))
                return out
            """,
            [("CA104", 5, 6, "asyncio_gather", "unsafe")],
        ),
        (  # out.append(await ...)
            """
            async def fetch(url): ...
            async def fetch_all(urls):
                out = []
                for url in urls:
                    out.append(await fetch(url))
                return out
            """,
            [("CA104", 5, 6, "asyncio_gather", "safe")],
        ),
        (  # a dict comprehension
            """
            async def head(url): ...
            async def sizes(urls):
                return {url: await head(url) for url in urls}
            """,
            [("CA104", 4, 4, "asyncio_gather", "safe")],
        ),
        (  # the result goes into shared state
            """
            class Crawler:
                async def crawl(self, urls):
                    for url in urls:
                        self.pages.append(await self.client.get(url))
            """,
            [("CA104", 4, 5, "asyncio_gather", "unsafe")],
        ),
        (  # ordered output per item
            """
            async def show(client, urls):
                for url in urls:
                    response = await client.get(url)
                    print(response.status_code)
            """,
            [("CA104", 3, 5, "asyncio_gather", "unsafe")],
        ),
        (  # the loop variable is read after the loop
            """
            async def last(client, urls):
                out = []
                for url in urls:
                    out.append(await client.get(url))
                return url, out
            """,
            [("CA104", 4, 5, "asyncio_gather", "unsafe")],
        ),
        (  # only the inner loop awaits per item
            """
            async def cell(r, c): ...
            async def grid(rows, cols):
                out = []
                for r in rows:
                    for c in cols:
                        out.append(await cell(r, c))
                return out
            """,
            [("CA104", 6, 7, "asyncio_gather", "safe")],
        ),
    ],
)
def test_serial_await_loops(code: str, expected: list[Row]) -> None:
    assert rows(code, "CA104") == expected


def test_serial_await_unsafe_reasons_name_the_problem() -> None:
    finding = only(
        """
        async def fetch(url): ...
        async def show(urls):
            for url in urls:
                response = await fetch(url)
                print(response.status_code)
        """,
        "CA104",
    )
    # the print stays serial after the gather, in order; what a gather changes is a failure:
    # it raises before any item's output
    assert finding.reasons == (
        "the body prints or writes after the await: if an item fails, the gather raises "
        "before any item's output, where the loop wrote every item's before the failing one",
    )


def test_serial_awaits_with_a_running_total_or_a_filter_after_them_are_gathered() -> None:
    code = """
        import asyncio


        async def price(item):
            await asyncio.sleep(0.01)
            return len(item)


        async def main(items):
            total = 0
            for item in items:
                total += await price(item)
            found = []
            for item in items:
                p = await price(item)
                if p > 3:
                    found.append(p)
            return total, found
        """
    findings = [f for f in find(code) if f.rule == "CA104"]
    assert [(f.line, f.fix_safety, f.reasons) for f in findings] == [
        (12, "safe", ()),
        (15, "safe", ()),
    ]


@pytest.mark.parametrize(
    "code",
    [
        # fewer than four literal items
        "async def f(c):\n    out = []\n    for u in ('a', 'b'):\n"
        "        out.append(await c.get(u))\n    return out\n",
        # the awaited result is checked, not collected (a stream read in order)
        "async def f(c, n):\n    for i in range(n):\n        assert await c.receive() == i\n",
        # a sequence of awaits per item (send, then receive)
        "async def f(c, xs):\n    out = []\n    for x in xs:\n        await c.send(x)\n"
        "        out.append(await c.receive())\n    return out\n",
        # the result is discarded
        "async def f(c, xs):\n    for x in xs:\n        await c.post(x)\n",
        # awaiting tasks that already run
        "async def f(tasks):\n    out = []\n    for t in tasks:\n        out.append(await t)\n"
        "    return out\n",
        # the loop yields each result (an async generator streams them)
        "async def f(c, xs):\n    for x in xs:\n        yield await c.get(x)\n",
        # not in a coroutine
        "def f(c, xs):\n    return [c.get(x) for x in xs]\n",
    ],
)
def test_loops_that_are_not_serial_awaits(code: str) -> None:
    assert rows(code, "CA104") == []


# ------------------------------------------------------------------------------------ CA302


def test_asyncio_run_message_and_reasons() -> None:
    finding = only(rule_examples("CA302", "must_flag")[0], "CA302")
    assert finding.message.startswith("`asyncio.run` inside a loop (line 10) starts a new event")
    assert finding.reasons[-1].startswith("running the items concurrently changes their timing")
    finding = only(rule_examples("CA302", "must_flag")[2], "CA302")
    assert finding.reasons == (
        "no automatic rewrite for a `while` loop: its items are not known upfront",
    )


@pytest.mark.parametrize(
    ("code", "expected"),
    [
        (
            "import asyncio as aio\ndef f(xs):\n    for x in xs:\n        aio.run(g(x))\n",
            [("CA302", 4, 4, "asyncio_gather", "unsafe")],
        ),
        (
            "from asyncio import run as arun\ndef f(xs):\n    for x in xs:\n        arun(g(x))\n",
            [("CA302", 4, 4, "asyncio_gather", "unsafe")],
        ),
        (  # the test of a while loop runs per item too
            "import asyncio\ndef f():\n    while asyncio.run(more()):\n        pass\n",
            [("CA302", 3, 3, "asyncio_gather", "none")],
        ),
        (  # a generator expression is a loop
            "from asyncio import run\ndef f(xs):\n    return any(run(g(x)) for x in xs)\n",
            [("CA302", 3, 3, "asyncio_gather", "unsafe")],
        ),
        (  # the iterable of a for loop is evaluated once
            "import asyncio\ndef f():\n    for x in asyncio.run(items()):\n        print(x)\n",
            [],
        ),
        (  # a function defined in the loop runs when it is called
            "import asyncio\ndef f(xs):\n    for x in xs:\n        def g():\n"
            "            asyncio.run(h(x))\n        yield g\n",
            [],
        ),
        (
            "import asyncio\ndef f(xs):\n    return [lambda: asyncio.run(h(x)) for x in xs]\n",
            [],
        ),
        (  # a local named run is not asyncio's
            "from asyncio import run\ndef f(xs, run):\n    for x in xs:\n        run(x)\n",
            [],
        ),
    ],
)
def test_asyncio_run_in_loops(code: str, expected: list[Row]) -> None:
    assert rows(code, "CA302") == expected


# ------------------------------------------------------------------------------------ CA303


@pytest.mark.parametrize(
    ("code", "expected"),
    [
        (  # the gathered coroutine is not from this module: whether it waits on others is unknown
            "import asyncio\nasync def f(client, urls):\n"
            "    return await asyncio.gather(*[client.get(u) for u in urls])\n",
            [("CA303", 3, 3, "bounded_pool", "unsafe")],
        ),
        (  # coroutines that hand work to each other through a Queue can deadlock under a bound
            """
            import asyncio

            queue = asyncio.Queue()


            async def worker(item):
                await queue.put(item)


            async def main(items):
                await asyncio.gather(*(worker(i) for i in items))
            """,
            [("CA303", 12, 12, "bounded_pool", "unsafe")],
        ),
        (  # gather runs anywhere, also from plain code
            """
            import asyncio


            async def ping(host):
                ...


            def ping_all(loop, hosts):
                return loop.run_until_complete(asyncio.gather(*[ping(h) for h in hosts]))
            """,
            [("CA303", 10, 10, "bounded_pool", "safe")],
        ),
        (  # a slice of at most ten items is bounded
            "import asyncio\nasync def f(c, urls):\n"
            "    return await asyncio.gather(*(c.get(u) for u in urls[:10]))\n",
            [],
        ),
        (  # so is range of a named constant
            "import asyncio\nTOTAL = 25\nasync def f(c):\n"
            "    return await asyncio.gather(*(c.get(i) for i in range(TOTAL)))\n",
            [],
        ),
        (  # awaitables made elsewhere are not coroutines built per item
            "import asyncio\nasync def f(pending, keys):\n"
            "    return await asyncio.gather(*(pending[k] for k in keys))\n",
            [],
        ),
        (  # a name bound once to a literal has its size: three URLs are bounded
            "import asyncio\nasync def f(c):\n    urls = ['a', 'b', 'c']\n"
            "    return await asyncio.gather(*(c.get(u) for u in urls))\n",
            [],
        ),
        (  # not once it grows: appended to, or bound again
            "import asyncio\nasync def f(c, more):\n    urls = ['a', 'b']\n    urls.extend(more)\n"
            "    return await asyncio.gather(*(c.get(u) for u in urls))\n",
            [("CA303", 5, 5, "bounded_pool", "unsafe")],
        ),
        (
            "import asyncio\nasync def f(c, more):\n    urls = ['a', 'b']\n    urls = more\n"
            "    return await asyncio.gather(*(c.get(u) for u in urls))\n",
            [("CA303", 5, 5, "bounded_pool", "unsafe")],
        ),
        (  # a TaskGroup over a literal
            "import asyncio\nasync def f(c):\n    async with asyncio.TaskGroup() as tg:\n"
            "        for u in ('a', 'b', 'c'):\n            tg.create_task(c.get(u))\n",
            [],
        ),
    ],
)
def test_unbounded_gathers(code: str, expected: list[Row]) -> None:
    assert rows(code, "CA303") == expected


def test_unbounded_gather_over_created_tasks_says_where_the_bound_must_go() -> None:
    finding = only(rule_examples("CA303", "must_flag")[1], "CA303")
    assert finding.reasons == (
        "the gathered objects are Tasks created earlier (`create_task`): they are already "
        "running, so the bound has to go where they are created",
    )
    assert finding.message == (
        "`asyncio.gather` starts `resize(...)` for every item of an iterable of unknown size at "
        "once: bound how many run together with an `asyncio.Semaphore`"
    )


# ------------------------------------------------------------------------------------ CA304


@pytest.mark.parametrize(
    ("code", "expected"),
    [
        (
            "from asyncio import ensure_future as spawn\nasync def f(c):\n    spawn(c)\n",
            [("CA304", 3, 3, "none", "safe")],
        ),
        (
            "import asyncio\ndef f(c):\n    asyncio.get_event_loop().create_task(c)\n",
            [("CA304", 3, 3, "none", "safe")],
        ),
        ("import asyncio\nasync def f(c):\n    await asyncio.create_task(c)\n", []),
        ("import asyncio\nasync def f(c, keep):\n    keep(asyncio.create_task(c))\n", []),
        ("async def f(scheduler, c):\n    scheduler.create_task(c)\n", []),
    ],
)
def test_dangling_tasks(code: str, expected: list[Row]) -> None:
    assert rows(code, "CA304") == expected


def test_dangling_task_message() -> None:
    finding = only(rule_examples("CA304", "must_flag")[1], "CA304")
    assert finding.message.startswith("the task returned by `loop.create_task` is discarded")
    assert (finding.kind, finding.reasons) == ("unknown", ())


# ------------------------------------------------------------------------------------ robustness


def test_deeply_nested_expressions_do_not_exhaust_the_stack() -> None:
    code = "import time\nasync def f():\n    return time.sleep(1) + " + " + ".join(["1"] * 2000)
    assert rows(code, "CA301") == [("CA301", 3, 3, "asyncio_sleep", "unsafe")]


def test_a_module_without_async_code_is_skipped() -> None:
    assert find("import time\nfor x in xs:\n    time.sleep(x)\n") == []


# ------------------------------------------------------------------------------------ ruff parity

# Every blocking call the ruff rules know, plain and aliased. `# +` marks a line ruff reports (and
# CA301 must), `# -` a line nobody may report: awaited calls and calls handed to a thread, and
# `# ours` a blocking call CA301 finds that ruff does not.
PARITY_CORPUS = """
import asyncio
import io
import os
import os as operating_system
import subprocess
import subprocess as sp
import time
import time as clock
import urllib.request
from os import posix_spawn
from os import waitpid as reap
from pathlib import Path
from pathlib import Path as P
from subprocess import Popen as Spawn
from time import sleep as nap
from typing import Optional
from urllib.request import urlopen as fetch_url

import httpx
import httpx as hx
import requests
import requests as rq
import urllib3


async def http_calls(u):
    urllib.request.urlopen(u)  # +
    fetch_url(u)  # +
    urllib3.request("GET", u)  # +
    httpx.get(u)  # +
    hx.post(u)  # +
    httpx.head(u)  # +
    httpx.patch(u)  # +
    requests.get(u)  # +
    rq.put(u)  # +
    requests.delete(u)  # +
    requests.options(u)  # +


async def httpx_clients(u, c: httpx.Client, d: hx.Client | None, e: Optional[httpx.Client]):
    client = httpx.Client()
    client.get(u)  # +
    client.post(u)  # +
    client.put(u)  # +
    client.patch(u)  # +
    client.delete(u)  # +
    client.head(u)  # +
    client.options(u)  # +
    client.request("GET", u)  # +
    client.send(u)  # +
    client.stream("GET", u)  # +
    client.close()  # +
    c.get(u)  # +
    d.post(u)  # +
    e.request("GET", u)  # +


async def processes(cmd, pid):
    subprocess.Popen(cmd)  # +
    Spawn(cmd)  # +
    os.popen(cmd)  # +
    operating_system.popen(cmd)  # +
    os.spawnl(os.P_NOWAIT, cmd, cmd)  # +
    os.spawnv(os.P_WAIT, cmd, [cmd])  # +
    os.spawnlp(os.P_WAIT, cmd, cmd)  # +
    os.spawnvpe(os.P_NOWAIT, cmd, [cmd], {})  # +
    subprocess.run(cmd)  # +
    sp.run(cmd)  # +
    subprocess.call(cmd)  # +
    subprocess.check_call(cmd)  # +
    subprocess.check_output(cmd)  # +
    subprocess.getoutput(cmd)  # +
    subprocess.getstatusoutput(cmd)  # +
    os.system(cmd)  # +
    os.posix_spawn(cmd, [cmd], {})  # +
    posix_spawn(cmd, [cmd], {})  # +
    os.posix_spawnp(cmd, [cmd], {})  # +
    os.wait()  # +
    os.wait3(0)  # +
    os.wait4(pid, 0)  # +
    os.waitid(os.P_PID, pid, os.WEXITED)  # +
    os.waitpid(pid, 0)  # +
    reap(pid, 0)  # +


async def files(p):
    open(p)  # +
    io.open(p)  # +
    io.open_code(p)  # +
    with open(p) as handle:  # +
        handle.read()
    Path(p).open()  # +
    P(p).open()  # +
    path = Path(p)
    path.open()  # +


async def terminal_and_timers():
    input()  # +
    input("name? ")  # +
    time.sleep(1)  # +
    clock.sleep(1)  # +
    nap(1)  # +
    [time.sleep(0) for _ in range(3)]  # +

    class Paused:
        pause = time.sleep(1)  # ours: the class body runs in the coroutine

    return Paused


async def handed_over_or_awaited(u, cmd):
    loop = asyncio.get_running_loop()
    await asyncio.sleep(1)  # -
    await asyncio.to_thread(time.sleep, 1)  # -
    await loop.run_in_executor(None, time.sleep, 1)  # -
    await asyncio.to_thread(requests.get, u)  # -
    await loop.run_in_executor(None, input)  # -
    await asyncio.to_thread(subprocess.run, cmd)  # -
    await asyncio.to_thread(os.waitpid, 0, 0)  # -
    await asyncio.create_subprocess_exec(cmd)  # -
    async with httpx.AsyncClient() as session:  # -
        await session.get(u)  # -
    requests.Session()  # -
    httpx.Client()  # -

    def in_a_thread():
        time.sleep(1)  # -
        return requests.get(u)  # -

    return await asyncio.to_thread(in_a_thread)  # -


def plain_function(u):
    time.sleep(1)  # -
    return requests.get(u)  # -
"""


def marked_lines(code: str, mark: str) -> set[int]:
    return {
        n
        for n, line in enumerate(code.splitlines(), 1)
        if line.endswith(f"  # {mark}") or f"  # {mark}:" in line
    }


def ruff_lines(*paths: Path) -> set[tuple[str, int]]:
    completed = subprocess.run(
        [str(RUFF), "check", "--isolated", "--select", RUFF_BLOCKING_RULES,
         "--config", "exclude = []", "--output-format", "json", *map(str, paths)],
        capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert completed.returncode in (0, 1), completed.stderr
    return {
        (str(Path(d["filename"]).resolve()), d["location"]["row"])
        for d in json.loads(completed.stdout)
        if (d.get("code") or "").startswith("ASYNC")
    }


needs_ruff = pytest.mark.skipif(not RUFF.exists(), reason="ruff is not installed next to python")


@needs_ruff
def test_ca301_finds_every_blocking_call_ruff_finds(tmp_path: Path) -> None:
    corpus = tmp_path / "corpus.py"
    corpus.write_text(PARITY_CORPUS, encoding="utf-8")
    ruff = {line for _, line in ruff_lines(corpus)}
    ours = {f.line for f in find(PARITY_CORPUS) if f.rule == "CA301"}
    flagged, never = marked_lines(PARITY_CORPUS, "+"), marked_lines(PARITY_CORPUS, "-")
    assert flagged <= ruff, "the corpus marks lines ruff does not report"
    assert ruff <= ours, sorted(ruff - ours)
    assert not ours & never, sorted(ours & never)
    assert ours == flagged | marked_lines(PARITY_CORPUS, "ours")


@needs_ruff
def test_ca301_finds_every_blocking_call_ruff_finds_in_the_standard_librarys_asyncio() -> None:
    stdlib = Path(sysconfig.get_paths()["stdlib"])
    roots = [p for p in (stdlib / "asyncio", stdlib / "test" / "test_asyncio") if p.is_dir()]
    if not roots:
        pytest.skip("the standard library's asyncio sources are not installed")
    ours: set[tuple[str, int]] = set()
    for root in roots:
        for path in root.rglob("*.py"):
            try:
                facts = module_facts(Source.read(path), KNOWLEDGE)
            except SourceError:
                continue
            ours |= {
                (str(path.resolve()), f.line)
                for f in detect_async_rules(facts)
                if f.rule == "CA301"
            }
    missing = ruff_lines(*roots) - ours
    assert not missing, sorted(missing)
