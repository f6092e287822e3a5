"""CA203/CA204's fix: the pool class swapped for the other kind of work. CA203 and CA204 are
profile-only (no static detector), so findings are built by hand, pointing at the line of the
pool's constructor call, as a profile-based finding does. Exact before/after source, what the
fix refuses, and both versions printing the same."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from advisor.analysis.detectors import analyse_content
from advisor.analysis.knowledge import load_knowledge
from advisor.catalog import get_rule
from advisor.codemods.pool_swap import fix_process_pool_over_io, fix_thread_pool_over_cpu
from advisor.codemods.thread_pool import RewriteError
from advisor.model import Finding

KNOWLEDGE = load_knowledge()
RULES_DIR = Path(__file__).parent.parent / "rules"
FIXERS = {"CA203": fix_thread_pool_over_cpu, "CA204": fix_process_pool_over_io}


def _finding(source: str, rule: str, workers: int | None) -> Finding:
    """A profile's finding on the first line that constructs a pool."""
    line = next(
        number
        for number, text in enumerate(source.splitlines(), start=1)
        if "Pool" in text and "(" in text and "import" not in text and "def " not in text
    )
    kind, suggestion = ("cpu", "process_pool") if rule == "CA203" else ("io", "thread_pool")
    return Finding(rule, "m.py", line, line, "measured", kind, suggestion, "unsafe", (), workers)  # type: ignore[arg-type]


def _fix(before: str, rule: str, workers: int | None = None) -> str:
    source = textwrap.dedent(before)
    fixed = FIXERS[rule](source, _finding(source, rule, workers))
    compile(fixed, "<fixed>", "exec", dont_inherit=True)
    # idempotent at the engine level: the same finding on the result finds nothing to swap
    with pytest.raises(RewriteError):
        FIXERS[rule](fixed, _finding(fixed, rule, workers))
    # and the static rules find no process-pool problem the swap introduced
    found = analyse_content("m.py", fixed.encode(), KNOWLEDGE)
    assert [f.rule for f in found.findings if f.rule in ("CA207", "CA208")] == []
    return fixed


def _refusal(before: str, rule: str) -> str:
    source = textwrap.dedent(before)
    with pytest.raises(RewriteError) as error:
        FIXERS[rule](source, _finding(source, rule, None))
    return str(error.value)


# --- exact rewrites ---------------------------------------------------------------------------


@pytest.mark.parametrize(("rule", "workers"), [("CA203", 2), ("CA204", 64)])
def test_the_rule_example_becomes_its_fixed_example(rule: str, workers: int | None) -> None:
    data = get_rule(rule)
    assert _fix(data.example_flagged, rule, workers) == data.example_fixed


def test_a_module_attribute_is_swapped_in_place_and_other_arguments_kept() -> None:
    before = """\
        import concurrent.futures as cf


        def setup():
            pass


        def crunch(n):
            return n * n


        def main():
            with cf.ThreadPoolExecutor(8, initializer=setup) as pool:  # busy
                return list(pool.map(crunch, range(10)))
        """
    after = """\
        import concurrent.futures as cf


        def setup():
            pass


        def crunch(n):
            return n * n


        def main():
            with cf.ProcessPoolExecutor(max_workers=2, initializer=setup) as pool:  # busy
                return list(pool.map(crunch, range(10)))
        """
    assert _fix(before, "CA203", workers=2) == textwrap.dedent(after)


def test_a_multiprocessing_pool_becomes_a_thread_pool() -> None:
    before = """\
        import multiprocessing
        import urllib.request


        def fetch(url):
            return urllib.request.urlopen(url).read()


        def main(urls):
            pool = multiprocessing.Pool(4)
            pages = pool.map(fetch, urls)
            pool.close()
            return pages
        """
    after = """\
        import urllib.request
        from multiprocessing.pool import ThreadPool


        def fetch(url):
            return urllib.request.urlopen(url).read()


        def main(urls):
            pool = ThreadPool(processes=16)
            pages = pool.map(fetch, urls)
            pool.close()
            return pages
        """
    assert _fix(before, "CA204", workers=16) == textwrap.dedent(after)


def test_a_thread_pool_of_multiprocessing_becomes_a_process_pool() -> None:
    before = """\
        from multiprocessing.pool import ThreadPool


        def crunch(n):
            return n * n


        def main():
            with ThreadPool(4) as pool:
                return pool.map(crunch, range(10))
        """
    after = """\
        from multiprocessing import Pool


        def crunch(n):
            return n * n


        def main():
            with Pool() as pool:
                return pool.map(crunch, range(10))
        """
    assert _fix(before, "CA203") == textwrap.dedent(after)


def test_the_line_of_a_parenthesised_with_finds_its_pool() -> None:
    before = """\
        from concurrent.futures import ProcessPoolExecutor


        def fetch(url):
            return url


        def main(urls):
            with (
                ProcessPoolExecutor(max_workers=2) as pool,
            ):
                return list(pool.map(fetch, urls))
        """
    source = textwrap.dedent(before)
    line = source.splitlines().index("    with (") + 1
    finding = Finding("CA204", "m.py", line, line, "m", "io", "thread_pool", "unsafe")
    fixed = fix_process_pool_over_io(source, finding)
    assert "    with (\n        ThreadPoolExecutor() as pool,\n    ):\n" in fixed


