"""CA205's fix: submit all, then collect in order. Exact before/after source for each shape,
idempotence (the analysis no longer reports CA205 there), the same output when both versions
run, and the reasons it gives for the shapes it leaves alone."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from advisor.model import Finding
from conftest import fixed_once, refusal, rule_examples, rule_findings
from conftest import script_stdout as _stdout

RULE = "CA205"


def _findings(source: str, rule: str = RULE) -> list[Finding]:
    return rule_findings(source, rule)


def _fix(before: str) -> str:
    return fixed_once(before, RULE)


def _refusal(before: str) -> str:
    return refusal(before, RULE)


# --- exact rewrites ---------------------------------------------------------------------------


def test_the_rule_example_becomes_its_fixed_example() -> None:
    rule = rule_examples(RULE)
    assert _fix(rule.example_flagged) == rule.example_fixed


def test_submit_then_result_on_one_line_becomes_extend_map() -> None:
    before = """\
        from concurrent.futures import ThreadPoolExecutor


        def fetch(url):
            return url


        def fetch_all(urls):
            out = []
            with ThreadPoolExecutor() as pool:
                # one page at a time
                for url in urls:  # every url
                    out.append(pool.submit(fetch, url).result())  # collect
            return out
        """
    after = """\
        from concurrent.futures import ThreadPoolExecutor


        def fetch(url):
            return url


        def fetch_all(urls):
            out = []
            with ThreadPoolExecutor() as pool:
                # one page at a time
                # every url
                out.extend(pool.map(fetch, urls))  # collect
            return out
        """
    assert _fix(before) == textwrap.dedent(after)


def test_apply_in_a_loop_becomes_imap_which_keeps_order_and_the_failing_item() -> None:
    before = """\
        import multiprocessing


        def square(x):
            return x * x


        def main(numbers):
            out = []
            with multiprocessing.Pool() as pool:
                for x in numbers:
                    out.append(pool.apply(square, (x,)))
            return out
        """
    after = """\
        import multiprocessing


        def square(x):
            return x * x


        def main(numbers):
            out = []
            with multiprocessing.Pool() as pool:
                out.extend(pool.imap(square, numbers))
            return out
        """
    assert _fix(before) == textwrap.dedent(after)


def test_apply_async_get_in_a_comprehension_becomes_list_of_imap() -> None:
    before = """\
        import multiprocessing


        def square(x):
            return x * x


        def main(numbers):
            with multiprocessing.Pool() as pool:
                return [pool.apply_async(square, (x,)).get() for x in numbers]
        """
    after = """\
        import multiprocessing


        def square(x):
            return x * x


        def main(numbers):
            with multiprocessing.Pool() as pool:
                return list(pool.imap(square, numbers))
        """
    assert _fix(before) == textwrap.dedent(after)


def test_a_reduction_submits_a_list_of_futures_first() -> None:
    before = """\
        from concurrent.futures import ThreadPoolExecutor


        def size(path):
            return len(path)


        def total(paths):
            result = 0
            with ThreadPoolExecutor(max_workers=4) as pool:
                for path in paths:
                    future = pool.submit(size, path)  # hand it over
                    result += future.result()
            return result
        """
    after = """\
        from concurrent.futures import ThreadPoolExecutor


        def size(path):
            return len(path)


        def total(paths):
            result = 0
            with ThreadPoolExecutor(max_workers=4) as pool:
                # hand it over
                futures = [pool.submit(size, path) for path in paths]
                for future in futures:
                    result += future.result()
            return result
        """
    assert _fix(before) == textwrap.dedent(after)


def test_a_body_that_reads_the_item_keeps_it_beside_its_future() -> None:
    before = """\
        from concurrent.futures import ThreadPoolExecutor


        def fetch(url):
            return url


        def fetch_all(urls):
            pages = {}
            with ThreadPoolExecutor() as pool:
                for url in urls:
                    pages[url] = pool.submit(fetch, url).result(timeout=30)
            return pages
        """
    after = """\
        from concurrent.futures import ThreadPoolExecutor


        def fetch(url):
            return url


        def fetch_all(urls):
            pages = {}
            with ThreadPoolExecutor() as pool:
                futures = [(url, pool.submit(fetch, url)) for url in urls]
                for url, future in futures:
                    pages[url] = future.result(timeout=30)
            return pages
        """
    assert _fix(before) == textwrap.dedent(after)


def test_a_tuple_target_is_kept_beside_its_future() -> None:
    before = """\
        from concurrent.futures import ThreadPoolExecutor


        def fetch(url):
            return url


        def fetch_all(urls, pages):
            with ThreadPoolExecutor() as pool:
                for i, url in enumerate(urls):
                    pages[i] = pool.submit(fetch, url).result()
        """
    after = """\
        from concurrent.futures import ThreadPoolExecutor


        def fetch(url):
            return url


        def fetch_all(urls, pages):
            with ThreadPoolExecutor() as pool:
                futures = [((i, url), pool.submit(fetch, url)) for i, url in enumerate(urls)]
                for (i, url), future in futures:
                    pages[i] = future.result()
        """
    assert _fix(before) == textwrap.dedent(after)


def test_an_element_that_uses_the_result_collects_over_the_submitted_list() -> None:
    before = """\
        from concurrent.futures import ThreadPoolExecutor


        def get(url, retries):
            return url


        def sizes(us):
            with ThreadPoolExecutor() as p:
                return [len(p.submit(get, u, 3).result()) for u in us if u]
        """
    after = """\
        from concurrent.futures import ThreadPoolExecutor


        def get(url, retries):
            return url


        def sizes(us):
            with ThreadPoolExecutor() as p:
                return [len(future.result()) for future in [p.submit(get, u, 3) for u in us if u]]
        """
    assert _fix(before) == textwrap.dedent(after)


def test_a_generator_consumed_at_once_becomes_map() -> None:
    before = """\
        from concurrent.futures import ThreadPoolExecutor


        def size(path):
            return len(path)


        def total(paths):
            with ThreadPoolExecutor() as pool:
                return sum(pool.submit(size, path).result() for path in paths)
        """
    after = """\
        from concurrent.futures import ThreadPoolExecutor


        def size(path):
            return len(path)


        def total(paths):
            with ThreadPoolExecutor() as pool:
                return sum(pool.map(size, paths))
        """
    assert _fix(before) == textwrap.dedent(after)


def test_names_in_use_get_a_suffix() -> None:
    before = """\
        from concurrent.futures import ThreadPoolExecutor


        def size(path):
            return len(path)


        def total(paths, futures, future):
            result = 0
            with ThreadPoolExecutor() as pool:
                for path in paths:
                    result += pool.submit(size, path).result()
            return result, futures, future
        """
    fixed = _fix(before)
    assert "futures_1 = [pool.submit(size, path) for path in paths]" in fixed
    assert "for future_1 in futures_1:\n            result += future_1.result()" in fixed


def test_a_thread_started_and_joined_per_item_is_started_for_all_then_joined() -> None:
    before = """\
        import threading


        def process(item):
            print(item)


        def process_all(items):
            for item in items:
                t = threading.Thread(target=process, args=(item,))
                t.start()
                # wait for it
                t.join()
        """
    after = """\
        import threading


        def process(item):
            print(item)


        def process_all(items):
            threads = []
            for item in items:
                t = threading.Thread(target=process, args=(item,))
                t.start()
                threads.append(t)
            for t in threads:
                # wait for it
                t.join()
        """
    fixed = _fix(before)
    assert fixed == textwrap.dedent(after)
    # All threads now run at once: CA201 reports that next, with its bounded-pool fix.
    assert [f.rule for f in _findings(fixed, "CA201")] == ["CA201"]


# --- shapes it leaves alone -----------------------------------------------------------------


_SUBMITTING = """\
    from concurrent.futures import ThreadPoolExecutor


    def fetch(url):
        return url


    def fetch_all(urls):
        out = []
        with ThreadPoolExecutor() as pool:
            for url in urls:
    {body}
        return out
    """


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        (
            "            if url:\n                out.append(pool.submit(fetch, url).result())",
            "nested block",
        ),
        (
            "            print(url)\n            out.append(pool.submit(fetch, url).result())",
            "code runs before the submission",
        ),
        (
            "            out.append(pool.submit(lambda: fetch(url)).result())",
            "closure over the loop variable",
        ),
        (
            "            out.append(url and pool.submit(fetch, url).result())",
            "`and`/`or`",
        ),
        (
            "            out.append(pool.submit(fetch, url).result())\n"
            "            if len(out) > 3:\n"
            "                break",
            "break",
        ),
    ],
)
def test_refused_shapes_say_why(body: str, reason: str) -> None:
    source = textwrap.dedent(_SUBMITTING).replace("{body}", textwrap.indent(body, "    "))
    assert reason in _refusal(source)


def test_a_while_loop_is_refused() -> None:
    message = _refusal(
        """\
        from concurrent.futures import ThreadPoolExecutor


        def fetch(url):
            return url


        def drain(queue):
            out = []
            with ThreadPoolExecutor() as pool:
                while queue:
                    out.append(pool.submit(fetch, queue.pop()).result())
            return out
        """
    )
    assert "while loops" in message


# --- both versions print the same -----------------------------------------------------------

_PROGRAMS = {
    "executor": """\
        from concurrent.futures import ThreadPoolExecutor


        def shout(word):
            return word.upper() * (len(word) % 3 + 1)


        def main(words):
            out = []
            with ThreadPoolExecutor(max_workers=3) as pool:
                for word in words:
                    future = pool.submit(shout, word)
                    out.append(future.result())
            print(out)


        if __name__ == "__main__":
            main(["ab", "c", "def", "gh", "ijkl", "m"])
        """,
    "pairs": """\
        from concurrent.futures import ThreadPoolExecutor


        def shout(word):
            return word.upper()


        def main(words):
            lengths = {}
            with ThreadPoolExecutor(max_workers=3) as pool:
                for word in words:
                    lengths[word] = len(pool.submit(shout, word).result()) + len(word)
            print(sorted(lengths.items()), word)


        if __name__ == "__main__":
            main(["ab", "c", "def", "gh"])
        """,
    "process_apply": """\
        import multiprocessing


        def square(x):
            return x * x


        def main(numbers):
            out = []
            with multiprocessing.Pool(2) as pool:
                for x in numbers:
                    out.append(pool.apply(square, (x,)))
            print(out)


        if __name__ == "__main__":
            main(range(12))
        """,
    "failing_item": """\
        from concurrent.futures import ThreadPoolExecutor


        def invert(x):
            return 1 / x


        def main(numbers):
            out = []
            with ThreadPoolExecutor(max_workers=2) as pool:
                try:
                    for x in numbers:
                        out.append(pool.submit(invert, x).result())
                except ZeroDivisionError as error:
                    print("failed:", error)
            print(out)


        if __name__ == "__main__":
            main([1, 2, 4, 0, 5, 8])
        """,
    "threads": """\
        import threading

        RESULTS = {}


        def store(key):
            RESULTS[key] = key * 2


        def main(keys):
            for key in keys:
                worker = threading.Thread(target=store, args=(key,))
                worker.start()
                worker.join()
            print(sorted(RESULTS.items()))


        if __name__ == "__main__":
            main(range(8))
        """,
}


@pytest.mark.parametrize("name", sorted(_PROGRAMS))
def test_the_fixed_program_prints_the_same(name: str, tmp_path: Path) -> None:
    original = textwrap.dedent(_PROGRAMS[name])
    fixed = _fix(original)
    assert fixed != original
    assert _stdout(fixed, tmp_path, "fixed.py") == _stdout(original, tmp_path, "original.py")
