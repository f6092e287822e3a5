"""Loop sites, their shapes and fix-safety reasons, on exact snippets."""

from __future__ import annotations

import textwrap

import pytest

from advisor.analysis.facts import module_facts
from advisor.analysis.knowledge import load_knowledge
from advisor.analysis.loops import find_loop_sites
from advisor.model import LoopSite
from advisor.syntax.source import Source


def sites(code: str) -> list[LoopSite]:
    source = Source.of_text(path="m.py", text=textwrap.dedent(code))
    return find_loop_sites(module_facts(source, load_knowledge()))


def only(code: str) -> LoopSite:
    found = [s for s in sites(code) if s.io_calls]
    assert len(found) == 1, found
    return found[0]


@pytest.mark.parametrize(
    ("code", "expected"),
    [
        (
            "import urllib.request as ur\nfor u in us:\n    out.append(ur.urlopen(u))\n",
            ("urllib.request.urlopen",),
        ),
        (
            "from urllib.request import urlopen as get\nfor u in us:\n    out.append(get(u))\n",
            ("urllib.request.urlopen",),
        ),
        (
            "import requests\ns = requests.Session()\nfor u in us:\n    out.append(s.get(u))\n",
            ("requests.Session().get",),
        ),
        ("from time import sleep\nfor u in us:\n    total += sleep(u)\n", ("time.sleep",)),
        ("for p in ps:\n    out.append(open(p).read())\n", ("builtins.open",)),
        (
            "import subprocess as sp\nr = [sp.check_output(c) for c in cs]\n",
            ("subprocess.check_output",),
        ),
    ],
)
def test_blocking_calls_resolve_through_import_aliases(
    code: str, expected: tuple[str, ...]
) -> None:
    assert only(code).io_calls == expected


def test_calling_an_async_def_blocks_only_where_its_coroutine_is_run() -> None:
    code = """
        import asyncio, time
        async def watch(n):
            time.sleep(n)
        async def main(ns):
            done = await asyncio.gather(*(watch(n) for n in ns))
            for n in ns:
                await watch(n)
            return [asyncio.run(watch(n)) for n in ns]
        """
    # the generator only makes coroutines for gather; the awaited and the run ones block
    assert [(s.line, s.io_calls) for s in sites(code)] == [
        (6, ()),
        (7, ("time.sleep",)),
        (9, ("time.sleep",)),
    ]


def test_blocking_call_is_followed_through_same_module_functions() -> None:
    site = only(
        """
        import socket

        def connect(host):
            return socket.create_connection((host, 80))

        def probe(host):
            return connect(host)

        for host in hosts:
            results.append(probe(host))
        """
    )
    assert (site.line, site.end_line, site.form, site.target) == (10, 11, "for_append", "host")
    assert site.io_calls == ("socket.create_connection",)
    assert site.unsafe_reasons == ()


def test_a_shadowed_name_is_not_a_blocking_call() -> None:
    assert [
        s
        for s in sites("def sleep(x):\n    return x\nfor i in r:\n    t += sleep(i)\n")
        if s.io_calls
    ] == []


def test_constructors_listed_as_exceptions_do_not_block() -> None:
    assert [
        s for s in sites("import requests\nc = [requests.Session() for _ in r]\n") if s.io_calls
    ] == []


UNSAFE_CASES = [
    (
        "carried",
        """
        import time
        token = "start"
        for _ in range(20):
            token = fetch(token)
        def fetch(t):
            time.sleep(0.1)
            return t
        """,
        ("`token` is carried from one iteration to the next",),
    ),
    (
        "break",
        """
        import time
        for a in accounts:
            if time.sleep(a):
                found = a
                break
        """,
        ("`break` ends the loop early (a search): later items must not run",),
    ),
    (
        "print",
        """
        import time
        for u in urls:
            print(u)
            out.append(time.sleep(u))
        """,
        (
            "per-item work produces ordered output (`builtins.print`): concurrent items would "
            "interleave it",
        ),
    ),
    (
        "progress-bar",
        """
        import time
        from tqdm import tqdm
        for u in tqdm(urls):
            out.append(time.sleep(u))
        """,
        (
            "the loop iterates a progress bar (`tqdm.tqdm`): a pool takes every item at once, so "
            "the bar would count items handed over, not items done (wrap the pool's results "
            "instead)",
        ),
    ),
    (
        "print-in-callee",
        """
        import time, logging
        log = logging.getLogger(__name__)
        def get(u):
            log.info("getting %s", u)
            return time.sleep(u)
        out = [get(u) for u in urls]
        """,
        (
            "`get()` produces ordered output (`logging.getLogger().info`): concurrent items "
            "would interleave it",
        ),
    ),
    (
        "global-write-in-callee",
        """
        import time
        seen = set()
        def get(u):
            seen.add(u)
            return time.sleep(u)
        for u in urls:
            out.append(get(u))
        """,
        ("`get()` mutates `seen` (`.add()`), which every item shares",),
    ),
    (
        "else",
        """
        import time
        for u in urls:
            out.append(time.sleep(u))
        else:
            done = True
        """,
        ("the loop has an `else` clause that depends on how it ends",),
    ),
    (
        "target-after",
        """
        import time
        for u in urls:
            out.append(time.sleep(u))
        print(u)
        """,
        ("the loop variable `u` is read after the loop",),
    ),
    (
        "attribute-write",
        """
        import time
        for u in urls:
            self.last = time.sleep(u)
        """,
        ("per-item work writes `self.last`, which every item shares",),
    ),
    (
        # `os.remove` has a list's method name, but `os` is a module: no value is carried; a
        # module the body binds again is a value
        "module-call",
        """
        import os, shutil as sh
        for name in names:
            os.remove(name)
            sh.copy(name, os.path.join("out", name))
            if name == "last":
                sh = None
        """,
        # (the removal is a doubt a run settles: checkable_reasons)
        ("`sh` is carried from one iteration to the next",),
    ),
]


