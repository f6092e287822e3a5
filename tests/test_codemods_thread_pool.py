"""The thread-pool codemod: exact before/after source for every loop form, the same result when
both versions run (in-process, and as real scripts), idempotence (the rewrite again, and the
analysis of the result), and the reasons it gives for loops it will not touch."""

from __future__ import annotations

import re
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import libcst as cst
import pytest

from advisor.analysis.detectors import analyse_content
from advisor.analysis.knowledge import load_knowledge
from advisor.catalog import Rule, get_rule
from advisor.codemods.thread_pool import (
    STATIC_THREAD_WORKERS,
    LoopShape,
    RewriteError,
    fix_thread_pool_loop,
    recognise_loop_shape,
    rewrite_loops_to_thread_pool,
)
from advisor.model import Finding
from conftest import script_stdout

IMPORT = "from concurrent.futures import ThreadPoolExecutor"


def _line(source: str, start: str) -> int:
    """The 1-based number of the first line that starts (after indentation) with ``start``."""
    for number, text in enumerate(source.splitlines(), start=1):
        if text.lstrip().startswith(start):
            return number
    raise AssertionError(f"no line starts with {start!r}")


def _rewrite(source: str, loops: dict[str, int]) -> str:
    """Rewrite the loops named by the start of their first line; check the result compiles,
    holds the import once and is left alone by a second run."""
    rewritten = rewrite_loops_to_thread_pool(
        source, {_line(source, start): workers for start, workers in loops.items()}
    )
    compile(rewritten, "<rewritten>", "exec", dont_inherit=True)
    assert rewritten.count(IMPORT) == 1
    assert rewrite_loops_to_thread_pool(rewritten, {}) == rewritten
    return rewritten


# --- exact rewrites ---------------------------------------------------------------------------


def test_a_filter_stays_serial_in_front_of_the_pool(tmp_path: Path) -> None:
    before = textwrap.dedent(
        """\
        import time


        def get(n):
            time.sleep(0.01)
            return n.upper()


        def main(ns):
            pages = []
            for n in ns:
                if n.endswith(".pdf"):
                    text = get(n)
                    pages.append(text[:3])
            ln = {}
            for n in ns:
                if n is None:
                    continue
                ln[n] = get(n)[:1]
            short = []
            for n in ns:
                if not n or len(n) > 5:
                    continue
                short.append(get(n))
            kept = []
            for n in ns:
                if not n: continue
                kept.append(get(n))
            return pages, ln, short, kept


        print(main(["a.pdf", "b.txt", "", "c.pdf", "dd"]))
        """
    )
    after = textwrap.dedent(
        """\
        import time
        from concurrent.futures import ThreadPoolExecutor


        def get(n):
            time.sleep(0.01)
            return n.upper()


        def main(ns):
            pages = []

            def _n_result(n):
                text = get(n)
                return text[:3]

            with ThreadPoolExecutor(max_workers=4) as executor:
                pages.extend(executor.map(_n_result, [n for n in ns if n.endswith(".pdf")]))
            ln = {}
            with ThreadPoolExecutor(max_workers=4) as executor:
                ln.update(executor.map(lambda n: (n, get(n)[:1]), [n for n in ns if n is not None]))
            short = []
            with ThreadPoolExecutor(max_workers=4) as executor:
                short.extend(executor.map(get, [n for n in ns if not (not n or len(n) > 5)]))
            kept = []
            with ThreadPoolExecutor(max_workers=4) as executor:
                kept.extend(executor.map(get, [n for n in ns if n]))
            return pages, ln, short, kept


        print(main(["a.pdf", "b.txt", "", "c.pdf", "dd"]))
        """
    )
    loops = [n for n, text in enumerate(before.splitlines(), 1) if "for n in ns" in text]
    rewritten = rewrite_loops_to_thread_pool(before, dict.fromkeys(loops, 4))
    assert rewritten == after
    assert rewrite_loops_to_thread_pool(after, {}) == after
    assert script_stdout(after, tmp_path, "after.py") == script_stdout(
        before, tmp_path, "before.py"
    )
    found = analyse_content("t.py", before.encode(), load_knowledge()).findings
    assert [(f.rule, f.fix_safety) for f in found] == [("CA101", "safe")] * 4
    assert analyse_content("t.py", after.encode(), load_knowledge()).findings == ()


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        ("    if x not in out:\n        out.append(x)\n", "the filter reads `out`"),
        (
            "    if x == last:\n        continue\n    last = x\n    out.append(f(x))\n",
            "the filter reads `last`, which the loop changes",
        ),
        ("    if x:\n        out.append(f(x))\n    else:\n        pass\n", "compound"),
        ("    if x:\n        continue\n        out.append(f(x))\n", "body contains continue"),
    ],
)
def test_a_filter_that_depends_on_the_loop_is_refused(body: str, reason: str) -> None:
    shape = recognise_loop_shape(_statement(f"for x in xs:\n{body}"))
    assert isinstance(shape, str) and reason in shape


