"""The loop-counting bootstrap: counts right, and the program cannot tell it from `python`.

Every behaviour is checked on real runs of `python bootstrap.py ...` beside `python ...`.
"""

from __future__ import annotations

import ast
import json
import os
import subprocess
import sys
import sysconfig
import warnings
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import hypothesmith
import pytest
from hypothesis import HealthCheck, given, settings

from advisor.analysis.facts import module_facts
from advisor.analysis.knowledge import load_knowledge
from advisor.analysis.loops import WHILE_LOOP, find_loop_sites
from advisor.profiling.bootstrap import (
    COUNTS_ENV,
    ENTRY_CAP,
    USER_DIR_ENV,
    LoopCounter,
    compile_counted,
    loop_sites,
)
from advisor.profiling.counting import BOOTSTRAP, CountsFile, read_counts
from advisor.syntax.source import Source
from conftest import FIXTURES


def run(
    argv: list[str], cwd: Path, counts: Path | None = None, **env: str
) -> subprocess.CompletedProcess:
    environment = dict(os.environ, **env)
    if counts is not None:
        environment[COUNTS_ENV] = str(counts)
    return subprocess.run(
        [sys.executable, *argv], cwd=cwd, capture_output=True, text=True, env=environment
    )


def counted(tmp_path: Path, source: str, *args: str) -> dict[int, tuple[int, int, bool]]:
    """line -> (entries, items, capped) of a script run through the bootstrap."""
    script = tmp_path / "script.py"
    script.write_text(source)
    counts = tmp_path / "counts.json"
    result = run([BOOTSTRAP, str(script), *args], tmp_path, counts)
    assert result.returncode == 0, result.stderr
    return {c.line: (c.entries, c.items, c.capped) for c in read_counts(counts).loops}


# ----------------------------------------------------------------------------- counting


def test_items_and_entries_of_each_kind_of_loop(tmp_path: Path) -> None:
    source = """\
def squares(n):
    for i in range(n):
        yield i * i

words = ["ab", "cde", "f"]
total = 0
for word in words:
    for letter in word:
        total += 1
found = [s for s in squares(7) if s % 2]
for s in squares(10):
    if s > 20:
        break
first = any(w == "cde" for w in words)
table = {w: len(w) for w in words}
print(total, found, first, table)
"""
    assert counted(tmp_path, source) == {
        2: (2, 13, False),  # the generator's own loop: 7 items, then 6 before the break
        7: (1, 3, False),
        8: (3, 6, False),  # 2 + 3 + 1 letters
        10: (1, 7, False),
        11: (1, 6, False),  # break after the sixth item: counted one by one
        14: (1, 2, False),  # any() stops at the second word
        15: (1, 3, False),
    }


def test_each_execution_of_a_loop_is_timed_unless_it_pauses(tmp_path: Path) -> None:
    script = tmp_path / "script.py"
    script.write_text(
        "import time\n"
        "def waits(n):\n"
        "    for _ in range(n):\n"  # timed: 2 executions
        "        time.sleep(0.05)\n"
        "def numbers():\n"
        "    for n in range(3):\n"  # pauses at yield: its time would include the consumer's
        "        yield n\n"
        "class Table:\n"
        "    for column in ('a', 'b'):\n"  # a class body: counted, not timed
        "        pass\n"
        "waits(2)\nwaits(1)\n"
        "print([n for n in numbers()], Table.column)\n"
        "for row in [[1], [2]]:\n"  # timed
        "    for cell in row:\n"  # an inner loop: counted, not timed (its stopwatch would cost)
        "        pass\n"
    )
    counts = tmp_path / "counts.json"
    result = run([BOOTSTRAP, str(script)], tmp_path, counts)
    assert result.stdout == "[0, 1, 2] b\n", result.stderr
    loops = {c.line: c for c in read_counts(counts).loops}
    assert (loops[3].entries, loops[3].items, loops[3].timed) == (2, 3, 2)
    assert loops[3].seconds is not None and 0.15 <= loops[3].seconds < 5
    assert (loops[6].items, loops[6].seconds) == (3, None)
    assert (loops[9].items, loops[9].seconds) == (2, None)
    assert loops[13].seconds is not None  # the comprehension's statement
    assert (loops[14].timed, loops[15].items, loops[15].seconds) == (1, 2, None)