# --- refused ------------------------------------------------------------------------------------

_THREAD_POOL = """\
    import functools
    from concurrent.futures import ThreadPoolExecutor

    COUNT = 0


    def crunch(n, k=1):
        return n * k


    def counted(n):
        global COUNT
        COUNT += 1
        return n


    def main(numbers, helper):
        with ThreadPoolExecutor({arguments}) as pool:
            return list(pool.map({given}, numbers))
    """


@pytest.mark.parametrize(
    ("arguments", "given", "reason"),
    [
        ("", "lambda n: n * 2", "cannot pickle"),
        ("", "helper", "cannot pickle"),
        ("", "counted", "module globals"),
        ("thread_name_prefix='w'", "crunch", "thread_name_prefix"),
        ("4, 'w'", "crunch", "by position"),
    ],
)
def test_cpu_swaps_refused_say_why(arguments: str, given: str, reason: str) -> None:
    source = textwrap.dedent(_THREAD_POOL).format(arguments=arguments, given=given)
    assert reason in _refusal(source, "CA203")


def test_a_partial_of_a_module_function_is_picklable() -> None:
    source = textwrap.dedent(_THREAD_POOL).format(
        arguments="", given="functools.partial(crunch, k=3)"
    )
    assert "ProcessPoolExecutor() as pool" in _fix(source, "CA203")


def test_a_pool_passed_on_to_other_code_is_refused() -> None:
    message = _refusal(
        """\
        from concurrent.futures import ThreadPoolExecutor


        def main(run):
            with ThreadPoolExecutor() as pool:
                return run(pool)
        """,
        "CA203",
    )
    assert "passed on" in message


def test_a_process_pool_argument_threads_lack_is_refused() -> None:
    message = _refusal(
        """\
        import multiprocessing
        from concurrent.futures import ProcessPoolExecutor


        def fetch(url):
            return url


        def main(urls):
            context = multiprocessing.get_context("spawn")
            with ProcessPoolExecutor(mp_context=context) as pool:
                return list(pool.map(fetch, urls))
        """,
        "CA204",
    )
    assert "mp_context" in message


def test_a_line_without_the_pool_is_refused() -> None:
    source = "from concurrent.futures import ThreadPoolExecutor\n\nx = 1\n"
    finding = Finding("CA203", "m.py", 3, 3, "m", "cpu", "process_pool", "unsafe")
    with pytest.raises(RewriteError, match="line 3"):
        fix_thread_pool_over_cpu(source, finding)


# --- both versions print the same -----------------------------------------------------------


@pytest.mark.parametrize(
    ("script", "rule", "argument"),
    [
        ("pool_threads_over_cpu.py", "CA203", "1"),
        # 16 pages of 0.1 s each on one pool and then the other: ~2.5 s
        pytest.param("pool_processes_over_io.py", "CA204", None, marks=pytest.mark.slow),
    ],
)
def test_the_fixture_scripts_are_swapped_and_print_the_same(
    script: str, rule: str, argument: str | None, fixture_copy, pages_server: str
) -> None:
    original = fixture_copy(script)
    source = original.read_text(encoding="utf-8")
    line = next(i for i, t in enumerate(source.splitlines(), 1) if "PoolExecutor(" in t)
    finding = Finding(rule, script, line, line, "measured", "unknown", "bounded_pool", "unsafe")
    fixed = original.with_name(f"fixed_{script}")
    fixed.write_text(FIXERS[rule](source, finding), encoding="utf-8")
    outputs = []
    for path in (original, fixed):
        done = subprocess.run(
            [sys.executable, str(path), argument or pages_server],
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert done.returncode == 0, done.stderr
        outputs.append(done.stdout)
    assert outputs[0] == outputs[1]
    assert outputs[0].strip()


def test_the_swapped_program_prints_the_same(tmp_path: Path) -> None:
    program = textwrap.dedent(
        """\
        from concurrent.futures import ThreadPoolExecutor


        def collatz(n):
            steps = 0
            while n != 1:
                n = n // 2 if n % 2 == 0 else 3 * n + 1
                steps += 1
            return steps


        if __name__ == "__main__":
            with ThreadPoolExecutor(max_workers=4) as pool:
                print(list(pool.map(collatz, range(1, 40))))
        """
    )
    fixed = _fix(program, "CA203", workers=2)
    assert "ProcessPoolExecutor(max_workers=2)" in fixed
    outputs = []
    for name, source in (("original.py", program), ("fixed.py", fixed)):
        (tmp_path / name).write_text(source, encoding="utf-8")
        done = subprocess.run(
            [sys.executable, str(tmp_path / name)], capture_output=True, text=True, timeout=120
        )
        assert done.returncode == 0, done.stderr
        outputs.append(done.stdout)
    assert outputs[0] == outputs[1]
