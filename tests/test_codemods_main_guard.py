"""The `__main__` guard fix (CA208): exact before/after source, strings and comments kept, joining
an existing guard, the reasons it refuses, idempotence through the analysis, and a real run under
the spawn start method where the unguarded script fails and the guarded one prints the same as
the original did under fork."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from advisor.analysis.detectors import analyse_content
from advisor.analysis.knowledge import load_knowledge
from advisor.catalog import get_rule
from advisor.codemods.errors import RewriteError
from advisor.codemods.main_guard import fix_main_guard
from advisor.model import Finding

RULE = get_rule("CA208")


def _ca208(source: str) -> list[Finding]:
    found = analyse_content("m.py", source.encode(), load_knowledge()).findings
    return [f for f in found if f.rule == "CA208"]


def _fix(source: str) -> str:
    """Fix the one CA208 finding of ``source``; the result compiles and is not flagged again."""
    [finding] = _ca208(source)
    fixed = fix_main_guard(source, finding)
    compile(fixed, "<fixed>", "exec", dont_inherit=True)
    assert _ca208(fixed) == []
    return fixed


def test_the_rule_example_is_fixed_as_documented() -> None:
    before = textwrap.dedent(RULE.example_flagged)
    assert _fix(before) == textwrap.dedent(RULE.example_fixed)


def test_the_main_code_moves_with_its_comments_and_strings_unchanged() -> None:
    before = textwrap.dedent(
        '''\
        import multiprocessing


        def crunch(chunk):
            return sum(chunk)


        # the script
        USAGE = """usage:
          crunch N
        """
        pool = multiprocessing.Pool(4)  # four workers
        totals = pool.map(crunch, [range(1000)] * 8)

        pool.close()
        # done
        '''
    )
    after = textwrap.dedent(
        '''\
        import multiprocessing


        def crunch(chunk):
            return sum(chunk)


        if __name__ == "__main__":
            # the script
            USAGE = """usage:
          crunch N
        """
            pool = multiprocessing.Pool(4)  # four workers
            totals = pool.map(crunch, [range(1000)] * 8)

            pool.close()
        # done
        '''
    )
    assert _fix(before) == after


def test_statements_join_a_guard_at_the_end_of_the_module() -> None:
    before = textwrap.dedent(
        """\
        from concurrent.futures import ProcessPoolExecutor


        def square(n):
            return n * n


        with ProcessPoolExecutor() as pool:
            squares = list(pool.map(square, range(10)))


        if __name__ == "__main__":  # entry point
          print(squares)
        """
    )
    after = textwrap.dedent(
        """\
        from concurrent.futures import ProcessPoolExecutor


        def square(n):
            return n * n


        if __name__ == "__main__":  # entry point
          with ProcessPoolExecutor() as pool:
              squares = list(pool.map(square, range(10)))
          print(squares)
        """
    )
    assert _fix(before) == after


@pytest.mark.parametrize(
    ("source", "message"),
    [
        (
            textwrap.dedent(RULE.must_flag[3].code),
            "the code runs in the body of class `Cruncher`: move it into a method",
        ),
        (
            "from concurrent.futures import ProcessPoolExecutor\n\n"
            "with ProcessPoolExecutor() as pool:\n    pass\n\n\ndef later():\n    pass\n",
            "a function, class or import follows it at module level (line 7)",
        ),
        (
            "from concurrent.futures import ProcessPoolExecutor\n\n\ndef work(n):\n"
            "    return n * SCALE\n\n\nSCALE = 3\nwith ProcessPoolExecutor() as pool:\n"
            "    print(list(pool.map(work, range(3))))\n",
            "`SCALE` is set by the script's main code and read by `work`",
        ),
        (
            "import multiprocessing\n\nif __name__ == '__main__':\n    print(1)\n"
            "multiprocessing.Process(target=print).start()\n",
            'already has an `if __name__ == "__main__":` block (line 3)',
        ),
    ],
)
def test_refusals_say_why(source: str, message: str) -> None:
    [finding] = _ca208(source)
    with pytest.raises(RewriteError, match=message.replace("(", r"\(").replace(")", r"\)")):
        fix_main_guard(source, finding)


@pytest.mark.parametrize(
    "source", [textwrap.dedent(example.code) for example in RULE.must_flag[:3]]
)
def test_the_other_flagged_examples_are_fixed(source: str) -> None:
    fixed = _fix(source)
    assert '\nif __name__ == "__main__":\n' in fixed


@pytest.mark.slow
def test_under_spawn_the_original_fails_and_the_fix_prints_what_fork_printed(
    tmp_path: Path,
) -> None:
    source = textwrap.dedent(RULE.example_flagged)
    (tmp_path / "before.py").write_text(source)
    (tmp_path / "after.py").write_text(_fix(source))
    runner = (
        "import multiprocessing, runpy, sys; multiprocessing.set_start_method(sys.argv[1]); "
        "runpy.run_path(sys.argv[2], run_name='__main__')"
    )

    def run(method: str, name: str) -> subprocess.CompletedProcess[str]:
        command = [sys.executable, "-c", runner, method, name]
        return subprocess.run(command, capture_output=True, text=True, timeout=120, cwd=tmp_path)

    forked = run("fork", "before.py")
    assert forked.returncode == 0 and forked.stdout == "332833500\n"
    assert run("spawn", "before.py").returncode != 0  # every worker starts the pool again
    spawned = run("spawn", "after.py")
    assert (spawned.returncode, spawned.stdout) == (0, forked.stdout)
