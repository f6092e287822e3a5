"""CA104 (serial awaits → asyncio.gather) and CA303 (unbounded gather → Semaphore): exact source
before and after for every form, the finding gone after the fix, the reasons for shapes that are
refused, and the same output when the original and the rewritten programs run."""

from __future__ import annotations

import dataclasses
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from advisor.analysis.detectors import analyse_content
from advisor.analysis.knowledge import load_knowledge
from advisor.catalog import get_rule
from advisor.codemods.async_gather import fix_sequential_awaits, fix_unbounded_gather
from advisor.codemods.thread_pool import RewriteError
from advisor.model import Finding

ROOT = Path(__file__).resolve().parent.parent
KNOWLEDGE = load_knowledge()
FIXERS = {"CA104": fix_sequential_awaits, "CA303": fix_unbounded_gather}
DEFAULT_BOUND = "limit = asyncio.Semaphore(20)  # at most 20 at once: a default, tune it"


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


def _fix(source: str, rule: str, start: str | None = None, **changes: object) -> str:
    """Fix the one finding of ``rule`` (on the line starting with ``start``); check the result
    compiles and that the analysis no longer reports a fixable finding there."""
    finding = dataclasses.replace(_finding(source, rule, start), **changes)  # type: ignore[arg-type]
    after = FIXERS[rule](source, finding)
    compile(after, "<rewritten>", "exec", dont_inherit=True)
    assert _fixable(after, rule) == _fixable(source, rule) - 1
    assert after.count("import asyncio\n") == 1
    return after


def _refusal(source: str, rule: str, start: str) -> str:
    """The reason the fixer gives for the statement starting with ``start`` (a finding made by
    hand: the analysis would often not report these shapes at all)."""
    lines = source.splitlines()
    line = next(n for n, text in enumerate(lines, 1) if text.lstrip().startswith(start))
    finding = Finding(rule, "example.py", line, line, "", "io", "asyncio_gather", "unsafe")
    with pytest.raises(RewriteError) as error:
        FIXERS[rule](source, finding)
    return str(error.value)


