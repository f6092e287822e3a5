"""CA206's fix: one pool made before the loop instead of one per iteration. Exact before/after
source for each shape, idempotence (the analysis no longer reports CA206 there), the same
output when both versions run, and the reasons it gives for pools it leaves in place."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from advisor.model import Finding
from conftest import fixed_once, refusal, rule_examples, rule_findings
from conftest import script_stdout as _stdout

RULE = "CA206"


def _findings(source: str) -> list[Finding]:
    return rule_findings(source, RULE)


def _fix(before: str) -> str:
    return fixed_once(before, RULE)


def _refusal(before: str) -> str:
    return refusal(before, RULE)


# --- exact rewrites ---------------------------------------------------------------------------


def test_the_rule_example_becomes_its_fixed_example() -> None:
    rule = rule_examples(RULE)
    assert _fix(rule.example_flagged) == rule.example_fixed


def test_statements_around_the_pool_stay_in_the_loop_with_their_comments() -> None:
    before = """\
        from concurrent.futures import ThreadPoolExecutor


        def fetch(url):
            return url


        def crawl(batches, log):
            pages = []
            # every batch
            for batch in batches:  # in order
                log.append(len(batch))
                # a pool per batch
                with ThreadPoolExecutor(max_workers=8) as pool:  # eight at once
                    # fetch them
                    pages.extend(pool.map(fetch, batch))
                log.append("done")
            return pages
        """
    after = """\
        from concurrent.futures import ThreadPoolExecutor


        def fetch(url):
            return url


        def crawl(batches, log):
            pages = []
            # every batch
            # a pool per batch
            with ThreadPoolExecutor(max_workers=8) as pool:  # eight at once
                for batch in batches:  # in order
                    log.append(len(batch))
                    # fetch them
                    pages.extend(pool.map(fetch, batch))
                    log.append("done")
            return pages
        """
    assert _fix(before) == textwrap.dedent(after)


def test_a_pool_made_by_hand_is_made_before_and_closed_after_the_loop() -> None:
    before = """\
        import multiprocessing


        def tokenize(line):
            return line.split()


        def main(texts):
            for text in texts:
                pool = multiprocessing.Pool(2)
                tokens = pool.map(tokenize, text.splitlines())
                pool.close()
                pool.join()
                print(len(tokens))
        """
    after = """\
        import multiprocessing


        def tokenize(line):
            return line.split()


        def main(texts):
            pool = multiprocessing.Pool(2)
            for text in texts:
                tokens = pool.map(tokenize, text.splitlines())
                print(len(tokens))
            pool.close()
            pool.join()
        """
    assert _fix(before) == textwrap.dedent(after)


def test_a_pool_under_two_loops_goes_out_of_both() -> None:
    before = """\
        from concurrent.futures import ThreadPoolExecutor


        def fetch(url):
            return url


        def crawl(sites):
            pages = []
            for site in sites:
                for batch in site:
                    with ThreadPoolExecutor(max_workers=4) as pool:
                        pages.extend(pool.map(fetch, batch))
            return pages
        """
    after = """\
        from concurrent.futures import ThreadPoolExecutor


        def fetch(url):
            return url


        def crawl(sites):
            pages = []
            with ThreadPoolExecutor(max_workers=4) as pool:
                for site in sites:
                    for batch in site:
                        pages.extend(pool.map(fetch, batch))
            return pages
        """
    assert _fix(before) == textwrap.dedent(after)


def test_a_small_outer_loop_keeps_its_pool_per_phase() -> None:
    before = """\
        from concurrent.futures import ThreadPoolExecutor


        def fetch(url):
            return url


        def mirror(eu, us):
            pages = []
            for region in (eu, us):
                for batch in region:
                    with ThreadPoolExecutor(max_workers=4) as pool:
                        pages.extend(pool.map(fetch, batch))
            return pages
        """
    after = """\
        from concurrent.futures import ThreadPoolExecutor


        def fetch(url):
            return url


        def mirror(eu, us):
            pages = []
            for region in (eu, us):
                with ThreadPoolExecutor(max_workers=4) as pool:
                    for batch in region:
                        pages.extend(pool.map(fetch, batch))
            return pages
        """
    assert _fix(before) == textwrap.dedent(after)


# --- pools it leaves in place ---------------------------------------------------------------

_POOL_IN_LOOP = """\
    import os
    from concurrent.futures import ThreadPoolExecutor


    def fetch(url):
        return url


    def crawl(batches, workers):
        pages = []
        for batch in batches:
    {body}
        return pages
    """


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        (
            "        with ThreadPoolExecutor(max_workers=len(batch)) as pool:\n"
            "            pages.extend(pool.map(fetch, batch))",
            "changes in every iteration",
        ),
        (
            "        with ThreadPoolExecutor(max_workers=workers.pop()) as pool:\n"
            "            pages.extend(pool.map(fetch, batch))",
            "would run once",
        ),
        (
            "        with ThreadPoolExecutor(max_workers=os.cpu_count()) as pool, open('x'):\n"
            "            pages.extend(pool.map(fetch, batch))",
            "opens other things",
        ),
        (
            "        with ThreadPoolExecutor(max_workers=4) as pool:\n"
            "            pages.extend(pool.map(fetch, batch))\n"
            "        pool = None",
            "bound again",
        ),
        (
            "        with ThreadPoolExecutor(max_workers=4) as pool:\n"
            "            pages.extend(pool.map(fetch, batch))\n"
            "            pool.shutdown()",
            "shut down by hand",
        ),
        (
            "        if batch:\n"
            "            with ThreadPoolExecutor(max_workers=4) as pool:\n"
            "                pages.extend(pool.map(fetch, batch))",
            "not created directly in the body of a loop",
        ),
    ],
)
def test_refused_shapes_say_why(body: str, reason: str) -> None:
    source = textwrap.dedent(_POOL_IN_LOOP).replace("{body}", textwrap.indent(body, "    "))
    assert reason in _refusal(source)


def test_a_pool_closed_inside_a_nested_block_is_refused() -> None:
    message = _refusal(
        """\
        import multiprocessing


        def tokenize(line):
            return line.split()


        def main(texts):
            for text in texts:
                pool = multiprocessing.Pool(2)
                try:
                    print(pool.map(tokenize, text.splitlines()))
                finally:
                    pool.close()
        """
    )
    assert "nested block" in message


# --- both versions print the same -----------------------------------------------------------

_PROGRAMS = {
    "with_threads": """\
        from concurrent.futures import ThreadPoolExecutor


        def double(x):
            return 2 * x


        def main(batches):
            totals = []
            for batch in batches:
                print("batch", batch)
                with ThreadPoolExecutor(max_workers=3) as pool:
                    totals.append(sum(pool.map(double, batch)))
            print(totals)


        if __name__ == "__main__":
            main([[1, 2], [3, 4, 5], [], [6]])
        """,
    "assigned_processes": """\
        import multiprocessing


        def square(x):
            return x * x


        def main(batches):
            for batch in batches:
                pool = multiprocessing.Pool(2)
                print(pool.map(square, batch))
                pool.close()
                pool.join()


        if __name__ == "__main__":
            main([range(3), range(5), range(2), range(4)])
        """,
}


@pytest.mark.parametrize("name", sorted(_PROGRAMS))
def test_the_fixed_program_prints_the_same(name: str, tmp_path: Path) -> None:
    original = textwrap.dedent(_PROGRAMS[name])
    fixed = _fix(original)
    assert fixed != original
    assert _stdout(fixed, tmp_path, "fixed.py") == _stdout(original, tmp_path, "original.py")