def test_only_the_main_threads_executions_are_timed(tmp_path: Path) -> None:
    # Four workers running the loop at once would add up to four times the wall time, and the
    # loop would look like the whole run: off the main thread a loop is counted, never timed.
    script = tmp_path / "script.py"
    script.write_text(
        "import time\n"
        "from concurrent.futures import ThreadPoolExecutor\n"
        "def waits(n):\n"
        "    for _ in range(n):\n"
        "        time.sleep(0.05)\n"
        "    return n\n"
        "with ThreadPoolExecutor(4) as pool:\n"
        "    print(sum(pool.map(waits, [2, 2, 2, 2])))\n"
        "waits(1)\n"
    )
    counts = tmp_path / "counts.json"
    result = run([BOOTSTRAP, str(script)], tmp_path, counts)
    assert result.stdout == "8\n", result.stderr
    [loop] = read_counts(counts).loops
    assert (loop.entries, loop.items, loop.timed) == (5, 9, 1)
    assert loop.seconds is not None and 0.05 <= loop.seconds < 0.4


def test_a_coroutine_loop_is_timed_with_its_awaits(tmp_path: Path) -> None:
    script = tmp_path / "script.py"
    script.write_text(
        "import asyncio\n"
        "async def fetch(n):\n"
        "    await asyncio.sleep(0.05)\n"
        "    return n\n"
        "async def main():\n"
        "    got = []\n"
        "    for n in range(4):\n"  # suspended 4 x 0.05 s: that is its time
        "        got.append(await fetch(n))\n"
        "    doubled = [await fetch(n * 2) for n in range(2)]\n"
        "    for n in range(3):\n"  # awaits nothing: timed as any loop
        "        got.append(n)\n"
        "    for group in range(2):\n"
        "        for n in range(2):\n"  # an inner loop: not timed, but known to await
        "            got.append(await fetch(group))\n"
        "    together = await asyncio.gather(*(fetch(n) for n in range(3)))\n"
        "    return got, doubled, together\n"
        "print(asyncio.run(main()))\n"
    )
    counts = tmp_path / "counts.json"
    result = run([BOOTSTRAP, str(script)], tmp_path, counts)
    assert result.stdout == "([0, 1, 2, 3, 0, 1, 2, 0, 0, 1, 1], [0, 2], [0, 1, 2])\n", (
        result.stderr
    )
    loops = {c.line: c for c in read_counts(counts).loops}
    assert (loops[7].items, loops[7].timed, loops[7].suspends) == (4, 1, True)
    assert loops[7].seconds is not None and 0.2 <= loops[7].seconds < 5
    assert (loops[9].items, loops[9].suspends) == (2, True)
    assert loops[9].seconds is not None and loops[9].seconds >= 0.1
    assert (loops[10].items, loops[10].timed, loops[10].suspends) == (3, 1, False)
    assert (loops[13].items, loops[13].timed, loops[13].suspends) == (4, 0, True)
    # the loop only makes coroutines; the statement's time is the gather's: neither timed nor
    # taken for serial awaits
    assert (loops[15].items, loops[15].timed, loops[15].suspends) == (3, 0, False)


def test_an_inner_loop_stops_counting_at_the_cap(tmp_path: Path) -> None:
    source = f"""\
rows = [[1, 2, 3]] * {ENTRY_CAP + 500}
total = 0
for row in rows:
    for cell in row:
        total += cell
print(total)
"""
    assert counted(tmp_path, source) == {
        3: (1, ENTRY_CAP + 500, False),
        4: (ENTRY_CAP, 3 * ENTRY_CAP, True),
    }


def test_counts_are_written_after_an_uncaught_exception_and_not_after_os_exit(
    tmp_path: Path,
) -> None:
    script = tmp_path / "fails.py"
    script.write_text("for i in range(3):\n    pass\nraise SystemExit(3)\n")
    counts = tmp_path / "counts.json"
    assert run([BOOTSTRAP, str(script)], tmp_path, counts).returncode == 3
    assert [(c.line, c.items) for c in read_counts(counts).loops] == [(1, 3)]
    script.write_text("import os\nfor i in range(3):\n    pass\nos._exit(0)\n")
    counts.unlink()
    assert run([BOOTSTRAP, str(script)], tmp_path, counts).returncode == 0
    assert read_counts(counts).loops == ()
    assert read_counts(counts).written is False


def test_a_run_with_no_counted_loop_still_writes_its_counts(tmp_path: Path) -> None:
    # a `while` loop is not a counted site: the report must not say the run was killed
    script = tmp_path / "waits.py"
    script.write_text("i = 0\nwhile i < 3:\n    i += 1\nprint(i)\n")
    counts = tmp_path / "counts.json"
    assert run([BOOTSTRAP, str(script)], tmp_path, counts).returncode == 0
    assert read_counts(counts) == CountsFile(written=True)