def _run(tmp_path: Path, name: str, source: str, *args: str) -> str:
    path = tmp_path / name
    path.write_text(source, encoding="utf-8")
    proc = subprocess.run(
        [sys.executable, str(path), *args], capture_output=True, text=True, timeout=60
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr == ""
    return proc.stdout


def _code(text: str) -> str:
    return textwrap.dedent(text).lstrip("\n")


# --- CA104: loops -----------------------------------------------------------------------------


def test_append_loop_becomes_a_bounded_gather() -> None:
    before = _code(
        """
        import asyncio


        async def load_all(client, urls):
            pages = []
            # one request per page
            for url in urls:  # independent
                pages.append(await client.fetch(url, timeout=5))
            return pages
        """
    )
    after = _code(
        f"""
        import asyncio


        async def load_all(client, urls):
            pages = []
            # one request per page
            {DEFAULT_BOUND}

            async def fetch_one(url):
                async with limit:
                    return await client.fetch(url, timeout=5)

            pages.extend(await asyncio.gather(*(fetch_one(url) for url in urls)))  # independent
            return pages
        """
    )
    assert _fix(before, "CA104") == after


def test_the_measured_bound_replaces_the_default() -> None:
    before = _code(
        """
        import asyncio


        async def load_all(client, urls):
            pages = []
            for url in urls:
                pages.append(await client.fetch(url))
            return pages
        """
    )
    after = _fix(before, "CA104", workers=7)
    assert "    limit = asyncio.Semaphore(7)\n" in after


def test_a_small_literal_needs_no_bound_and_keeps_the_comment() -> None:
    before = _code(
        """
        async def ping_all(c):
            out = []
            for h in (1, 2, 3, 4):
                out.append(await c.ping(h))  # one per region
            return out
        """
    )
    after = _code(
        """
        import asyncio

        async def ping_all(c):
            out = []
            out.extend(await asyncio.gather(*(c.ping(h) for h in (1, 2, 3, 4))))  # one per region
            return out
        """
    )
    assert _fix(before, "CA104") == after


def test_two_statement_body_runs_per_item_in_the_helper() -> None:
    rule = get_rule("CA104")
    before = _code(rule.example_flagged)
    assert _fix(before, "CA104") == _code(rule.example_fixed)


def test_dict_item_on_a_dict_becomes_update() -> None:
    before = _code(
        """
        import asyncio


        async def resolve_all(hosts):
            loop = asyncio.get_running_loop()
            addresses = {}
            for host in hosts:
                addresses[host] = await loop.getaddrinfo(host, 443)
            return addresses
        """
    )
    after = _code(
        f"""
        import asyncio


        async def resolve_all(hosts):
            loop = asyncio.get_running_loop()
            addresses = {{}}
            {DEFAULT_BOUND}

            async def getaddrinfo_one(host):
                async with limit:
                    return host, await loop.getaddrinfo(host, 443)

            addresses.update(await asyncio.gather(*(getaddrinfo_one(host) for host in hosts)))
            return addresses
        """
    )
    assert _fix(before, "CA104") == after


def test_item_stores_into_a_list_stay_in_order_after_the_gather() -> None:
    before = _code(
        """
        async def fill(slots, fetch):
            for i in range(len(slots)):
                slots[i] = await fetch(i)
        """
    )
    after = _code(
        f"""
        import asyncio

        async def fill(slots, fetch):
            {DEFAULT_BOUND}

            async def fetch_one(i):
                async with limit:
                    return i, await fetch(i)

            for i, result in await asyncio.gather(*(fetch_one(i) for i in range(len(slots)))):
                slots[i] = result
        """
    )
    assert _fix(before, "CA104") == after


def test_output_after_the_await_stays_in_input_order() -> None:
    before = _code(
        """
        async def report(fetch, names):
            for name in names:
                size = await fetch(name)
                print(name, size)  # one line per name
        """
    )
    after = _code(
        f"""
        import asyncio

        async def report(fetch, names):
            {DEFAULT_BOUND}

            async def fetch_one(name):
                async with limit:
                    size = await fetch(name)
                    return name, size

            for name, size in await asyncio.gather(*(fetch_one(name) for name in names)):
                print(name, size)  # one line per name
        """
    )
    assert _fix(before, "CA104") == after


def test_a_call_on_the_result_runs_after_the_gather() -> None:
    before = _code(
        """
        async def sizes(fetch, names):
            out = []
            for name in names:
                out.append(len(await fetch(name)))
            return out
        """
    )
    after = _code(
        f"""
        import asyncio

        async def sizes(fetch, names):
            out = []
            {DEFAULT_BOUND}

            async def fetch_one(name):
                async with limit:
                    return await fetch(name)

            for result in await asyncio.gather(*(fetch_one(name) for name in names)):
                out.append(len(result))
            return out
        """
    )
    assert _fix(before, "CA104") == after


def test_the_loop_variable_read_after_the_loop_is_bound_by_the_serial_part() -> None:
    before = _code(
        """
        async def last_page(fetch, urls):
            pages = []
            for url in urls:
                page = await fetch(url)
                pages.append(page.strip())
            return url, pages
        """
    )
    after = _fix(before, "CA104")
    assert (
        "    for url, page in await asyncio.gather(*(fetch_one(url) for url in urls)):\n" in after
    )


# --- CA104: comprehensions ------------------------------------------------------------------


def test_list_comprehension_in_a_return() -> None:
    before = _code(
        """
        async def load_user(db, user_id):
            return await db.fetchrow("SELECT * FROM users WHERE id = $1", user_id)


        async def load_users(db, user_ids):
            # every user at once
            return [await load_user(db, user_id) for user_id in user_ids]
        """
    )
    after = _code(
        f"""
        import asyncio

        async def load_user(db, user_id):
            return await db.fetchrow("SELECT * FROM users WHERE id = $1", user_id)


        async def load_users(db, user_ids):
            # every user at once
            {DEFAULT_BOUND}

            async def load_user_one(user_id):
                async with limit:
                    return await load_user(db, user_id)

            return await asyncio.gather(*(load_user_one(user_id) for user_id in user_ids))
        """
    )
    assert _fix(before, "CA104") == after


def test_comprehension_over_a_small_literal_keeps_its_filter() -> None:
    before = _code(
        """
        async def regions(c):
            up = [await c.ping(r) for r in [1, 2, 3, 4, 5] if r != 5]
            return up
        """
    )
    after = _code(
        """
        import asyncio

        async def regions(c):
            up = await asyncio.gather(*(c.ping(r) for r in [1, 2, 3, 4, 5] if r != 5))
            return up
        """
    )
    assert _fix(before, "CA104") == after


def test_dict_and_set_comprehensions() -> None:
    before = _code(
        """
        async def scores(grade, names):
            by_name = {name: await grade(name) for name in names}
            distinct = {await grade(name) for name in ("ann", "bob", "cy", "dee")}
            return by_name, distinct
        """
    )
    after = _fix(before, "CA104", "by_name")
    assert after == _code(
        f"""
        import asyncio

        async def scores(grade, names):
            {DEFAULT_BOUND}

            async def grade_one(name):
                async with limit:
                    return name, await grade(name)

            by_name = dict(await asyncio.gather(*(grade_one(name) for name in names)))
            distinct = {{await grade(name) for name in ("ann", "bob", "cy", "dee")}}
            return by_name, distinct
        """
    )
    assert "    distinct = set(await asyncio.gather(*(grade(name) for name in (" in _fix(
        after, "CA104", "distinct"
    )


def test_comprehension_used_as_a_receiver_gets_parentheses() -> None:
    before = _code(
        """
        async def first(fetch):
            return [await fetch(n) for n in (1, 2, 3, 4)][0]
        """
    )
    assert "    return (await asyncio.gather(*(fetch(n) for n in (1, 2, 3, 4))))[0]\n" in _fix(
        before, "CA104"
    )


# --- CA104: refusals ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        (
            "for u in urls:\n        total = await f(u, total)\n        out.append(total)",
            "`total` is carried from one item to the next",
        ),
        ("for u in urls:\n        out.append(await f(u))\n        break", "contains `break`"),
        (
            "for u in urls:\n        if not u:\n            continue\n"
            "        out.append(await f(u))",
            "compound statement",
        ),
        (
            "for u in urls:\n        continue\n        out.append(await f(u))",
            "contains `continue` before its await",
        ),
        (
            "for u in urls:\n        out.append(await f(u))\n        await log(u)",
            "awaits 2 times: the order of its awaits matters",
        ),
        ("for u in urls:\n        if u:\n            out.append(await f(u))", "compound statement"),
        (
            "for u in urls:\n        out.append(await f(u))\n    else:\n        pass",
            "`else` clause",
        ),
        ("async for u in urls:\n        out.append(await f(u))", "`async for`"),
        (
            "for u in urls:\n        out.append(await f(lambda: u))",
            "closure over a name the loop binds",
        ),
        (
            "for u in out:\n        out.append(await f(u))",
            "changes the collection it iterates over",
        ),
        ("for self.u in urls:\n        out.append(await f(self.u))", "attribute or an item"),
    ],
)
def test_loops_that_would_change_meaning_are_refused(body: str, reason: str) -> None:
    source = f"async def g(self, f, log, urls, total):\n    out = []\n    {body}\n    return out\n"
    start = "async for" if body.startswith("async") else "for"
    assert reason in _refusal(source, "CA104", start)