@pytest.mark.parametrize(
    ("name", "code", "reasons"), UNSAFE_CASES, ids=[c[0] for c in UNSAFE_CASES]
)
def test_unsafe_loops_list_their_reasons(name: str, code: str, reasons: tuple[str, ...]) -> None:
    assert only(code).unsafe_reasons == reasons


def test_a_temporary_written_before_it_is_read_is_not_carried() -> None:
    site = only(
        """
        import time
        for u in urls:
            body = time.sleep(u)
            out.append(body)
        """
    )
    assert site.unsafe_reasons == ()
    # the codemod moves `body = ...` into the function each item runs
    assert (site.unsupported_reason, site.form) == (None, "for_append")


def test_a_loop_variable_rebound_before_it_is_read_again_is_fine() -> None:
    site = only(
        """
        import time
        pages = []
        for url in urls:
            pages.append(time.sleep(url))
        for url, page in zip(urls, pages):
            print(url, page)
        """
    )
    assert site.unsafe_reasons == ()
    assert site.form == "for_append"


def test_with_as_binding_in_the_body_is_not_carried() -> None:
    site = only(
        """
        for name in names:
            with open(name, "w") as f:
                f.write(name)
        """
    )
    assert site.unsafe_reasons == ()


def test_a_function_defined_in_the_body_does_nothing_until_called() -> None:
    site = only(
        """
        import time
        for u in urls:
            def report(x):
                print(x)
            out.append(time.sleep(u))
        """
    )
    assert site.unsafe_reasons == ()


@pytest.mark.parametrize(
    ("body", "form"),
    [
        ("seen.add(time.sleep(u))", "for_set_add"),
        ("words.extend(time.sleep(u))", "for_extend"),
        ("page = time.sleep(u)\n    sizes[u] = page", "for_dict_item"),
        (
            "page = time.sleep(u)\n    if page:\n        page = 1\n    total += page",
            "for_augassign",
        ),
    ],
)
def test_the_forms_the_codemod_rewrites(body: str, form: str) -> None:
    site = only(f"import time\nfor u in urls:\n    {body}\n")
    assert (site.form, site.unsupported_reason, site.unsafe_reasons) == (form, None, ())


def test_a_temporary_read_after_the_loop_is_unsafe() -> None:
    site = only(
        """
        import time
        for u in urls:
            page = time.sleep(u)
            out.append(page)
        print(page)
        """
    )
    assert site.unsafe_reasons == ("`page`, assigned in the loop body, is read after the loop",)


def test_a_second_collection_filled_in_the_body_is_shared_state() -> None:
    site = only(
        """
        import time
        for u in urls:
            seen.add(u)
            out.append(time.sleep(u))
        """
    )
    assert site.unsafe_reasons == (
        "per-item work mutates `seen` (`.add()`), which every item shares",
    )
    assert site.unsupported_reason == "the loop body also changes `seen`, which every item shares"


def test_a_comprehension_variable_of_the_same_name_is_not_the_loop_variable() -> None:
    site = only(
        """
        import time
        for u in urls:
            out.append(time.sleep(u))
        sizes = {u: len(u) for u in out}
        """
    )
    assert site.unsafe_reasons == ()


def test_the_analysis_gives_the_codemod_s_reasons() -> None:
    site = only(
        """
        import time
        for u in urls:
            if u:
                page = time.sleep(u)
            out.append(page)
        """
    )
    assert site.unsupported_reason == "`page` may keep its value from the previous iteration"
    [site] = [s for s in sites("import time\nif ok: out = [time.sleep(u) for u in us]\n")]
    assert site.unsupported_reason == "statement is on the same line as its block header"


def test_a_temporary_read_again_in_the_next_iteration_of_an_outer_loop_is_unsafe() -> None:
    [site] = [
        s
        for s in sites(
            """
            import time
            def f(batches):
                last = None
                for batch in batches:
                    print(last)
                    for u in batch:
                        last = time.sleep(u)
                        out.append(last)
            """
        )
        if s.line == 7
    ]
    assert "`last`, assigned in the loop body, is read after the loop" in site.unsafe_reasons
