"""The process-pool codemod (CA102): exact before/after source for each form (a module-level
function mapped directly, per-item work lifted into a new module-level function with its local
values passed by keyword, a module-level loop put under the `__main__` guard), idempotence, the
reasons it refuses, and real runs of both versions under the spawn and forkserver start methods."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from advisor.analysis.detectors import analyse_content
from advisor.analysis.knowledge import load_knowledge
from advisor.catalog import get_rule
from advisor.codemods.errors import RewriteError
from advisor.codemods.loop_executor import PoolFactory, rewrite_loop
from advisor.codemods.process_pool import fix_process_pool_loop
from advisor.model import Finding

IMPORT = "from concurrent.futures import ProcessPoolExecutor"


def _line(source: str, start: str) -> int:
    for number, text in enumerate(source.splitlines(), start=1):
        if text.lstrip().startswith(start):
            return number
    raise AssertionError(f"no line starts with {start!r}")


def _finding(line: int, workers: int | None = None) -> Finding:
    return Finding(
        "CA102", "m.py", line, line, "m", "cpu", "process_pool", "unsafe", workers=workers
    )


def _fix(source: str, start: str, workers: int | None = None) -> str:
    """Fix the loop whose first line starts with ``start``; check the result compiles, holds the
    import once, and that the analysis finds no loop left to fix there."""
    line = _line(source, start)
    fixed = fix_process_pool_loop(source, _finding(line, workers))
    compile(fixed, "<fixed>", "exec", dont_inherit=True)
    assert fixed.count(IMPORT) == 1
    again = analyse_content("m.py", fixed.encode(), load_knowledge()).findings
    assert [f for f in again if f.rule == "CA102" and f.line == line] == []
    with pytest.raises(RewriteError):
        fix_process_pool_loop(fixed, _finding(line, workers))  # nothing left to rewrite there
    return fixed


# --- exact rewrites ---------------------------------------------------------------------------


def test_a_module_level_function_is_mapped_directly() -> None:
    rule = get_rule("CA102")
    before = textwrap.dedent(rule.example_flagged)
    [finding] = [
        f
        for f in analyse_content("m.py", before.encode(), load_knowledge()).findings
        if f.rule == "CA102"
    ]
    assert fix_process_pool_loop(before, finding) == textwrap.dedent(rule.example_fixed)


def test_per_item_work_is_lifted_with_its_locals_passed_by_keyword() -> None:
    before = textwrap.dedent(
        """\
        import statistics


        def spread(rows, k):
            spreads = {}
            for key in rows:
                series = [value * k for value in rows[key]]
                spreads[key] = statistics.stdev(series)
            return spreads


        if __name__ == "__main__":
            print(spread({"a": [1, 2, 4], "b": [3, 3, 9]}, 2))
        """
    )
    after = textwrap.dedent(
        """\
        import statistics
        import functools
        from concurrent.futures import ProcessPoolExecutor


        def _key_result(key, *, rows, k):
            series = [value * k for value in rows[key]]
            return key, statistics.stdev(series)


        def spread(rows, k):
            spreads = {}
            with ProcessPoolExecutor(max_workers=2) as executor:
                spreads.update(executor.map(functools.partial(_key_result, rows=rows, k=k), rows))
            return spreads


        if __name__ == "__main__":
            print(spread({"a": [1, 2, 4], "b": [3, 3, 9]}, 2))
        """
    )
    assert _fix(before, "for key", workers=2) == after


def test_a_module_level_loop_moves_under_the_main_guard() -> None:
    before = textwrap.dedent(
        '''\
        """Rank words."""

        import sys

        WEIGHT = 3


        def score(word):
            return sum(ord(c) * WEIGHT for c in word)


        # the script
        words = sys.argv[1:] or ["spam", "eggs", "ham"]
        bonus = len(words)
        ranked = []
        for word in words:
            cleaned = word.strip().lower()
            ranked.append(score(cleaned) + bonus)
        print(ranked)
        '''
    )
    after = textwrap.dedent(
        '''\
        """Rank words."""

        import sys
        import functools
        from concurrent.futures import ProcessPoolExecutor

        WEIGHT = 3


        def score(word):
            return sum(ord(c) * WEIGHT for c in word)


        def _word_result(word, *, bonus):
            cleaned = word.strip().lower()
            return score(cleaned) + bonus


        if __name__ == "__main__":
            # the script
            words = sys.argv[1:] or ["spam", "eggs", "ham"]
            bonus = len(words)
            ranked = []
            with ProcessPoolExecutor() as executor:
                ranked.extend(executor.map(functools.partial(_word_result, bonus=bonus), words))
            print(ranked)
        '''
    )
    assert _fix(before, "for word") == after


def test_a_script_calling_main_on_import_gets_the_guard() -> None:
    before = textwrap.dedent(
        """\
        import sys


        def score(word):
            return len(set(word))


        def main(words):
            return {word: score(word) for word in words}


        print(main(sys.argv[1:]))
        """
    )
    after = textwrap.dedent(
        """\
        import sys
        from concurrent.futures import ProcessPoolExecutor


        def score(word):
            return len(set(word))


        def _word_result(word):
            return word, score(word)


        def main(words):
            with ProcessPoolExecutor() as executor:
                return dict(executor.map(_word_result, words))


        if __name__ == "__main__":
            print(main(sys.argv[1:]))
        """
    )
    assert _fix(before, "return {") == after


def test_a_module_level_comprehension_joins_the_existing_guard() -> None:
    before = textwrap.dedent(
        """\
        import zlib


        def packed_size(blob):
            return len(zlib.compress(blob, 9))


        blobs = [bytes(range(n)) * 100 for n in range(50)]
        sizes = [packed_size(blob) for blob in blobs]

        if __name__ == "__main__":  # entry point
            print(sizes)
        """
    )
    after = textwrap.dedent(
        """\
        import zlib
        from concurrent.futures import ProcessPoolExecutor


        def packed_size(blob):
            return len(zlib.compress(blob, 9))


        if __name__ == "__main__":  # entry point
            blobs = [bytes(range(n)) * 100 for n in range(50)]
            with ProcessPoolExecutor() as executor:
                sizes = list(executor.map(packed_size, blobs))
            print(sizes)
        """
    )
    assert _fix(before, "sizes =") == after


def test_extend_sends_back_a_list() -> None:
    before = textwrap.dedent(
        """\
        def tokens(line):
            return line.split()


        def all_tokens(lines):
            out = []
            for line in lines:
                out.extend(tokens(line))
            return out
        """
    )
    after = textwrap.dedent(
        """\
        from concurrent.futures import ProcessPoolExecutor

        def tokens(line):
            return line.split()


        def _line_result(line):
            return list(tokens(line))


        def all_tokens(lines):
            out = []
            with ProcessPoolExecutor() as executor:
                for result in executor.map(_line_result, lines):
                    out.extend(result)
            return out
        """
    )
    assert _fix(before, "for line") == after


def test_the_pool_is_a_parameter() -> None:
    """Another executor (a Dask client's, say) reuses the rewrite with its own expression."""
    factory = PoolFactory(
        "distributed",
        "Client",
        lambda workers: f"Client(n_workers={workers}).get_executor()",
        crosses_processes=True,
    )
    source = "def total(xs):\n    return [abs(x) for x in xs]\n"
    assert rewrite_loop(source, 2, 4, factory) == (
        "from distributed import Client\n\ndef total(xs):\n"
        "    with Client(n_workers=4).get_executor() as executor:\n"
        "        return list(executor.map(abs, xs))\n"
    )


# --- refusals -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("source", "start", "message"),
    [
        (
            "def rank(ws):\n    def weight(w):\n        return 2\n"
            "    return [len(w) * weight(w) for w in ws]\n",
            "return [",
            "`weight` is a function defined inside `rank()`: a worker process cannot receive it",
        ),
        (
            "def rank(ws):\n    weight = lambda w: 2\n"
            "    return [len(w) * weight(w) for w in ws]\n",
            "return [",
            "`weight` is a function defined inside `rank()`",
        ),
        (
            "def rank(ws):\n    total = 0\n    def inner():\n        nonlocal total\n"
            "        return [len(w) + total for w in ws]\n    return inner()\n",
            "return [",
            "`total` is nonlocal state of `inner()`: a worker process would not see it change",
        ),
        (
            "def score(w):\n    return len(w) * FACTOR\n\n\nFACTOR = 2\nout = []\n"
            "for w in ['a']:\n    out.append(score(w))\n",
            "for w",
            "`FACTOR` is set by the script's main code and read by `score`: under the guard, "
            "worker processes would not have it",
        ),
        (
            "out = [len(w) for w in ['a']]\n\n\ndef later():\n    pass\n",
            "out =",
            "the loop runs on import, and a function, class or import follows it at module "
            "level (line 4)",
        ),
        (
            "def rank(ws):\n    return [len(w) for w in ws]\n\n\n"
            'if __name__ == "__main__":\n    def g(w):\n        return w\n'
            "    print(rank([g(1)]))\n    out = [g(w) for w in [1]]\n",
            "out =",
            'line 9: `g` is defined under `if __name__ == "__main__":`',
        ),
        (
            "class Jobs:\n    out = [len(w) for w in ['a']]\n",
            "out =",
            "loop is directly in a class body",
        ),
    ],
)
def test_refusals_say_why(source: str, start: str, message: str) -> None:
    with pytest.raises(RewriteError, match=message.replace("(", r"\(").replace(")", r"\)")):
        fix_process_pool_loop(source, _finding(_line(source, start)))