def test_a_loop_outside_a_coroutine_is_refused() -> None:
    source = "def g(f, urls):\n    for u in urls:\n        out.append(f(u))\n"
    assert "not directly inside an `async def`" in _refusal(source, "CA104", "for")


def test_a_comprehension_awaiting_in_its_filter_is_refused() -> None:
    source = "async def g(f, ok, xs):\n    return [await f(x) for x in xs if await ok(x)]\n"
    assert "awaits in a condition" in _refusal(source, "CA104", "return")


def test_output_before_and_after_the_await_is_refused() -> None:
    source = _code(
        """
        async def report(fetch, names):
            for name in names:
                print("asking", name)
                size = await fetch(name)
                print(name, size)
        """
    )
    assert "output both before and after the await" in _refusal(source, "CA104", "for")


def test_a_loop_binding_a_global_is_refused() -> None:
    source = _code(
        """
        async def last_total(f, urls):
            global total
            out = []
            for u in urls:
                total = await f(u)
                out.append(total)
            return out
        """
    )
    assert "binds `total`, a global or nonlocal" in _refusal(source, "CA104", "for")


# --- CA104: the programs behave the same ----------------------------------------------------


def test_the_price_list_fixture_prints_the_same(tmp_path: Path) -> None:
    source = (ROOT / "fixtures" / "async_fetch_prices.py").read_text(encoding="utf-8")
    rewritten = _fix(source, "CA104")
    assert "prices.extend(await asyncio.gather(*(fetch_price_one(sku) for sku in skus)))" in (
        rewritten
    )
    before = _run(tmp_path, "before.py", source, "0.002")
    assert before == _run(tmp_path, "after.py", rewritten, "0.002")
    assert before.count("\n") == 25


