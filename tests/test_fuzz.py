"""Fuzzing: generated programs through the analysis and every codemod never crash the tool and
never produce code that fails to compile.

Two generators: hypothesmith's programs from Python's grammar (odd syntax, rarely a finding) and
our own loop programs (every loop shape, accumulator, early exit, blocking, native, CPU and async
call the rules know, nested in functions, classes, other loops and `async def`), which reach the
codemods. The default run is bounded for CI; a long run on demand:

    python -m pytest tests/test_fuzz.py --hypothesis-profile=fuzz-long
"""

from __future__ import annotations

import textwrap

import hypothesmith
import pytest
from hypothesis import HealthCheck, assume, find, given, settings
from hypothesis import strategies as st

from advisor.analysis.detectors import analyse_content
from advisor.analysis.knowledge import load_knowledge
from advisor.codemods.fixers import RewriteError, fixer_for
from advisor.model import Finding

KNOWLEDGE = load_knowledge()
# Generated code such as `1()` compiles with a warning; it is not ours to print.
pytestmark = pytest.mark.filterwarnings("ignore::SyntaxWarning")

BLOCKING = (
    "urllib.request.urlopen({x}).read()",
    "time.sleep(0.01)",
    "subprocess.run(['true'], check=False)",
    "requests.get({x}).text",
    "open({x}).read()",
)
NATIVE = ("hashlib.sha256({x}).hexdigest()", "zlib.compress({x})")
CPU = ("sum(i * i for i in range({x}))", "score({x})")
ASYNC = ("await asyncio.sleep(0.01)", "await fetch({x})", "await client.get({x})")
PLAIN = ("{x} + 1", "len({x})", "str({x})", "helper({x})", "{x}")


@st.composite
def call_expression(draw: st.DrawFn, target: str, in_async: bool) -> str:
    pools = [BLOCKING, NATIVE, CPU, PLAIN] + ([ASYNC] if in_async else [])
    pool = draw(st.sampled_from(pools))
    return draw(st.sampled_from(pool)).format(x=target)


@st.composite
def loop_statement(draw: st.DrawFn, in_async: bool) -> str:
    target = draw(st.sampled_from(["item", "url", "path", "n"]))
    iterable = draw(st.sampled_from(["items", "range(10)", "[1, 2, 3]", "sorted(items)", "data"]))
    value = draw(call_expression(target, in_async))
    shape = draw(
        st.sampled_from(
            [
                "append",
                "dict",
                "augassign",
                "add",
                "extend",
                "listcomp",
                "dictcomp",
                "several",
                "with",
                "if",
                "break",
                "print",
                "carried",
                "tuple_target",
                "while",
                "submit_result",
                "pool_in_loop",
                "thread_per_item",
                "create_task",
                "asyncio_run",
            ]
        )
    )
    header = f"for {target} in {iterable}:"
    match shape:
        case "append":
            body = f"out.append({value})"
        case "dict":
            body = f"out[{target}] = {value}"
        case "augassign":
            body = f"total += {value}"
        case "add":
            body = f"seen.add({value})"
        case "extend":
            body = f"out.extend([{value}])"
        case "listcomp":
            return f"out = [{value} for {target} in {iterable}]"
        case "dictcomp":
            return f"out = {{{target}: {value} for {target} in {iterable}}}"
        case "several":
            body = f"tmp = {value}\n    out.append(tmp)"
        case "with":
            body = f"with lock:\n        out.append({value})"
        case "if":
            body = f"if {target}:\n        out.append({value})"
        case "break":
            body = f"if {value}:\n        break"
        case "print":
            body = f"print({value})"
        case "carried":
            body = f"last = {value} + last"
        case "tuple_target":
            return f"for {target}, other in pairs:\n    out.append({value})"
        case "while":
            return f"while items:\n    {target} = items.pop()\n    out.append({value})"
        case "submit_result":
            body = f"fut = pool.submit(work, {target})\n    out.append(fut.result())"
        case "pool_in_loop":
            body = (
                "with ThreadPoolExecutor(max_workers=4) as ex:\n"
                f"        out.append(ex.submit(work, {target}).result())"
            )
        case "thread_per_item":
            body = (
                f"t = threading.Thread(target=work, args=({target},))\n    t.start()\n"
                "    threads.append(t)"
            )
        case "create_task":
            body = f"asyncio.create_task(fetch({target}))"
        case "asyncio_run":
            body = f"asyncio.run(fetch({target}))"
    return f"{header}\n    {body}"