def test_a_tuple_target_is_unpacked_by_the_item_function(tmp_path: Path) -> None:
    before = textwrap.dedent(
        """\
        import time


        def fetch(url, timeout):
            time.sleep(0.01)
            return f"{url}:{timeout}"


        def main(pairs):
            pages = []
            for url, timeout in pairs:
                pages.append(fetch(url, timeout))
            sizes = {}
            for name, (url, *rest) in enumerate(pairs):
                sizes[name] = len(fetch(url, rest))
            return pages, sizes


        print(main([("a", 1), ("b", 2), ("c", 3)]))
        """
    )
    after = textwrap.dedent(
        """\
        import time
        from concurrent.futures import ThreadPoolExecutor


        def fetch(url, timeout):
            time.sleep(0.01)
            return f"{url}:{timeout}"


        def main(pairs):
            pages = []

            def _item_result(item):
                url, timeout = item
                return fetch(url, timeout)

            with ThreadPoolExecutor(max_workers=4) as executor:
                pages.extend(executor.map(_item_result, pairs))
            sizes = {}

            def _item_result_1(item):
                name, (url, *rest) = item
                return name, len(fetch(url, rest))

            with ThreadPoolExecutor(max_workers=4) as executor:
                sizes.update(executor.map(_item_result_1, enumerate(pairs)))
            return pages, sizes


        print(main([("a", 1), ("b", 2), ("c", 3)]))
        """
    )
    assert _rewrite(before, {"for url": 4, "for name": 4}) == after
    assert script_stdout(after, tmp_path, "after.py") == script_stdout(
        before, tmp_path, "before.py"
    )
    # the analysis sees both loops as safe before, and nothing left to fix after
    found = analyse_content("t.py", before.encode(), load_knowledge()).findings
    assert [(f.rule, f.line, f.fix_safety) for f in found] == [
        ("CA101", 11, "safe"),
        ("CA101", 14, "safe"),
    ]
    assert analyse_content("t.py", after.encode(), load_knowledge()).findings == ()


def test_for_append_passes_the_function_to_map() -> None:
    before = textwrap.dedent(
        '''\
        """Download pages."""
        import json

        urls = ["a", "b"]
        pages = []
        # fetch every page
        for url in urls:
            pages.append(fetch(url))
        print(json.dumps(pages))  # done
        '''
    )
    after = textwrap.dedent(
        '''\
        """Download pages."""
        import json
        from concurrent.futures import ThreadPoolExecutor

        urls = ["a", "b"]
        pages = []
        # fetch every page
        with ThreadPoolExecutor(max_workers=8) as executor:
            pages.extend(executor.map(fetch, urls))
        print(json.dumps(pages))  # done
        '''
    )
    assert _rewrite(before, {"for url": 8}) == after


def test_for_append_in_a_function_uses_a_lambda() -> None:
    before = textwrap.dedent(
        """\
        import requests


        def sizes(urls):
            pages = []
            for url in urls:
                pages.append(len(fetch(url, timeout=3)))
            return pages
        """
    )
    after = textwrap.dedent(
        """\
        import requests
        from concurrent.futures import ThreadPoolExecutor


        def sizes(urls):
            pages = []
            with ThreadPoolExecutor(max_workers=4) as executor:
                pages.extend(executor.map(lambda url: len(fetch(url, timeout=3)), urls))
            return pages
        """
    )
    assert _rewrite(before, {"for url": 4}) == after


def test_for_append_with_an_attribute_chain_passes_it_directly() -> None:
    before = textwrap.dedent(
        """\
        pages = []
        for url in urls:
            pages.append(client.session.get(url))
        """
    )
    after = textwrap.dedent(
        """\
        from concurrent.futures import ThreadPoolExecutor

        pages = []
        with ThreadPoolExecutor(max_workers=3) as executor:
            pages.extend(executor.map(client.session.get, urls))
        """
    )
    assert _rewrite(before, {"for url": 3}) == after


def test_for_dict_item() -> None:
    before = textwrap.dedent(
        """\
        import os

        def stat_all(paths):
            sizes = {}
            for path in paths:
                sizes[path] = os.stat(path).st_size
            return sizes
        """
    )
    after = textwrap.dedent(
        """\
        import os
        from concurrent.futures import ThreadPoolExecutor

        def stat_all(paths):
            sizes = {}
            with ThreadPoolExecutor(max_workers=16) as executor:
                sizes.update(executor.map(lambda path: (path, os.stat(path).st_size), paths))
            return sizes
        """
    )
    assert _rewrite(before, {"for path": 16}) == after