PROGRAM = _code(
    """
    import asyncio


    async def lookup(n):
        await asyncio.sleep(0.001 * (n % 4))  # later items finish first
        return n * n


    async def main(ns):
        squares = []
        for n in ns:
            squares.append(await lookup(n))
        for n in ns:
            value = await lookup(n)
            print(n, value)
        print([await lookup(n) for n in ns])
        print({n: await lookup(n) for n in ns})
        return squares


    print(asyncio.run(main(list(range(12)))))
    """
)


def test_every_form_gives_the_same_output_when_run(tmp_path: Path) -> None:
    """Results and printed lines keep their order although later items finish first."""
    rewritten = PROGRAM
    for start in ("for n in ns:", "for n in ns:", "print([", "print({"):
        finding = next(
            f
            for f in _findings(rewritten, "CA104")
            if rewritten.splitlines()[f.line - 1].lstrip().startswith(start)
        )
        rewritten = fix_sequential_awaits(rewritten, finding)
    assert _findings(rewritten, "CA104") == []
    assert _run(tmp_path, "before.py", PROGRAM) == _run(tmp_path, "after.py", rewritten)


# --- CA303 ------------------------------------------------------------------------------------


def test_the_rule_example_is_bounded() -> None:
    rule = get_rule("CA303")
    assert _fix(_code(rule.example_flagged), "CA303") == _code(rule.example_fixed)


def test_gather_of_a_generator_expression() -> None:
    before = _code(
        """
        import asyncio


        async def crawl(get, urls):
            return await asyncio.gather(*(get(u) for u in urls), return_exceptions=True)
        """
    )
    after = _code(
        f"""
        import asyncio


        async def crawl(get, urls):
            {DEFAULT_BOUND}

            async def limited(coroutine):
                async with limit:
                    return await coroutine

            return await asyncio.gather(*(limited(get(u)) for u in urls), return_exceptions=True)
        """
    )
    assert _fix(before, "CA303") == after


def test_gather_of_a_list_of_coroutines() -> None:
    before = _code(
        """
        import asyncio


        async def notify_all(notify, users):
            tasks = []
            for user in users:
                tasks.append(notify(user))
            await asyncio.gather(*tasks)
        """
    )
    after = _fix(before, "CA303")
    assert "    await asyncio.gather(*(limited(coroutine) for coroutine in tasks))\n" in after


def test_tasks_are_bounded_where_they_are_created() -> None:
    before = _code(
        """
        import asyncio


        async def resize_all(resize, paths):
            tasks = [asyncio.create_task(resize(path)) for path in paths]
            return await asyncio.gather(*tasks)
        """
    )
    after = _code(
        f"""
        import asyncio


        async def resize_all(resize, paths):
            {DEFAULT_BOUND}

            async def limited(coroutine):
                async with limit:
                    return await coroutine

            tasks = [asyncio.create_task(limited(resize(path))) for path in paths]
            return await asyncio.gather(*tasks)
        """
    )
    assert _fix(before, "CA303") == after