PRELUDE = """\
import asyncio
import hashlib
import subprocess
import threading
import time
import urllib.request
import zlib
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor

import requests


def score(x):
    return sum(ord(c) for c in str(x))


def helper(x):
    return x


def work(x):
    return x


async def fetch(x):
    await asyncio.sleep(0)
    return x
"""


@st.composite
def loop_program(draw: st.DrawFn) -> str:
    container = draw(st.sampled_from(["module", "function", "async", "method", "nested", "main"]))
    in_async = container == "async"
    loop = draw(loop_statement(in_async))
    setup = "out = []\nseen = set()\ntotal = 0\nlast = 0\nthreads = []\n"
    if container == "module":
        return PRELUDE + "\n" + setup + loop + "\n"
    if container == "main":
        return PRELUDE + '\n\nif __name__ == "__main__":\n' + textwrap.indent(setup + loop, "    ")
    inner = setup + (
        f"for outer in range(3):\n{textwrap.indent(loop, '    ')}"
        if container == "nested"
        else loop
    )
    inner += "\nreturn out\n"
    if container == "method":
        body = textwrap.indent(
            f"def run(self, items, data, pairs, pool, lock):\n{textwrap.indent(inner, '    ')}",
            "    ",
        )
        return PRELUDE + f"\n\nclass Job:\n{body}"
    keyword = "async def" if in_async else "def"
    params = "items, data, pairs, pool, lock, client"
    return PRELUDE + f"\n\n{keyword} run({params}):\n{textwrap.indent(inner, '    ')}"


def _fix_every_finding(path: str, source: str) -> int:
    """Apply each finding's fixer on its own; every result must compile. Returns fixes made."""
    result = analyse_content(path, source.encode(), KNOWLEDGE)
    assert [e for e in result.errors if e.kind == "internal"] == [], result.errors
    fixed = 0
    for finding in result.findings:
        fixed += _try_fix(path, source, finding)
    return fixed


def _try_fix(path: str, source: str, finding: Finding) -> int:
    fixer = fixer_for(finding)
    if fixer is None:
        return 0
    try:
        rewritten = fixer(source, finding)
    except RewriteError:
        return 0
    compile(rewritten, path, "exec", dont_inherit=True)
    again = analyse_content(path, rewritten.encode(), KNOWLEDGE)
    assert [e for e in again.errors if e.kind == "internal"] == [], again.errors
    return 1


@settings(suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(loop_program())
def test_loop_programs_through_analysis_and_every_codemod(source: str) -> None:
    compile(source, "generated.py", "exec", dont_inherit=True)
    _fix_every_finding("generated.py", source)


@settings(suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much], deadline=None)
@given(hypothesmith.from_grammar())
def test_grammar_programs_never_crash_the_analysis_or_codemods(source: str) -> None:
    try:
        compile(source, "generated.py", "exec", dont_inherit=True)
    except (SyntaxError, ValueError):
        assume(False)  # the grammar allows a few programs the compiler rejects
    _fix_every_finding("generated.py", source)


def test_the_loop_generator_reaches_the_codemods() -> None:
    """Guards the fuzz above against passing vacuously: some generated program gets fixed."""
    found = find(
        loop_program(),
        lambda source: _fix_every_finding("generated.py", source) > 0,
        settings=settings(max_examples=500, deadline=None, database=None),
    )
    assert found.startswith(PRELUDE)