def test_for_augassign_keeps_the_reduction_order() -> None:
    before = textwrap.dedent(
        """\
        total = 0
        for name in files:
            total += count_lines(name)
        """
    )
    after = textwrap.dedent(
        """\
        from concurrent.futures import ThreadPoolExecutor

        total = 0
        with ThreadPoolExecutor(max_workers=5) as executor:
            for result in executor.map(count_lines, files):
                total += result
        """
    )
    assert _rewrite(before, {"for name": 5}) == after


def test_list_comp_with_a_filter_keeps_the_filter_serial() -> None:
    before = textwrap.dedent(
        """\
        def bodies(urls):
            pages = [fetch(u) for u in urls if u.startswith("https")]
            return pages
        """
    )
    after = textwrap.dedent(
        """\
        from concurrent.futures import ThreadPoolExecutor

        def bodies(urls):
            with ThreadPoolExecutor(max_workers=6) as executor:
                pages = list(executor.map(fetch, [u for u in urls if u.startswith("https")]))
            return pages
        """
    )
    assert _rewrite(before, {"pages =": 6}) == after


def test_list_comp_return_form() -> None:
    before = textwrap.dedent(
        """\
        def lengths(urls):
            return [len(fetch(u)) for u in urls]
        """
    )
    after = textwrap.dedent(
        """\
        from concurrent.futures import ThreadPoolExecutor

        def lengths(urls):
            with ThreadPoolExecutor(max_workers=2) as executor:
                return list(executor.map(lambda u: len(fetch(u)), urls))
        """
    )
    assert _rewrite(before, {"return": 2}) == after


def test_dict_comp_on_an_attribute_in_a_method() -> None:
    before = textwrap.dedent(
        """\
        class Checker:
            def run(self, paths):
                # one checksum per file
                self.sums = {p: checksum(p) for p in paths}
        """
    )
    after = textwrap.dedent(
        """\
        from concurrent.futures import ThreadPoolExecutor

        class Checker:
            def run(self, paths):
                # one checksum per file
                with ThreadPoolExecutor(max_workers=4) as executor:
                    self.sums = dict(executor.map(lambda p: (p, checksum(p)), paths))
        """
    )
    assert _rewrite(before, {"self.sums": 4}) == after


def test_comments_in_and_around_the_loop_are_kept() -> None:
    before = textwrap.dedent(
        """\
        import sys  # first

        def main(urls):
            pages = []

            # fetch them all
            for url in urls:  # slow part
                # one request per url
                pages.append(fetch(url))  # network
                # nothing else here
            # after the loop
            return pages
        """
    )
    after = textwrap.dedent(
        """\
        import sys  # first
        from concurrent.futures import ThreadPoolExecutor

        def main(urls):
            pages = []

            # fetch them all
            with ThreadPoolExecutor(max_workers=8) as executor:  # slow part
                # one request per url
                pages.extend(executor.map(fetch, urls))  # network
                # nothing else here
            # after the loop
            return pages
        """
    )
    assert _rewrite(before, {"for url": 8}) == after


def test_a_comment_between_comprehension_clauses_moves_in_front() -> None:
    before = textwrap.dedent(
        """\
        pages = [
            fetch(u)  # the slow call
            for u in urls
        ]
        """
    )
    after = textwrap.dedent(
        """\
        from concurrent.futures import ThreadPoolExecutor

        # the slow call
        with ThreadPoolExecutor(max_workers=2) as executor:
            pages = list(executor.map(fetch, urls))
        """
    )
    assert _rewrite(before, {"pages =": 2}) == after


def test_an_existing_from_import_is_not_duplicated() -> None:
    before = textwrap.dedent(
        """\
        from concurrent.futures import ThreadPoolExecutor

        pages = []
        for url in urls:
            pages.append(fetch(url))
        """
    )
    after = textwrap.dedent(
        """\
        from concurrent.futures import ThreadPoolExecutor

        pages = []
        with ThreadPoolExecutor(max_workers=2) as executor:
            pages.extend(executor.map(fetch, urls))
        """
    )
    assert _rewrite(before, {"for url": 2}) == after