def test_conditional_expressions_and_else_branches_inside_loops(tmp_path: Path) -> None:
    # `a if c else b` once made the counting raise, and the file ran uncounted, silently
    source = (
        "out = []\n"
        "for i in range(20):\n"
        "    out.append(i if i % 2 else -i)\n"
        "    if i:\n"
        "        pass\n"
        "    else:\n"
        "        for j in range(4):\n"
        "            pass\n"
        "print(sum(out))\n"
    )
    assert counted(tmp_path, source) == {2: (1, 20, False), 7: (1, 4, False)}
    tree = ast.parse(source)
    assert [(site.line, site.timed) for site in loop_sites(tree)] == [(2, True), (7, False)]


def test_a_file_the_counting_fails_on_runs_uncounted_and_says_why() -> None:
    class Refusing(dict):
        def update(self, *_args: object, **_kwargs: object) -> None:
            raise RuntimeError("cannot bind")

    counter = LoopCounter()
    code = compile_counted("total = 0\nfor i in range(3):\n    total += i\n", "m.py", counter, {})
    assert counter.uncounted == []
    namespace = Refusing()
    code = compile_counted(
        "total = 0\nfor i in range(3):\n    total += i\n", "m.py", counter, namespace
    )
    exec(code, namespace)
    assert namespace["total"] == 3
    assert counter.uncounted == [
        {"path": os.path.realpath("m.py"), "reason": "RuntimeError: cannot bind"}
    ]
    with pytest.raises(SyntaxError):  # not valid Python: Python's own error, not ours
        compile_counted("def f(:\n", "bad.py", counter, {})
    assert len(counter.uncounted) == 1


@settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))
@given(hypothesmith.from_grammar())
def test_the_counting_compiles_every_program_of_the_grammar(source: str) -> None:
    try:
        compile(source, "fuzz.py", "exec", dont_inherit=True)
    except (SyntaxError, ValueError):
        return
    counter = LoopCounter()
    compile_counted(source, "fuzz.py", counter, {})
    assert counter.uncounted == []


def _uncounted_in(paths: list[Path]) -> list[dict[str, str]]:
    """The files of ``paths`` the counting could not instrument (files Python itself refuses,
    the test suite's deliberately broken ones, left out)."""
    failed = []
    for path in paths:
        source = path.read_bytes()
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                compile(source, str(path), "exec", dont_inherit=True)
        except (SyntaxError, ValueError):
            continue
        counter = LoopCounter()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            compile_counted(source, str(path), counter, {})
        failed += counter.uncounted
    return failed


@pytest.mark.slow
def test_the_counting_compiles_every_module_of_the_standard_library() -> None:
    root = Path(sysconfig.get_paths()["stdlib"])
    paths = [p for p in sorted(root.rglob("*.py")) if "site-packages" not in p.parts]
    # both cores: ~1,800 modules compiled twice each take a minute on one
    with ProcessPoolExecutor(max_workers=2) as pool:
        parts = pool.map(_uncounted_in, [paths[i::8] for i in range(8)])
        failed = [entry for part in parts for entry in part]
    assert failed == []
    assert len(paths) > 1000  # it did read the tree


def test_the_users_other_modules_are_counted_and_installed_ones_are_not(tmp_path: Path) -> None:
    (tmp_path / "helpers.py").write_text("def total(xs):\n    return sum(x for x in xs)\n")
    site = tmp_path / "venv" / "lib" / "site-packages"
    site.mkdir(parents=True)
    (site / "installed.py").write_text("def total(xs):\n    return sum(x for x in xs)\n")
    script = tmp_path / "main.py"
    script.write_text(
        f"import sys\nsys.path.append({str(site)!r})\nimport helpers, installed\n"
        "print(helpers.total([1, 2, 3]), installed.total([4, 5]))\n"
    )
    # a stale plain .pyc of helpers must not hide its loops
    subprocess.run([sys.executable, "-m", "py_compile", "helpers.py"], cwd=tmp_path, check=True)
    assert any((tmp_path / "__pycache__").glob("helpers.*.pyc"))
    counts = tmp_path / "counts.json"
    result = run([BOOTSTRAP, str(script)], tmp_path, counts)
    assert result.stdout == "6 9\n", result.stderr
    loops = read_counts(counts).loops
    assert [(Path(c.path).name, c.line, c.items) for c in loops] == [("helpers.py", 2, 3)]