def test_task_group_loop_gets_one_semaphore_before_the_loop() -> None:
    before = _code(
        """
        import asyncio


        async def index_all(index, batches):
            async with asyncio.TaskGroup() as tg:
                for batch in batches:
                    for document in batch:
                        tg.create_task(index(document), name=document)
        """
    )
    after = _code(
        f"""
        import asyncio


        async def index_all(index, batches):
            async with asyncio.TaskGroup() as tg:
                {DEFAULT_BOUND}

                async def limited(coroutine):
                    async with limit:
                        return await coroutine

                for batch in batches:
                    for document in batch:
                        tg.create_task(limited(index(document)), name=document)
        """
    )
    assert _fix(before, "CA303") == after


def test_names_in_use_get_a_suffix() -> None:
    before = _code(
        """
        import asyncio

        limit = 3


        async def crawl(limited, urls):
            return await asyncio.gather(*(limited(url) for url in urls[:limit]), *(
                limited(url) for url in urls))
        """
    )
    after = _fix(before, "CA303")
    assert "    limit_1 = asyncio.Semaphore(20)" in after
    assert "    async def limited_1(coroutine):\n        async with limit_1:\n" in after


def test_a_gather_without_an_iterable_is_refused() -> None:
    source = "import asyncio\nasync def g(a, b):\n    return await asyncio.gather(a(), b())\n"
    assert "no `*iterable`" in _refusal(source, "CA303", "return")


def test_the_bound_holds_when_the_program_runs(tmp_path: Path) -> None:
    """The same results in the same order, and never more than the bound running at once."""
    source = _code(
        """
        import asyncio

        running = peak = 0


        async def fetch(n):
            global running, peak
            running += 1
            peak = max(peak, running)
            await asyncio.sleep(0.001)
            running -= 1
            return n * 3


        async def main(count):
            results = await asyncio.gather(*[fetch(n) for n in range(count)])
            print(results[:5], len(results))


        asyncio.run(main(50))
        print("peak", peak)
        """
    )
    rewritten = _fix(source, "CA303", workers=5)
    before, after = _run(tmp_path, "before.py", source), _run(tmp_path, "after.py", rewritten)
    assert before == "[0, 3, 6, 9, 12] 50\npeak 50\n"
    assert after == "[0, 3, 6, 9, 12] 50\npeak 5\n"


# --- CA104: generated loop bodies keep their output -----------------------------------------

# (statement, names it binds, names it needs)
_PRE = (
    ("k = x * 2", frozenset({"k"}), frozenset()),
    ("tag = f'item-{x}'", frozenset({"tag"}), frozenset()),
    ("print('start', x)", frozenset(), frozenset()),
    ("seen.append(x)", frozenset(), frozenset()),
)
_AWAITS = (
    ("r = await fetch(x)", frozenset({"r"}), frozenset()),
    ("r = await fetch(k)", frozenset({"r"}), frozenset({"k"})),
    ("out.append(await fetch(x))", frozenset(), frozenset()),
    ("d[x] = await fetch(x)", frozenset(), frozenset()),
    ("out.append(len(str(await fetch(x))))", frozenset(), frozenset()),
    ("r, s = await pair(x)", frozenset({"r", "s"}), frozenset()),
)
_POST = (
    ("print(x, r)", frozenset(), frozenset({"r"})),
    ("out.append(r)", frozenset(), frozenset({"r"})),
    ("d[x] = r", frozenset(), frozenset({"r"})),
    ("print(tag)", frozenset(), frozenset({"tag"})),
    ("seen.append(-x)", frozenset(), frozenset()),
)
_HARNESS = """
import asyncio


async def fetch(n):
    await asyncio.sleep(0.0002 * ((n * 7) % 5))  # items finish out of order
    return n * 3


async def pair(n):
    return n, await fetch(n)


async def main(xs):
    out, d, seen = [], {{}}, []
    for x in xs:
{body}
    print(out, d, seen{after})


asyncio.run(main({items}))
"""


def _exec_output(source: str) -> str:
    import contextlib
    import io

    buffer = io.StringIO()
    with contextlib.redirect_stdout(buffer):
        exec(compile(source, "<generated>", "exec"), {"__name__": "__main__"})
    return buffer.getvalue()


