"""CA207's fix: the lambda or nested function a process pool is given moves to module level.
Exact before/after source for each shape, idempotence (the analysis no longer reports CA207
there), real runs (the original fails to pickle, the fixed program prints what the same code
prints on a thread pool, which needs no pickling), and the reasons for shapes it leaves alone."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from advisor.model import Finding
from conftest import fixed_once, refusal, rule_examples, rule_findings

RULE = "CA207"


def _findings(source: str) -> list[Finding]:
    return rule_findings(source, RULE)


def _fix(before: str) -> str:
    return fixed_once(before, RULE)


def _refusal(before: str) -> str:
    return refusal(before, RULE)


def _run(source: str, tmp_path: Path, name: str) -> subprocess.CompletedProcess[str]:
    script = tmp_path / name
    script.write_text(source, encoding="utf-8")
    return subprocess.run(
        [sys.executable, str(script)], capture_output=True, text=True, timeout=120, check=False
    )


# --- exact rewrites ---------------------------------------------------------------------------


def test_the_rule_example_becomes_its_fixed_example() -> None:
    rule = rule_examples(RULE)
    assert _fix(rule.example_flagged) == rule.example_fixed


def test_a_lambda_using_a_local_gets_it_through_partial() -> None:
    before = """\
        from concurrent.futures import ProcessPoolExecutor

        # the entry point
        def main(numbers, k):
            with ProcessPoolExecutor() as pool:
                return list(pool.map(lambda x: x * k, numbers))
        """
    after = """\
        from concurrent.futures import ProcessPoolExecutor
        import functools


        def _times_k(x, k):
            return x * k


        # the entry point
        def main(numbers, k):
            with ProcessPoolExecutor() as pool:
                return list(pool.map(functools.partial(_times_k, k=k), numbers))
        """
    assert _fix(before) == textwrap.dedent(after)


def test_a_nested_function_moves_up_and_its_name_stays_bound() -> None:
    before = """\
        from concurrent.futures import ProcessPoolExecutor


        def main(documents, stopwords):
            # words that are not stopwords
            def count_words(text):
                return sum(word not in stopwords for word in text.split())

            with ProcessPoolExecutor() as pool:
                futures = [pool.submit(count_words, text) for text in documents]
                return [future.result() for future in futures]
        """
    after = """\
        from concurrent.futures import ProcessPoolExecutor
        import functools


        # words that are not stopwords
        def _count_words(text, stopwords):
            return sum(word not in stopwords for word in text.split())


        def main(documents, stopwords):
            count_words = functools.partial(_count_words, stopwords=stopwords)

            with ProcessPoolExecutor() as pool:
                futures = [pool.submit(count_words, text) for text in documents]
                return [future.result() for future in futures]
        """
    assert _fix(before) == textwrap.dedent(after)


def test_a_nested_function_without_locals_keeps_its_name() -> None:
    before = """\
        import multiprocessing


        def main(paths):
            def size(path):
                return len(path)

            with multiprocessing.Pool() as pool:
                return pool.map(size, paths)
        """
    after = """\
        import multiprocessing


        def size(path):
            return len(path)


        def main(paths):
            with multiprocessing.Pool() as pool:
                return pool.map(size, paths)
        """
    assert _fix(before) == textwrap.dedent(after)


def test_a_lambda_in_a_comprehension_gets_the_item_through_partial() -> None:
    before = """\
        import functools
        from concurrent.futures import ProcessPoolExecutor


        def scale(value, factor):
            return value * factor


        def main(values):
            with ProcessPoolExecutor() as pool:
                futures = [pool.submit(lambda: scale(v, 2)) for v in values]
                return [f.result() for f in futures]
        """
    after = """\
        import functools
        from concurrent.futures import ProcessPoolExecutor


        def scale(value, factor):
            return value * factor


        def _scale(v):
            return scale(v, 2)


        def main(values):
            with ProcessPoolExecutor() as pool:
                futures = [pool.submit(functools.partial(_scale, v=v)) for v in values]
                return [f.result() for f in futures]
        """
    assert _fix(before) == textwrap.dedent(after)


def test_a_lambda_bound_to_a_name_at_module_level_becomes_a_def() -> None:
    before = """\
        from concurrent.futures import ProcessPoolExecutor

        square = lambda n: n * n  # noqa: E731


        def main(numbers):
            with ProcessPoolExecutor() as pool:
                return list(pool.map(square, numbers))
        """
    after = """\
        from concurrent.futures import ProcessPoolExecutor

        def square(n):  # noqa: E731
            return n * n


        def main(numbers):
            with ProcessPoolExecutor() as pool:
                return list(pool.map(square, numbers))
        """
    assert _fix(before) == textwrap.dedent(after)


def test_a_lambda_bound_to_a_local_name_is_named_after_it() -> None:
    before = """\
        from concurrent.futures import ProcessPoolExecutor


        def main(numbers, offset):
            shift = lambda n: n + offset
            with ProcessPoolExecutor() as pool:
                return list(pool.map(shift, numbers))
        """
    after = """\
        from concurrent.futures import ProcessPoolExecutor
        import functools


        def _shift(n, offset):
            return n + offset


        def main(numbers, offset):
            shift = functools.partial(_shift, offset=offset)
            with ProcessPoolExecutor() as pool:
                return list(pool.map(shift, numbers))
        """
    assert _fix(before) == textwrap.dedent(after)


def test_a_variable_bound_only_under_the_main_guard_is_passed_explicitly() -> None:
    # A worker that imports the module (spawn, forkserver) never runs the guard's body.
    before = """\
        from concurrent.futures import ProcessPoolExecutor

        if __name__ == "__main__":
            k = 3
            with ProcessPoolExecutor() as pool:
                print(list(pool.map(lambda x: x - k, range(5))))
        """
    after = """\
        from concurrent.futures import ProcessPoolExecutor
        import functools


        def _minus_k(x, k):
            return x - k


        if __name__ == "__main__":
            k = 3
            with ProcessPoolExecutor() as pool:
                print(list(pool.map(functools.partial(_minus_k, k=k), range(5))))
        """
    assert _fix(before) == textwrap.dedent(after)


# --- shapes it leaves alone -----------------------------------------------------------------


def test_a_bound_method_of_an_object_holding_a_lock_has_no_mechanical_fix() -> None:
    rule = rule_examples(RULE)
    assert "no mechanical fix" in _refusal(rule.must_flag[1].code)


_NESTED = """\
    import threading
    from concurrent.futures import ProcessPoolExecutor


    def main(items, limit):
    {setup}
        with ProcessPoolExecutor() as pool:
            return list(pool.map({given}, items))
    """


@pytest.mark.parametrize(
    ("setup", "given", "reason"),
    [
        ("    lock = threading.Lock()", "lambda x: (lock, x)", "threading.Lock"),
        ("    import json", "lambda x: json.dumps(x)", "a module"),
        ("    with open('f') as log:\n        pass", "lambda x: log.write(x)", "`with`"),
        (
            "    def check(x):\n        return x < limit\n",
            "lambda x: check(x)",
            "a function or class of the enclosing function",
        ),
        ("    total = 0", "lambda x, t=total: x + t", "computed where"),
        ("    def f(x):\n        nonlocal limit\n        return x\n", "f", "nonlocal"),
        ("    def f(x):\n        return locals()\n", "f", "locals()"),
        (
            "    def f(x):\n        return x if x < limit else f(x - 1)\n",
            "f",
            "calls itself",
        ),
        ("    @staticmethod\n    def f(x):\n        return x\n", "f", "decorated"),
        ("    f = lambda x: x < limit\n    limit = 3", "f", "assigned after"),
    ],
)
def test_refused_shapes_say_why(setup: str, given: str, reason: str) -> None:
    source = textwrap.dedent(_NESTED).format(setup=setup, given=given)
    assert reason in _refusal(source)


# --- the fixed program runs -----------------------------------------------------------------

_PROGRAMS = {
    "lambda": """\
        from concurrent.futures import ProcessPoolExecutor


        def main(numbers, k):
            with ProcessPoolExecutor(max_workers=2) as pool:
                print(list(pool.map(lambda x: x * k, numbers)))


        if __name__ == "__main__":
            main(range(10), 3)
        """,
    "nested": """\
        from concurrent.futures import ProcessPoolExecutor


        def main(documents, stopwords):
            def count_words(text):
                return sum(word not in stopwords for word in text.split())

            with ProcessPoolExecutor(max_workers=2) as pool:
                futures = [pool.submit(count_words, text) for text in documents]
                print([future.result() for future in futures])
                print(count_words("a b c d"))


        if __name__ == "__main__":
            main(["a b c", "the cat sat", "a a a"], {"a", "the"})
        """,
    "guarded_spawn": """\
        import multiprocessing
        from concurrent.futures import ProcessPoolExecutor

        if __name__ == "__main__":
            k = 3
            spawn = multiprocessing.get_context("spawn")
            with ProcessPoolExecutor(max_workers=1, mp_context=spawn) as pool:
                print(list(pool.map(lambda x: x * k, range(5))))
        """,
}


@pytest.mark.parametrize("name", sorted(_PROGRAMS))
def test_the_fixed_program_runs_and_prints_what_threads_print(name: str, tmp_path: Path) -> None:
    original = textwrap.dedent(_PROGRAMS[name])
    fixed = _fix(original)
    broken = _run(original, tmp_path, "original.py")
    assert broken.returncode != 0
    assert "pickle" in broken.stderr.lower()
    # A thread pool runs the original unchanged: it is the meaning the fix must keep.
    reference = original.replace("ProcessPool", "ThreadPool").replace(", mp_context=spawn", "")
    threaded = _run(reference, tmp_path, "threads.py")
    done = _run(fixed, tmp_path, "fixed.py")
    assert done.returncode == 0, done.stderr
    assert threaded.returncode == 0, threaded.stderr
    assert done.stdout == threaded.stdout