def test_the_sites_are_the_loop_sites_of_the_analysis() -> None:
    """The bootstrap keys its counts by the lines loops.py gives each site."""
    for fixture in sorted(FIXTURES.glob("*.py")):
        source = Source.read(fixture)
        expected = [
            s.line
            for s in find_loop_sites(module_facts(source, load_knowledge()))
            if s.unsupported_reason != WHILE_LOOP
        ]
        # async for loops have no synchronous iterable to count
        async_fors = {n.lineno for n in ast.walk(source.tree) if isinstance(n, ast.AsyncFor)}
        got = sorted(site.line for site in loop_sites(ast.parse(source.text)))
        assert got == sorted(set(expected) - async_fors), fixture.name


# ----------------------------------------------------------------------------- as python would

SHOWS_ITSELF = '''\
"""Docstring."""
import os, sys
print(__name__, __doc__, __file__, __package__, __spec__)
print(sys.argv, sys.path[0], os.getcwd())
print(sorted(k for k in os.environ if k.startswith("CONCADVISE_")))
print(__loader__.name, type(__builtins__).__name__)
import time  # a built-in module keeps its precedence over the time.py beside the script
print(time.__name__, hasattr(time, "monotonic"))
'''


def test_the_script_sees_what_python_would_show_it(tmp_path: Path) -> None:
    app = tmp_path / "app"
    app.mkdir()
    (app / "show.py").write_text(SHOWS_ITSELF)
    (app / "time.py").write_text("raise RuntimeError('shadowed')\n")
    argv = ["app/show.py", "one", "--two"]
    plain = run(argv, tmp_path)
    through = run(
        [BOOTSTRAP, *argv], tmp_path, tmp_path / "counts.json", **{USER_DIR_ENV: str(app)}
    )
    assert plain.returncode == through.returncode == 0, through.stderr
    assert through.stdout == plain.stdout


def test_a_module_runs_as_with_python_dash_m(tmp_path: Path) -> None:
    package = tmp_path / "tool"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "__main__.py").write_text(
        "import sys\nfrom . import work\nprint(__name__, __package__, sys.argv[1:], "
        "sys.path[0] == __import__('os').getcwd(), work.run([1, 2, 3, 4]))\n"
    )
    (package / "work.py").write_text("def run(xs):\n    return [x * 2 for x in xs]\n")
    plain = run(["-m", "tool", "a", "b"], tmp_path)
    counts = tmp_path / "counts.json"
    through = run([BOOTSTRAP, "-m", "tool", "a", "b"], tmp_path, counts)
    assert plain.returncode == through.returncode == 0, through.stderr
    assert through.stdout == plain.stdout == "__main__ tool ['a', 'b'] True [2, 4, 6, 8]\n"
    assert [(Path(c.path).name, c.items) for c in read_counts(counts).loops] == [("work.py", 4)]
    missing = run([BOOTSTRAP, "-m", "no_such_tool"], tmp_path)
    assert missing.returncode == run(["-m", "no_such_tool"], tmp_path).returncode == 1
    assert missing.stderr.endswith("No module named no_such_tool\n")


@pytest.mark.parametrize(
    "ending",
    [
        "raise ValueError('bad item')",
        "raise KeyboardInterrupt",
        "import sys; sys.exit('stopped: ' + str(total))",
        "raise SystemExit(4)",
        "[x for x in 5]",  # not iterable: the error names the object, not a counter
    ],
)
def test_failures_look_and_exit_as_they_would_under_python(tmp_path: Path, ending: str) -> None:
    script = tmp_path / "fails.py"
    script.write_text(
        f"def total_of(xs):\n    return sum(x for x in xs)\n\ntotal = total_of([1, 2])\n{ending}\n"
    )
    plain = run([str(script)], tmp_path)
    through = run([BOOTSTRAP, str(script)], tmp_path, tmp_path / "counts.json")
    assert (through.returncode, through.stdout, through.stderr) == (
        plain.returncode,
        plain.stdout,
        plain.stderr,
    )


def test_a_stored_counts_file_reads_back(tmp_path: Path) -> None:
    counts = tmp_path / "counts.json"
    counts.write_text(
        json.dumps(
            {"version": 1, "loops": [{"path": "/a.py", "line": 3, "entries": 2, "items": 9}]}
        )
    )
    assert [
        (c.path, c.line, c.entries, c.items, c.capped, c.seconds) for c in read_counts(counts).loops
    ] == [("/a.py", 3, 2, 9, False, None)]
    counts.write_text("{not json")
    assert read_counts(counts).loops == ()