@pytest.mark.slow  # ~15 s: 60 generated programs, each run twice
@given(
    pre=st.lists(st.sampled_from(_PRE), unique=True, max_size=2),
    awaited=st.sampled_from(_AWAITS),
    post=st.lists(st.sampled_from(_POST), unique=True, max_size=2),
    after=st.booleans(),
    items=st.sampled_from(["list(range(7))", "(0, 1, 2, 3, 4)"]),
)
@settings(max_examples=60, deadline=None)
def test_generated_loops_print_the_same_or_are_refused(
    pre: list[tuple[str, frozenset[str], frozenset[str]]],
    awaited: tuple[str, frozenset[str], frozenset[str]],
    post: list[tuple[str, frozenset[str], frozenset[str]]],
    after: bool,
    items: str,
) -> None:
    """Whatever the body does before and after its await, the rewrite prints what the loop
    printed, in the same order (or the fixer refuses the body)."""
    statements = [*pre, awaited, *post]
    bound: frozenset[str] = frozenset()
    for _, binds, needs in statements:
        assume(needs <= bound)
        bound |= binds
    body = "\n".join(f"        {code}" for code, _, _ in statements)
    source = _HARNESS.format(body=body, after=", x" if after else "", items=items)
    found = [f for f in _findings(source, "CA104") if f.fix_safety != "none"]
    assume(found)
    try:
        rewritten = fix_sequential_awaits(source, found[0])
    except RewriteError:
        return
    assert _exec_output(rewritten) == _exec_output(source), rewritten


SERIAL_TAILS = textwrap.dedent(
    """\
    import asyncio


    async def price(item):
        await asyncio.sleep(0.01)
        return len(item)


    async def main(items):
        total = 0
        for item in items:
            total += await price(item)
        longest = 0
        found = []
        for name in items:
            p = await price(name)
            if p > longest:
                longest = p
            if p > 3:
                found.append(p)
        return total, longest, found


    print(asyncio.run(main(["apple", "fig", "kiwi", "melon", "plum", "pear"])))
    """
)


def test_a_running_total_after_the_await_is_added_in_order(tmp_path: Path) -> None:
    after = _fix(SERIAL_TAILS, "CA104", "for item")
    assert (
        "    total = 0\n"
        "    limit = asyncio.Semaphore(20)  # at most 20 at once: a default, tune it\n"
        "\n"
        "    async def price_one(item):\n"
        "        async with limit:\n"
        "            return await price(item)\n"
        "\n"
        "    for result in await asyncio.gather(*(price_one(item) for item in items)):\n"
        "        total += result\n"
        "    longest = 0\n"
    ) in after
    assert _run(tmp_path, "after.py", after) == _run(tmp_path, "before.py", SERIAL_TAILS)


def test_ifs_that_keep_a_maximum_and_filter_run_after_the_gather(tmp_path: Path) -> None:
    after = _fix(SERIAL_TAILS, "CA104", "for name")
    assert (
        "    async def price_one(name):\n"
        "        async with limit:\n"
        "            p = await price(name)\n"
        "            return p\n"
        "\n"
        "    for p in await asyncio.gather(*(price_one(name) for name in items)):\n"
        "        if p > longest:\n"
        "            longest = p\n"
        "        if p > 3:\n"
        "            found.append(p)\n"
    ) in after
    assert _run(tmp_path, "after.py", after) == _run(tmp_path, "before.py", SERIAL_TAILS)
    both = _fix(after, "CA104", "for item")
    assert _findings(both, "CA104") == []
    assert _run(tmp_path, "both.py", both) == _run(tmp_path, "before.py", SERIAL_TAILS)


def test_a_name_set_after_the_await_and_read_before_it_is_refused() -> None:
    source = textwrap.dedent(
        """\
        async def main(items, fetch):
            total = 0
            for item in items:
                total += await fetch(item, total)
            last = None
            for key in items:
                page = await fetch(key, after=last)
                last = page
        """
    )
    assert _refusal(source, "CA104", "for item") == (
        "`total` is set after the await and read before it: the items would all start before "
        "the first one sets it"
    )
    assert _refusal(source, "CA104", "for key") == "`last` is carried from one item to the next"