def test_import_concurrent_futures_gets_the_from_import_once() -> None:
    before = textwrap.dedent(
        """\
        import concurrent.futures

        pages = []
        for url in urls:
            pages.append(fetch(url))
        """
    )
    after = textwrap.dedent(
        """\
        import concurrent.futures
        from concurrent.futures import ThreadPoolExecutor

        pages = []
        with ThreadPoolExecutor(max_workers=2) as executor:
            pages.extend(executor.map(fetch, urls))
        """
    )
    assert _rewrite(before, {"for url": 2}) == after


def test_names_executor_and_result_in_use_get_a_suffix() -> None:
    before = textwrap.dedent(
        """\
        executor = "local"
        result_1 = None
        result = 0
        total = 0
        for name in files:
            total -= size(name, executor)
        """
    )
    after = textwrap.dedent(
        """\
        from concurrent.futures import ThreadPoolExecutor

        executor = "local"
        result_1 = None
        result = 0
        total = 0
        with ThreadPoolExecutor(max_workers=3) as executor_1:
            for result_2 in executor_1.map(lambda name: size(name, executor), files):
                total -= result_2
        """
    )
    assert _rewrite(before, {"for name": 3}) == after


def test_loops_in_nested_blocks_and_several_at_once() -> None:
    before = textwrap.dedent(
        """\
        def outer(batches, retry):
            for batch in batches:
                if batch:
                    try:
                        out = []
                        for item in batch: out.append(load(item))
                        counts = {item: len(item) for item in out}
                    except OSError:
                        retry()
        """
    )
    after = textwrap.dedent(
        """\
        from concurrent.futures import ThreadPoolExecutor

        def outer(batches, retry):
            for batch in batches:
                if batch:
                    try:
                        out = []
                        with ThreadPoolExecutor(max_workers=2) as executor:
                            out.extend(executor.map(load, batch))
                        with ThreadPoolExecutor(max_workers=3) as executor:
                            counts = dict(executor.map(lambda item: (item, len(item)), out))
                    except OSError:
                        retry()
        """
    )
    assert _rewrite(before, {"for item": 2, "counts =": 3}) == after


def test_a_bare_tuple_is_parenthesised() -> None:
    before = textwrap.dedent(
        """\
        table = {}
        for key in keys:
            table[key] = key.upper(), fetch(key)
        """
    )
    after = textwrap.dedent(
        """\
        from concurrent.futures import ThreadPoolExecutor

        table = {}
        with ThreadPoolExecutor(max_workers=2) as executor:
            table.update(executor.map(lambda key: (key, (key.upper(), fetch(key))), keys))
        """
    )
    assert _rewrite(before, {"for key": 2}) == after


def test_a_function_that_depends_on_the_item_is_not_passed_directly() -> None:
    before = "done = []\nfor job in jobs:\n    done.append(job.run(job))\n"
    after = (
        f"{IMPORT}\n\ndone = []\nwith ThreadPoolExecutor(max_workers=2) as executor:\n"
        "    done.extend(executor.map(lambda job: job.run(job), jobs))\n"
    )
    assert _rewrite(before, {"for job": 2}) == after


def test_rewriting_the_output_again_keeps_one_import() -> None:
    source = textwrap.dedent(
        """\
        pages = []
        for url in urls:
            pages.append(fetch(url))
        sizes = [len(p) for p in pages]
        """
    )
    twice = textwrap.dedent(
        """\
        from concurrent.futures import ThreadPoolExecutor

        pages = []
        with ThreadPoolExecutor(max_workers=2) as executor:
            pages.extend(executor.map(fetch, urls))
        with ThreadPoolExecutor(max_workers=3) as executor_1:
            sizes = list(executor_1.map(len, pages))
        """
    )
    once = _rewrite(source, {"for url": 2})
    # `executor` is now a name the module uses, so the second pool takes the next free one.
    assert _rewrite(once, {"sizes =": 3}) == twice


def test_no_loops_requested_returns_the_source_unchanged() -> None:
    source = "for url in urls:\n    pages.append(fetch(url))\n"
    assert rewrite_loops_to_thread_pool(source, {}) == source


# --- the rewritten code computes the same result ------------------------------------------

_PRELUDE = textwrap.dedent(
    """\
    LOG = []

    def fetch(item):
        LOG.append(item)
        return f"<{item}>" * (len(str(item)) % 3 + 1)

    def checksum(item):
        return sum(map(ord, str(item))) % 97

    items = [f"item{i}" for i in range(40)] + ["item3", "x"]
    """
)

