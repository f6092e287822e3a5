"""Loops that start or wait for concurrent work already there are told from serial loops."""

from __future__ import annotations

import ast
import textwrap

import pytest

from advisor.analysis.facts import module_facts
from advisor.analysis.knowledge import load_knowledge
from advisor.analysis.loops import find_loop_sites
from advisor.syntax.bindings import bound_names
from advisor.syntax.source import Source
from advisor.syntax.started_work import coordinating_call


def coordinates(code: str) -> str | None:
    loop = ast.parse(textwrap.dedent(code)).body[0]
    assert isinstance(loop, ast.For)
    return coordinating_call(bound_names(loop.target), loop.body)


@pytest.mark.parametrize(
    ("code", "expected"),
    [
        ("for t in threads:\n    t.join()\n", "`t.join()`"),
        ("for t in threads:\n    t.join(timeout=5)\n", "`t.join()`"),
        ("for t in threads:\n    t.join(2.5)\n", "`t.join()`"),
        ("for i, f in enumerate(futures):\n    print(i, f.result())\n", "`f.result()`"),
        ("for p in procs:\n    p.wait()\n", "`p.wait()`"),
        ("for p in procs:\n    p.start()\n", "`p.start()`"),
        # started now, waited for after the loop: the concurrency is there
        (
            "for i in range(5):\n    t = Thread(target=work, args=(i,))\n    t.start()\n"
            "    threads.append(t)\n",
            "`t.start()`",
        ),
    ],
)
def test_loops_that_start_or_wait_for_concurrent_work(code: str, expected: str) -> None:
    assert coordinates(code) == expected


@pytest.mark.parametrize(
    "code",
    [
        # started and waited for in the same iteration: serial
        "for c in commands:\n    p = subprocess.Popen(c)\n    p.wait()\n",
        "for x in xs:\n    t = Thread(target=f, args=(x,))\n    t.start()\n    t.join()\n",
        "for x in xs:\n    fut = pool.submit(f, x)\n    out.append(fut.result())\n",
        # strings and paths join with arguments, and not on the item
        "for parts in rows:\n    out.append(', '.join(parts))\n",
        "for name in names:\n    out.append(os.path.join(root, name))\n",
        "for name in names:\n    out.append(name.join(['a', 'b']))\n",
    ],
)
def test_serial_loops_are_not_taken_for_coordination(code: str) -> None:
    assert coordinates(code) is None


def test_the_analysis_marks_them_and_no_static_rule_reports_them() -> None:
    code = textwrap.dedent(
        """
        import threading, time
        def work(n):
            time.sleep(n)
        threads = [threading.Thread(target=work, args=(n,)) for n in range(8)]
        for t in threads:
            t.start()
        done = [t.join() for t in threads]
        """
    )
    facts = module_facts(Source.of_text(path="m.py", text=code), load_knowledge())
    assert [(s.line, s.coordinates) for s in find_loop_sites(facts)] == [
        (5, None),
        (6, "`t.start()`"),
        (8, "`t.join()`"),
    ]