def test_a_continue_after_the_await_skips_the_rest_of_the_item_after_the_gather(
    tmp_path: Path,
) -> None:
    before = _code(
        """
        import asyncio


        async def fetch(n):
            await asyncio.sleep(0.01)
            return n % 3


        async def main():
            total = 0
            for n in range(30):
                value = await fetch(n)
                if not value:
                    print("nothing for", n)
                    continue
                total += value
            return total


        print(asyncio.run(main()))
        """
    )
    after = _fix(before, "CA104", "for n")
    assert (
        "    async def fetch_one(n):\n"
        "        async with limit:\n"
        "            value = await fetch(n)\n"
        "            return n, value\n"
        "\n"
        "    for n, value in await asyncio.gather(*(fetch_one(n) for n in range(30))):\n"
        "        if not value:\n"
        '            print("nothing for", n)\n'
        "            continue\n"
        "        total += value\n"
    ) in after
    assert _run(tmp_path, "after.py", after) == _run(tmp_path, "before.py", before)


AIOHTTP_LOOP = _code(
    """
    import asyncio

    import aiohttp


    async def fetch_all(urls):
        pages = []
        async with aiohttp.ClientSession() as session:
            for url in urls:
                async with session.get(url) as response:
                    pages.append(await response.text())
        return pages
    """
)


def test_an_async_with_that_is_the_whole_body_is_entered_per_item() -> None:
    """aiohttp's own shape: each item enters the block itself. The one doubt is the session's
    cookie jar, which every item shares: a run with the real server settles it."""
    finding = _finding(AIOHTTP_LOOP, "CA104")
    assert (finding.line, finding.fix_safety, finding.run_checkable) == (9, "unsafe", True)
    assert finding.reasons == (
        "per-item work calls `aiohttp.ClientSession().get`: a session or client shared by the "
        "items keeps the cookies each response sets and sends them with the next request: "
        "overlapping requests change what the later ones send (a run with the real server "
        "shows whether it matters)",
    )
    after = _fix(AIOHTTP_LOOP, "CA104")
    assert after == _code(
        """
        import asyncio

        import aiohttp


        async def fetch_all(urls):
            pages = []
            async with aiohttp.ClientSession() as session:
                limit = asyncio.Semaphore(20)  # at most 20 at once: a default, tune it

                async def text_one(url):
                    async with limit:
                        async with session.get(url) as response:
                            return await response.text()

                pages.extend(await asyncio.gather(*(text_one(url) for url in urls)))
            return pages
        """
    )


def test_an_async_with_body_runs_the_same_once_gathered(tmp_path: Path) -> None:
    before = _code(
        """
        import asyncio


        class Response:
            def __init__(self, url):
                self.url = url

            async def __aenter__(self):
                await asyncio.sleep(0.01)
                return self

            async def __aexit__(self, *exc):
                return False

            async def text(self):
                await asyncio.sleep(0.01)
                return self.url.upper()


        async def main(urls):
            pages = []
            for url in urls:
                async with Response(url) as response:
                    pages.append(await response.text())
            return pages


        print(asyncio.run(main([f"u{i}" for i in range(30)])))
        """
    )
    after = _fix(before, "CA104")
    assert "            async with Response(url) as response:\n" in after
    assert _run(tmp_path, "after.py", after) == _run(tmp_path, "before.py", before)


def test_an_async_with_body_that_does_more_than_collect_is_refused() -> None:
    source = _code(
        """
        async def g(session, urls, out):
            for url in urls:
                async with session.get(url) as response:
                    text = await response.text()
                    print(text)
        """
    )
    assert "its body is not one collecting statement" in _refusal(source, "CA104", "for")


def test_a_filtering_continue_after_the_await_is_safe_and_runs_the_same(tmp_path: Path) -> None:
    before = _code(
        """
        import asyncio


        async def fetch(n):
            await asyncio.sleep(0.01)
            return n % 3


        async def main():
            total = 0
            for n in range(30):
                value = await fetch(n)
                if not value:
                    continue
                total += value
            return total


        print(asyncio.run(main()))
        """
    )
    assert _finding(before, "CA104").fix_safety == "safe"
    after = _fix(before, "CA104")
    assert "        if not value:\n            continue\n        total += value\n" in after
    assert _run(tmp_path, "after.py", after) == _run(tmp_path, "before.py", before)


# --- CA104: effects only, and a `with` block around the await ----------------------------------