_PROGRAMS: dict[str, tuple[str, str]] = {
    "for_append": (
        "out = []\nfor it in items:\n    out.append(fetch(it))\n",
        "for it",
    ),
    "for_append_lambda": (
        "out = []\nfor it in items:\n    out.append((it, len(fetch(it)) * 2))\n",
        "for it",
    ),
    "for_dict_item": (
        "out = {}\nfor it in items:\n    out[it] = checksum(it) + len(fetch(it))\n",
        "for it",
    ),
    "for_augassign": (
        "out = ''\nfor it in items:\n    out += fetch(it)\n",
        "for it",
    ),
    "for_augassign_other_operator": (
        "out = 1\nfor it in items:\n    out *= checksum(it) + 1\n",
        "for it",
    ),
    "list_comp": (
        "out = [fetch(it) for it in items if checksum(it) % 2]\n",
        "out =",
    ),
    "list_comp_return": (
        "def run(xs):\n    return [checksum(fetch(x)) for x in xs]\nout = run(items)\n",
        "return [",
    ),
    "dict_comp": (
        "out = {fetch(it): checksum(it) for it in items if it != 'x'}\n",
        "out =",
    ),
    "in_a_function": (
        "def run(xs):\n    acc = {}\n    for x in xs:\n        acc[x] = fetch(x)\n"
        "    return acc\nout = run(items)\n",
        "for x",
    ),
}


def _run(program: str) -> Any:
    namespace: dict[str, Any] = {}
    exec(compile(program, "<program>", "exec", dont_inherit=True), namespace)
    return namespace["out"]


@pytest.mark.parametrize("name", sorted(_PROGRAMS))
def test_the_rewrite_computes_the_same_result(name: str) -> None:
    body, loop = _PROGRAMS[name]
    original = _PRELUDE + body
    rewritten = _rewrite(original, {loop: 4})
    assert "executor.map(" in rewritten
    expected = _run(original)
    assert _run(rewritten) == expected
    if isinstance(expected, dict):
        assert list(_run(rewritten)) == list(expected)  # insertion order too


# --- shapes and reasons -------------------------------------------------------------------


def _statement(source: str) -> cst.CSTNode:
    """The first statement of ``source``, or the first statement inside it if it is a def."""
    statement: cst.CSTNode = cst.parse_module(textwrap.dedent(source)).body[0]
    if isinstance(statement, cst.FunctionDef):
        statement = statement.body.body[0]
    return statement


@pytest.mark.parametrize(
    ("source", "reason"),
    [
        ("out = [a for a, b in pairs]\n", "loop target is a tuple"),
        ("for self.a in xs:\n    out.append(self.a)\n", "loop target is not a plain name"),
        ("for a, b.c in pairs:\n    out.append(a)\n", "loop target is a tuple"),
        ("for a in xs:\n    out.append(a)\nelse:\n    pass\n", "loop has an else clause"),
        (
            "for a in xs:\n    out.append(a)\n    out.append(a)\n",
            "the body uses the accumulator `out` before its last statement",
        ),
        ("for a in xs:\n    out.append(a); log(a)\n", "body has several statements"),
        ("for a in xs:\n    if a:\n        break\n    out.append(a)\n", "body contains break"),
        ("async def f():\n    async for a in xs:\n        out.append(a)\n", "loop is async"),
        ("out = [a for b in xs for a in b]\n", "comprehension has several for clauses"),
        ("out = [a async for a in xs]\n", "comprehension is async"),
        ("for a in xs:\n    out.append(len(out))\n", "expression reads the accumulator"),
        ("for a in out:\n    out.append(a)\n", "iterable reads the accumulator"),
        ("for a in xs:\n    out.append(lambda: a)\n", "closure over the loop variable"),
        ("for a in xs:\n    d[a.id] = a\n", "dict key is not the loop variable"),
        ("for a in xs:\n    print(a)\n", "body is not"),
        ("out = {a for a in xs}\n", "set comprehensions"),
        ("out = [a for a in xs] + [1]\n", "not the whole assigned value"),
        ("out = [y for a in xs if (y := f(a))]\n", "assignment expression"),
        ("x = 1\n", "holds no loop or comprehension"),
        ("while x:\n    pass\n", "while loops are not rewritten"),
    ],
)
def test_recognise_loop_shape_gives_a_reason(source: str, reason: str) -> None:
    shape = recognise_loop_shape(_statement(source))
    assert isinstance(shape, str)
    assert reason in shape