# --- real runs: spawn and forkserver ------------------------------------------------------------

# Runs a script as __main__ after choosing the start method, as macOS/Windows (spawn) and Linux
# from Python 3.14 (forkserver) do by default: the workers import the script again.
_RUNNER = (
    "import multiprocessing, runpy, sys; multiprocessing.set_start_method(sys.argv[1]); "
    "sys.argv = sys.argv[2:]; runpy.run_path(sys.argv[0], run_name='__main__')"
)

_SCRIPT = textwrap.dedent(
    """\
    import sys

    ROUNDS = 40


    def mix(word, salt):
        value = salt
        for _ in range(ROUNDS):
            for letter in word:
                value = (value * 31 + ord(letter)) % 1_000_003
        return value


    words = [f"w{n}" * (n % 7 + 1) for n in range(60)]
    salt = len(sys.argv)
    scores = {}
    for word in words:
        base = mix(word, salt)
        scores[word] = base % 97
    print(sorted(scores.items())[:8], sum(scores.values()))
    """
)


def _stdout(*command: str, cwd: Path) -> str:
    done = subprocess.run(
        [sys.executable, *command], capture_output=True, text=True, timeout=120, cwd=cwd
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


@pytest.mark.parametrize("method", ["spawn", "forkserver"])
def test_the_rewritten_script_prints_the_same_under(method: str, tmp_path: Path) -> None:
    fixed = _fix(_SCRIPT, "for word", workers=2)
    assert "functools.partial(_word_result, salt=salt)" in fixed
    (tmp_path / "before.py").write_text(_SCRIPT)
    (tmp_path / "after.py").write_text(fixed)
    expected = _stdout("before.py", "x", cwd=tmp_path)
    assert _stdout("-c", _RUNNER, method, "after.py", "x", cwd=tmp_path) == expected


def test_an_exception_in_a_worker_surfaces_in_the_parent(tmp_path: Path) -> None:
    script = textwrap.dedent(
        """\
        def check(n):
            if n == 3:
                raise ValueError(f"bad {n}")
            return n


        def run():
            out = []
            for n in range(6):
                out.append(check(n))
            return out


        if __name__ == "__main__":
            try:
                run()
            except ValueError as error:
                print("error:", error)
        """
    )
    (tmp_path / "before.py").write_text(script)
    (tmp_path / "after.py").write_text(_fix(script, "for n", workers=2))
    expected = _stdout("before.py", cwd=tmp_path)
    assert expected == "error: bad 3\n"
    assert _stdout("-c", _RUNNER, "spawn", "after.py", cwd=tmp_path) == expected


def _rule_examples(kind: str) -> list[Any]:
    return [textwrap.dedent(example.code) for example in getattr(get_rule("CA102"), kind)]


@pytest.mark.parametrize("source", _rule_examples("must_flag"))
def test_every_flagged_example_is_fixed_or_refused_with_a_reason(source: str) -> None:
    [finding] = [
        f
        for f in analyse_content("m.py", source.encode(), load_knowledge()).findings
        if f.rule == "CA102"
    ]
    try:
        fixed = fix_process_pool_loop(source, finding)
    except RewriteError as error:
        assert str(error).startswith(f"line {finding.line}: ")
        return
    compile(fixed, "<fixed>", "exec", dont_inherit=True)
    again = analyse_content("m.py", fixed.encode(), load_knowledge()).findings
    assert [f for f in again if f.rule == "CA102"] == []


def test_a_library_that_sets_globals_on_import_gets_no_guard() -> None:
    before = textwrap.dedent(
        """\
        import logging


        def score(word):
            return len(word)


        def scores(words):
            return [score(word) for word in words]


        LOG = logging.getLogger(__name__)
        """
    )
    after = textwrap.dedent(
        """\
        import logging
        from concurrent.futures import ProcessPoolExecutor


        def score(word):
            return len(word)


        def scores(words):
            with ProcessPoolExecutor() as executor:
                return list(executor.map(score, words))


        LOG = logging.getLogger(__name__)
        """
    )
    assert _fix(before, "return [") == after


def test_a_tuple_target_is_unpacked_in_the_lifted_function_under_spawn(tmp_path: Path) -> None:
    """`seed, rounds` are the item's own names: unpacked by the worker, never passed along."""
    before = textwrap.dedent(
        """\
        def work(seed, rounds):
            total = 0
            for n in range(rounds):
                total = (total * 31 + n * seed) % 1_000_003
            return total


        def main():
            jobs = [(seed, 2000 + seed) for seed in range(8)]
            results = []
            for seed, rounds in jobs:
                results.append(work(seed, rounds) % 97)
            print(results)


        if __name__ == "__main__":
            main()
        """
    )
    after = textwrap.dedent(
        """\
        from concurrent.futures import ProcessPoolExecutor

        def work(seed, rounds):
            total = 0
            for n in range(rounds):
                total = (total * 31 + n * seed) % 1_000_003
            return total


        def _item_result(item):
            seed, rounds = item
            return work(seed, rounds) % 97


        def main():
            jobs = [(seed, 2000 + seed) for seed in range(8)]
            results = []
            with ProcessPoolExecutor(max_workers=2) as executor:
                results.extend(executor.map(_item_result, jobs))
            print(results)


        if __name__ == "__main__":
            main()
        """
    )
    fixed = _fix(before, "for seed, rounds", workers=2)
    assert fixed == after
    (tmp_path / "before.py").write_text(before)
    (tmp_path / "after.py").write_text(fixed)
    expected = _stdout("before.py", cwd=tmp_path)
    assert _stdout("-c", _RUNNER, "spawn", "after.py", cwd=tmp_path) == expected


def test_a_filtered_loop_keeps_its_filter_in_the_parent_under_spawn(tmp_path: Path) -> None:
    before = textwrap.dedent(
        """\
        def work(seed):
            total = 0
            for n in range(3000):
                total = (total * 31 + n * seed) % 1_000_003
            return total


        def main(limit):
            results = []
            for seed in range(12):
                if seed % 3 == 0:
                    continue
                total = work(seed)
                results.append(total % limit)
            print(results)


        if __name__ == "__main__":
            main(97)
        """
    )
    fixed = _fix(before, "for seed", workers=2)
    assert "[seed for seed in range(12) if not (seed % 3 == 0)]" in fixed
    assert "functools.partial(_seed_result, limit=limit)" in fixed
    (tmp_path / "before.py").write_text(before)
    (tmp_path / "after.py").write_text(fixed)
    expected = _stdout("before.py", cwd=tmp_path)
    assert _stdout("-c", _RUNNER, "spawn", "after.py", cwd=tmp_path) == expected


def test_the_measured_chunksize_goes_to_the_map() -> None:
    before = textwrap.dedent(
        """\
        def steps(n):
            return n % 7


        def main():
            out = []
            for n in range(300_000):
                out.append(steps(n))
            return out
        """
    )
    finding = replace(_finding(_line(before, "for n"), 2), chunksize=37_500)
    after = fix_process_pool_loop(before, finding)
    assert (
        "    with ProcessPoolExecutor(max_workers=2) as executor:\n"
        "        out.extend(executor.map(steps, range(300_000), chunksize=37500))\n"
    ) in after