# a program's parts, indented as the tests' other snippets (`_code` dedents them together)
_UPLOADS = """
        import asyncio

        done = []


        async def upload(path):
            await asyncio.sleep(0.01 * (len(path) % 3))
            done.append(path)


        class Slot:
            async def __aenter__(self):
                return self

            async def __aexit__(self, *exc):
                return False


        async def size_of(path):
            await asyncio.sleep(0.01 * (len(path) % 3))
            return len(path)

"""
_WITH_BLOCKS = """
        async def sizes(paths):
            found = []
            for path in paths:
                async with Slot():
                    size = await size_of(path)
                found.append(size)
            return found


        async def upload_all(paths):
            for path in paths:
                async with Slot():
                    await upload(path)
"""


def test_a_coroutine_of_the_module_awaited_for_its_effect_is_gathered() -> None:
    before = _code(
        _UPLOADS
        + """
        async def upload_all(paths):
            for path in paths:
                await upload(path)
        """
    )
    after = _code(
        _UPLOADS
        + f"""
        async def upload_all(paths):
            {DEFAULT_BOUND}

            async def upload_one(path):
                async with limit:
                    await upload(path)

            await asyncio.gather(*(upload_one(path) for path in paths))
        """
    )
    assert _fix(before, "CA104") == after


def test_a_with_block_around_the_await_runs_whole_per_item() -> None:
    before = _code(_UPLOADS + _WITH_BLOCKS)
    after = _code(
        _UPLOADS
        + f"""
        async def sizes(paths):
            found = []
            {DEFAULT_BOUND}

            async def size_of_one(path):
                async with limit:
                    async with Slot():
                        size = await size_of(path)
                    return size

            for size in await asyncio.gather(*(size_of_one(path) for path in paths)):
                found.append(size)
            return found


        async def upload_all(paths):
            limit_1 = asyncio.Semaphore(20)  # at most 20 at once: a default, tune it

            async def upload_one(path):
                async with limit_1:
                    async with Slot():
                        await upload(path)

            await asyncio.gather(*(upload_one(path) for path in paths))
        """
    )
    assert _fix_all(before) == after
    assert _fix_all(after) == after  # idempotent


def _fix_all(source: str) -> str:
    """Every fixable CA104 finding fixed, one at a time, analysing the source again after each
    (as `concadvise fix` does)."""
    while True:
        fixable = [f for f in _findings(source, "CA104") if f.fix_safety != "none"]
        if not fixable:
            return source
        source = fix_sequential_awaits(source, fixable[0])


def test_effects_and_with_blocks_print_the_same_once_gathered(tmp_path: Path) -> None:
    program = _code(
        _UPLOADS
        + _WITH_BLOCKS
        + """

        async def upload_each(paths):
            for path in paths:
                await upload(path)


        async def main():
            paths = [f"file{'x' * n}.txt" for n in range(12)]
            print(await sizes(paths))
            await upload_all(paths)
            await upload_each(paths)
            print(sorted(done))


        asyncio.run(main())
        """
    )
    rewritten = _fix_all(program)
    assert rewritten.count("asyncio.gather(") == 3  # each loop, the plain effect one too
    assert _run(tmp_path, "after.py", rewritten) == _run(tmp_path, "before.py", program)


_SEQUENCES = {
    # an unknown call awaited for its effect: one step of a conversation
    "unknown call": """
        async def broadcast(websocket, messages):
            for message in messages:
                await websocket.send(message)
        """,
    # a nested coroutine: most often a callback handed in, sending in order
    "nested coroutine": """
        async def relay(receive, messages):
            async def send(message):
                await receive(message)

            for message in messages:
                await send(message)
        """,
    # the same call repeated: a benchmark or a poll, not a list of items
    "repeated call": """
        async def query(session):
            return await session.get("/")


        async def hammer(session, count):
            for _ in range(count):
                await query(session)
        """,
}


@pytest.mark.parametrize("shape", sorted(_SEQUENCES))
def test_awaits_for_an_effect_that_are_sequences_are_no_finding(shape: str) -> None:
    assert _findings(_code(_SEQUENCES[shape]), "CA104") == []