@pytest.mark.parametrize(
    ("source", "form", "accumulator"),
    [
        ("for u in urls:\n    pages.append(fetch(u))\n", "for_append", "pages"),
        ("for u in urls:\n    pages[u] = fetch(u)\n", "for_dict_item", "pages"),
        ("for u in urls:\n    total += fetch(u)\n", "for_augassign", "total"),
        ("self.pages = [fetch(u) for u in urls if u]\n", "list_comp", "self.pages"),
        ("def f():\n    return [fetch(u) for u in urls]\n", "list_comp", None),
        ("pages = {u: fetch(u) for u in urls}\n", "dict_comp", "pages"),
    ],
)
def test_recognise_loop_shape_takes_the_loop_apart(
    source: str, form: str, accumulator: str | None
) -> None:
    shape = recognise_loop_shape(_statement(source))
    assert isinstance(shape, LoopShape)
    assert (shape.form, shape.target, shape.accumulator) == (form, "u", accumulator)
    assert cst.Module([]).code_for_node(shape.iterable) == "urls"


# --- refusals -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("source", "line", "workers", "message"),
    [
        ("x = 1\ny = 2\n", 2, 4, "line 2: statement holds no loop or comprehension"),
        ("x = 1\n\n# note\n", 3, 4, "line 3: no loop starts on this line"),
        ("out = [a for a, b in xs]\n", 1, 4, "line 1: loop target is a tuple"),
        ("class A:\n    for a in xs:\n        out.append(a)\n", 2, 4, "line 2: loop is directly"),
        ("list = []\nout = [f(a) for a in xs]\n", 2, 4, "line 2: the module rebinds"),
        ("out = [f(a) for a in xs]\n", 1, 0, "line 1: max_workers must be a positive"),
        ("if xs: out = [f(a) for a in xs]\n", 1, 4, "line 1: statement is on the same line"),
    ],
)
def test_rewrite_error_names_the_line_and_reason(
    source: str, line: int, workers: int, message: str
) -> None:
    with pytest.raises(RewriteError, match=message):
        rewrite_loops_to_thread_pool(source, {line: workers})


# --- several statements, every accumulator ------------------------------------------------------


def test_several_statements_become_a_function_next_to_the_loop() -> None:
    before = textwrap.dedent(
        """\
        import urllib.request


        def fetch_all(urls, timeout):
            pages = []
            # fetch them all
            for url in urls:  # slow part
                # one request per url
                response = urllib.request.urlopen(url, timeout=timeout)
                body = response.read()  # bytes
                pages.append(body.decode())
                # nothing else here
            return pages
        """
    )
    after = textwrap.dedent(
        """\
        import urllib.request
        from concurrent.futures import ThreadPoolExecutor


        def fetch_all(urls, timeout):
            pages = []
            # fetch them all
            def _url_result(url):
                # one request per url
                response = urllib.request.urlopen(url, timeout=timeout)
                body = response.read()  # bytes
                return body.decode()

            with ThreadPoolExecutor(max_workers=8) as executor:  # slow part
                pages.extend(executor.map(_url_result, urls))
                # nothing else here
            return pages
        """
    )
    assert _rewrite(before, {"for url": 8}) == after


def test_several_statements_at_module_level_keep_the_reduction_order() -> None:
    before = textwrap.dedent(
        """\
        from time import sleep

        total = 0
        for item in items:
            sleep(0.1)
            total += item
        """
    )
    after = textwrap.dedent(
        """\
        from time import sleep
        from concurrent.futures import ThreadPoolExecutor

        total = 0


        def _item_result(item):
            sleep(0.1)
            return item


        with ThreadPoolExecutor(max_workers=8) as executor:
            for result in executor.map(_item_result, items):
                total += result
        """
    )
    assert _rewrite(before, {"for item": 8}) == after


def test_temporaries_and_a_dict_item() -> None:
    before = textwrap.dedent(
        """\
        import os

        def sizes(paths):
            found = {}
            for path in paths:
                info = os.stat(path)
                if info.st_size:
                    size = info.st_size
                else:
                    size = -1
                found[path] = size
            return found
        """
    )
    after = textwrap.dedent(
        """\
        import os
        from concurrent.futures import ThreadPoolExecutor

        def sizes(paths):
            found = {}

            def _path_result(path):
                info = os.stat(path)
                if info.st_size:
                    size = info.st_size
                else:
                    size = -1
                return path, size

            with ThreadPoolExecutor(max_workers=4) as executor:
                found.update(executor.map(_path_result, paths))
            return found
        """
    )
    assert _rewrite(before, {"for path": 4}) == after


def test_set_add_becomes_update() -> None:
    before = "seen = set()\nfor url in urls:\n    seen.add(fetch(url))\n"
    after = (
        f"{IMPORT}\n\nseen = set()\nwith ThreadPoolExecutor(max_workers=2) as executor:\n"
        "    seen.update(executor.map(fetch, urls))\n"
    )
    assert _rewrite(before, {"for url": 2}) == after


def test_extend_takes_each_result_in_order() -> None:
    before = "words = []\nfor url in urls:\n    words.extend(fetch(url).split())\n"
    after = (
        f"{IMPORT}\n\nwords = []\nwith ThreadPoolExecutor(max_workers=2) as executor:\n"
        "    for result in executor.map(lambda url: fetch(url).split(), urls):\n"
        "        words.extend(result)\n"
    )
    assert _rewrite(before, {"for url": 2}) == after


def test_a_generator_consumed_at_once_is_not_a_closure() -> None:
    before = "scores = []\nfor word in words:\n    scores.append(sum(ord(c) for c in word))\n"
    after = (
        f"{IMPORT}\n\nscores = []\nwith ThreadPoolExecutor(max_workers=2) as executor:\n"
        "    scores.extend(executor.map(lambda word: sum(ord(c) for c in word), words))\n"
    )
    assert _rewrite(before, {"for word": 2}) == after


def test_the_file_keeps_its_line_endings_and_tabs() -> None:
    before = "def f(urls):\r\n\tout = []\r\n\tfor u in urls:\r\n\t\tout.append(fetch(u))\r\n"
    after = (
        f"{IMPORT}\r\n\r\ndef f(urls):\r\n\tout = []\r\n"
        "\twith ThreadPoolExecutor(max_workers=2) as executor:\r\n"
        "\t\tout.extend(executor.map(fetch, urls))\r\n"
    )
    assert _rewrite(before, {"for u": 2}) == after


@pytest.mark.parametrize(
    ("source", "message"),
    [
        (
            "def f(us):\n    for u in us:\n        d = get(u)\n        out.append(d)\n"
            "    return d\n",
            "line 2: `d`, assigned in the loop body, is read after the loop",
        ),
        (
            "for u in us:\n    out.append(get(u))\nprint(u)\n",
            "line 1: the loop variable `u` is read after the loop",
        ),
        (
            "def f(us):\n    global d\n    for u in us:\n        d = get(u)\n"
            "        out.append(d)\n",
            "line 3: the loop sets `d`, declared global in `f()`",
        ),
        (
            "def show():\n    print(d)\nfor u in us:\n    d = get(u)\n    out.append(d)\n",
            "line 3: the loop sets the global `d`, which `show` reads",
        ),
        (
            "for u in us:\n    if u:\n        d = get(u)\n    out.append(d)\n",
            "line 1: `d` may keep its value from the previous iteration",
        ),
        (
            "for u in us:\n    seen.add(u)\n    out.append(get(u))\n",
            "line 1: the loop body also changes `seen`, which every item shares",
        ),
        (
            "for u in us:\n    d = get(u)\n    out.append(lambda: d)\n",
            "line 1: a closure made in the loop body reads `d`",
        ),
        (
            "for u in us:\n    def g():\n        return u\n    out.append(g())\n",
            "line 1: the loop body defines a function or class",
        ),
        (
            "def f(us):\n    for u in us:\n        d = get(u, out)\n        out.append(d)\n",
            "line 2: the body uses the accumulator `out` before its last statement",
        ),
        (
            # the tail feeds the work (`n`): no fission
            "for u in us:\n    d = get(u, n)\n    print(d)\n    n += 1\n",
            "line 1: the body uses the accumulator `n` before its last statement",
        ),
        (
            "def f(bs):\n    last = None\n    for b in bs:\n        print(last)\n"
            "        for x in b:\n            last = get(x)\n            out.append(last)\n",
            "line 5: `last`, assigned in the loop body, is read after the loop",
        ),
        (
            "x = [\n    1]; out = [get(a) for a in x]\n",
            "line 2: line has several statements",
        ),
    ],
)
def test_several_statements_are_refused_when_meaning_could_change(
    source: str, message: str
) -> None:
    with pytest.raises(RewriteError, match=re.escape(message)):
        rewrite_loops_to_thread_pool(source, {int(message.split(":")[0][5:]): 4})


# --- real runs: the rewritten script prints the same ---------------------------------------------

_SCRIPTS: dict[str, tuple[str, str]] = {
    "several_statements_in_a_function": (
        """\
        import hashlib

        def digests(blobs, rounds):
            out = []
            for blob in blobs:
                data = blob * rounds
                for _ in range(3):
                    data = hashlib.sha256(data).digest()
                out.append(data.hex()[:12])
            return out

        print(digests([bytes([i]) * 64 for i in range(30)], 5))
        """,
        "for blob",
    ),
    "module_level_reductions": (
        """\
        import zlib

        blobs = [bytes(range(i % 200)) * 50 for i in range(40)]
        sizes = {}
        for n in range(40):
            packed = zlib.compress(blobs[n], 9)
            sizes[n] = len(packed)
        total = 0
        for blob in blobs:
            ratio = len(zlib.compress(blob)) / max(1, len(blob))
            total += round(ratio, 3)
        print(list(sizes.items())[:5], round(total, 3))
        """,
        "for n",
    ),
    "exception_surfaces_first_in_order": (
        """\
        def check(n):
            if n in (7, 3):
                raise ValueError(f"bad {n}")
            return n

        out = []
        try:
            for n in range(10):
                value = check(n)
                out.append(value)
        except ValueError as error:
            print("error:", error)
        """,
        "for n",
    ),
}


def _stdout(path: Path) -> str:
    done = subprocess.run(
        [sys.executable, str(path)], capture_output=True, text=True, timeout=60, check=True
    )
    return done.stdout


@pytest.mark.parametrize("name", sorted(_SCRIPTS))
def test_the_rewritten_script_prints_the_same(name: str, tmp_path: Path) -> None:
    code, loop = _SCRIPTS[name]
    original = textwrap.dedent(code)
    rewritten = _rewrite(original, {loop: 4})
    assert rewritten != original
    (tmp_path / "before.py").write_text(original)
    (tmp_path / "after.py").write_text(rewritten)
    assert _stdout(tmp_path / "after.py") == _stdout(tmp_path / "before.py")


# --- the fixer, the rule files and the analysis agree ---------------------------------------------


def _findings(source: str) -> list[Finding]:
    return list(analyse_content("example.py", source.encode(), load_knowledge()).findings)


def _rule(code: str) -> Rule:
    return get_rule(code)


@pytest.mark.parametrize("code", ["CA101", "CA103"])
def test_the_rule_example_is_fixed_as_documented(code: str) -> None:
    rule = _rule(code)
    before = textwrap.dedent(rule.example_flagged)
    [finding] = [f for f in _findings(before) if f.rule == code]
    assert fix_thread_pool_loop(before, finding) == textwrap.dedent(rule.example_fixed)


@pytest.mark.parametrize(
    "source",
    [
        textwrap.dedent(example.code)
        for example in (*_rule("CA101").must_flag, *_rule("CA103").must_flag)
    ],
)
def test_a_fixed_loop_is_not_reported_again(source: str) -> None:
    [finding] = [f for f in _findings(source) if f.rule in ("CA101", "CA103")]
    try:
        fixed = fix_thread_pool_loop(source, finding)
    except RewriteError:
        assert finding.fix_safety != "safe"  # a safe finding is always fixable
        return
    again = [f for f in _findings(fixed) if f.rule in ("CA101", "CA103")]
    assert [f for f in again if f.line == finding.line and f.fix_safety != "none"] == []


def test_default_workers_without_a_profile() -> None:
    source = "for url in urls:\n    pages.append(fetch(url))\n"
    finding = Finding(
        "CA101", "m.py", 1, 2, "m", kind="io", suggestion="thread_pool", fix_safety="safe"
    )
    assert f"max_workers={STATIC_THREAD_WORKERS})" in fix_thread_pool_loop(source, finding)


@pytest.mark.slow
def test_a_loop_at_the_end_of_a_huge_module() -> None:
    """A 60,000-line module: only the loop's lines are parsed with libcst (this took ~70 s when
    the whole module was; now about as long as Python's own parser takes)."""
    filler = "".join(f"v{i} = {i}\n" for i in range(60_000))
    loop = "out = []\nfor u in urls:\n    out.append(time.sleep(u))\n"
    rewritten = rewrite_loops_to_thread_pool(filler + loop, {60_002: 8})
    assert rewritten == (
        f"{IMPORT}\n\n{filler}out = []\nwith ThreadPoolExecutor(max_workers=8) as executor:\n"
        "    out.extend(executor.map(time.sleep, urls))\n"
    )


def test_a_tuple_target_written_without_spaces_is_rewritten() -> None:
    # `for(k, v)in pairs:` is valid Python: the one-name loop it stands for needs the spaces
    before = (
        "import time\n\n\ndef f(pairs):\n    out = []\n    for(k, v)in pairs:\n"
        "        out.append(time.sleep(k + v))\n    return out\n"
    )
    assert _rewrite(before, {"for(k, v)in pairs:": 4}) == (
        "import time\nfrom concurrent.futures import ThreadPoolExecutor\n\n\n"
        "def f(pairs):\n    out = []\n\n    def _item_result(item):\n        (k, v) = item\n"
        "        return time.sleep(k + v)\n\n"
        "    with ThreadPoolExecutor(max_workers=4) as executor:\n"
        "        out.extend(executor.map(_item_result, pairs))\n    return out\n"
    )
