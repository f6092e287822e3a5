"""Loop fission: the work runs in the pool, the printing and collecting that follow it stay
serial, in order, over the results (advisor/syntax/serial_tail.py). Exact rewrites, idempotence,
the analysis' verdict, and real runs whose output must not change."""

from __future__ import annotations

import ast
import textwrap
from pathlib import Path

import pytest

from advisor.codemods.loop_executor import PROCESS_POOL, rewrite_loop
from advisor.codemods.thread_pool import rewrite_loops_to_thread_pool
from advisor.errors import RewriteError
from advisor.syntax.serial_tail import serial_tail
from conftest import rule_findings, script_stdout


def _rewrite(source: str, line: int, workers: int = 4) -> str:
    rewritten = rewrite_loops_to_thread_pool(source, {line: workers})
    compile(rewritten, "<rewritten>", "exec", dont_inherit=True)
    assert rewrite_loops_to_thread_pool(rewritten, {}) == rewritten
    return rewritten


PRINTING = textwrap.dedent(
    """\
    import time


    def fetch(url):
        time.sleep(0.01)
        return url * 2


    def report(urls):
        sizes = []
        total = 0
        for url in urls:
            page = fetch(url)
            size = len(page)
            print(f"{url}: {size} bytes")
            if size > 4:
                print("  large")
            sizes.append(size)
            total += size
        print("total", total)
        return sizes


    print(report(["a", "bb", "ccc"] * 5))
    """
)


def test_printing_and_several_results_stay_serial_after_the_pooled_work(tmp_path: Path) -> None:
    after = _rewrite(PRINTING, 12)
    assert after == textwrap.dedent(
        """\
        import time
        from concurrent.futures import ThreadPoolExecutor


        def fetch(url):
            time.sleep(0.01)
            return url * 2


        def report(urls):
            sizes = []
            total = 0

            def _url_result(url):
                page = fetch(url)
                size = len(page)
                return url, size

            with ThreadPoolExecutor(max_workers=4) as executor:
                for url, size in executor.map(_url_result, urls):
                    print(f"{url}: {size} bytes")
                    if size > 4:
                        print("  large")
                    sizes.append(size)
                    total += size
            print("total", total)
            return sizes


        print(report(["a", "bb", "ccc"] * 5))
        """
    )
    assert script_stdout(after, tmp_path, "after.py") == script_stdout(
        PRINTING, tmp_path, "before.py"
    )


def test_the_analysis_judges_only_the_work_and_calls_it_safe() -> None:
    (finding,) = rule_findings(PRINTING, "CA101")
    assert (finding.line, finding.fix_safety, finding.site and finding.site.shape) == (
        12,
        "safe",
        "for_tail",
    )


EFFECTS = textwrap.dedent(
    """\
    import subprocess
    import sys

    commands = [[sys.executable, "-c", f"print({i})"] for i in range(4)]
    for command in commands:
        subprocess.run(command, check=True, capture_output=True)
    print("done")
    """
)


def test_a_body_of_effects_only_is_mapped_and_its_results_consumed(tmp_path: Path) -> None:
    after = _rewrite(EFFECTS, 5)
    assert after == textwrap.dedent(
        """\
        import subprocess
        import sys
        from concurrent.futures import ThreadPoolExecutor

        commands = [[sys.executable, "-c", f"print({i})"] for i in range(4)]


        def _command_result(command):
            subprocess.run(command, check=True, capture_output=True)


        with ThreadPoolExecutor(max_workers=4) as executor:
            for result in executor.map(_command_result, commands):
                pass
        print("done")
        """
    )
    assert script_stdout(after, tmp_path, "after.py") == "done\n"
    # a child process may read what an earlier one wrote: not safe, a run can tell
    (finding,) = rule_findings(EFFECTS, "CA101")
    assert (finding.fix_safety, finding.run_checkable) == ("unsafe", True)


def test_an_exception_in_the_work_surfaces_after_the_earlier_items_printed(
    tmp_path: Path,
) -> None:
    before = textwrap.dedent(
        """\
        import time


        def load(n):
            time.sleep(0.01)
            if n == 3:
                raise ValueError(n)
            return n * n


        try:
            for n in range(6):
                value = load(n)
                print(n, value)
        except ValueError as error:
            print("failed at", error)
        """
    )
    after = _rewrite(before, 12)
    assert "for n, value in executor.map(_n_result, range(6)):" in after
    expected = "0 0\n1 1\n2 4\nfailed at 3\n"
    assert script_stdout(before, tmp_path, "before.py") == expected
    assert script_stdout(after, tmp_path, "after.py") == expected


def test_a_filter_stays_in_front_and_logging_stays_in_the_tail(tmp_path: Path) -> None:
    before = textwrap.dedent(
        """\
        import logging
        import sys
        import time

        logging.basicConfig(stream=sys.stdout, format="%(message)s", level=logging.INFO)
        log = logging.getLogger("job")
        names = ["a", "", "b", "c"]
        found = {}
        for name in names:
            if not name:
                continue
            time.sleep(0.01)
            result = name.upper()
            log.info("fetched %s", name)
            found[name] = result
        print(found)
        """
    )
    after = _rewrite(before, 9)
    assert after.endswith(
        textwrap.dedent(
            """\
            def _name_result(name):
                time.sleep(0.01)
                result = name.upper()
                return name, result


            with ThreadPoolExecutor(max_workers=4) as executor:
                for name, result in executor.map(_name_result, [name for name in names if name]):
                    log.info("fetched %s", name)
                    found[name] = result
            print(found)
            """
        )
    )
    assert script_stdout(after, tmp_path, "after.py") == script_stdout(
        before, tmp_path, "before.py"
    )


@pytest.mark.parametrize(
    ("source", "reason"),
    [
        (  # the tail counts what the work reads: the items are not independent
            "for u in us:\n    d = get(u, n)\n    print(d)\n    n += 1\n",
            "the body uses the accumulator `n` before its last statement",
        ),
        (  # a filter reads what the tail collects: it would run ahead of every tail
            "for u in us:\n    if u in seen:\n        continue\n    d = get(u)\n"
            "    print(d)\n    seen.add(u)\n",
            "the filter reads `seen`, which the loop changes",
        ),
        (  # the work reads what the tail collects
            "for u in us:\n    d = get(u, out)\n    print(d)\n    out.append(d)\n",
            "the body uses the accumulator `out` before its last statement",
        ),
    ],
)
def test_tails_that_could_change_behaviour_are_not_split(source: str, reason: str) -> None:
    with pytest.raises(RewriteError, match=reason):
        rewrite_loops_to_thread_pool(source, {1: 4})


def test_a_call_the_tail_cannot_vouch_for_stays_in_the_work_which_is_then_unsafe() -> None:
    source = (
        "def f(us, get, save):\n    for u in us:\n        d = get(u)\n        save(d)\n"
        "        print(d)\n"
    )
    (finding,) = rule_findings(
        source.replace("get(u)", "urlopen(u)").replace(
            "def f(us, get, save):", "from urllib.request import urlopen\ndef f(us, save):"
        ),
        "CA101",
    )
    assert finding.fix_safety == "unsafe"
    after = rewrite_loops_to_thread_pool(source, {2: 4})
    assert "    def _u_result(u):\n        d = get(u)\n        save(d)\n        return d\n" in after
    assert "        for d in executor.map(_u_result, us):\n            print(d)\n" in after


CRUNCHING = textwrap.dedent(
    """\
    import sys


    def steps_of(n):
        steps = 0
        while n != 1:
            n = n // 2 if n % 2 == 0 else 3 * n + 1
            steps += 1
        return steps


    def main(blocks):
        longest = 0
        total = 0
        for start in range(1, blocks + 1):
            lo = start * 500
            best = max(range(lo, lo + 500), key=steps_of)
            steps = steps_of(best)
            print(f"block {start}: {best} takes {steps} steps")
            total += steps
            if steps > longest:
                longest = steps
        print(f"{total} steps in all, longest {longest}")


    if __name__ == "__main__":
        main(int(sys.argv[1]) if len(sys.argv) > 1 else 6)
    """
)


def test_processes_run_the_work_and_the_tail_keeps_the_running_maximum(tmp_path: Path) -> None:
    after = rewrite_loop(CRUNCHING, 15, 2, PROCESS_POOL)
    assert after == textwrap.dedent(
        """\
        import sys
        from concurrent.futures import ProcessPoolExecutor


        def steps_of(n):
            steps = 0
            while n != 1:
                n = n // 2 if n % 2 == 0 else 3 * n + 1
                steps += 1
            return steps


        def _start_result(start):
            lo = start * 500
            best = max(range(lo, lo + 500), key=steps_of)
            steps = steps_of(best)
            return start, best, steps


        def main(blocks):
            longest = 0
            total = 0
            with ProcessPoolExecutor(max_workers=2) as executor:
                for start, best, steps in executor.map(_start_result, range(1, blocks + 1)):
                    print(f"block {start}: {best} takes {steps} steps")
                    total += steps
                    if steps > longest:
                        longest = steps
            print(f"{total} steps in all, longest {longest}")


        if __name__ == "__main__":
            main(int(sys.argv[1]) if len(sys.argv) > 1 else 6)
        """
    )
    assert script_stdout(after, tmp_path, "after.py") == script_stdout(
        CRUNCHING, tmp_path, "before.py"
    )


WITH_BODY = textwrap.dedent(
    """\
    import urllib.request


    def fetch_all(urls):
        pages = []
        for url in urls:
            with urllib.request.urlopen(url, timeout=10) as response:
                pages.append(response.read())
        return pages


    def sizes_of(paths):
        sizes = {}
        for path in paths:
            with open(path, "rb") as f:
                data = f.read()
                sizes[path] = len(data)
        return sizes
    """
)


def test_a_body_inside_a_with_block_enters_it_per_item(tmp_path: Path) -> None:
    after = rewrite_loops_to_thread_pool(WITH_BODY, {6: 4, 14: 4})
    compile(after, "<rewritten>", "exec", dont_inherit=True)
    assert rewrite_loops_to_thread_pool(after, {}) == after
    assert after == textwrap.dedent(
        """\
        import urllib.request
        from concurrent.futures import ThreadPoolExecutor


        def fetch_all(urls):
            pages = []

            def _url_result(url):
                with urllib.request.urlopen(url, timeout=10) as response:
                    return response.read()

            with ThreadPoolExecutor(max_workers=4) as executor:
                pages.extend(executor.map(_url_result, urls))
            return pages


        def sizes_of(paths):
            sizes = {}

            def _path_result(path):
                with open(path, "rb") as f:
                    data = f.read()
                    return path, len(data)

            with ThreadPoolExecutor(max_workers=4) as executor:
                sizes.update(executor.map(_path_result, paths))
            return sizes
        """
    )
    files = []
    for n in range(3):
        (tmp_path / f"f{n}").write_bytes(b"x" * (n + 1))
        files.append(str(tmp_path / f"f{n}"))
    urls = [Path(f).as_uri() for f in files]  # urlopen reads file:// URLs too
    call = f"\nprint(sizes_of({files!r}))\nprint(fetch_all({urls!r}))\n"
    assert script_stdout(after + call, tmp_path, "a.py") == script_stdout(
        WITH_BODY + call, tmp_path, "b.py"
    )


def test_the_analysis_sees_the_accumulator_inside_the_with_and_calls_it_safe() -> None:
    findings = rule_findings(WITH_BODY, "CA101")
    assert [(f.line, f.fix_safety, f.reasons) for f in findings] == [
        (6, "safe", ()),
        (14, "safe", ()),
    ]


def test_processes_enter_a_with_block_in_the_lifted_function(tmp_path: Path) -> None:
    """The worker opens the item's file itself; what the `with` reads from the enclosing
    function (the folder) is passed to it."""
    before = textwrap.dedent(
        """\
        import os


        def score(data):
            return sum(data) % 9973


        def scores_of(folder, names):
            scores = {}
            for name in names:
                with open(os.path.join(folder, name), "rb") as f:
                    data = f.read()
                    scores[name] = score(data)
            return scores


        if __name__ == "__main__":
            folder = os.path.dirname(os.path.abspath(__file__))
            names = []
            for i in range(6):
                names.append(f"part{i}.bin")
                with open(os.path.join(folder, names[-1]), "wb") as out:
                    out.write(bytes(range(256)) * (i + 1))
            print(scores_of(folder, names))
        """
    )
    after = rewrite_loop(before, 10, 2, PROCESS_POOL)
    assert after == textwrap.dedent(
        """\
        import os
        import functools
        from concurrent.futures import ProcessPoolExecutor


        def score(data):
            return sum(data) % 9973


        def _name_result(name, *, folder):
            with open(os.path.join(folder, name), "rb") as f:
                data = f.read()
                return name, score(data)


        def scores_of(folder, names):
            scores = {}
            with ProcessPoolExecutor(max_workers=2) as executor:
                scores.update(executor.map(functools.partial(_name_result, folder=folder), names))
            return scores


        if __name__ == "__main__":
            folder = os.path.dirname(os.path.abspath(__file__))
            names = []
            for i in range(6):
                names.append(f"part{i}.bin")
                with open(os.path.join(folder, names[-1]), "wb") as out:
                    out.write(bytes(range(256)) * (i + 1))
            print(scores_of(folder, names))
        """
    )
    (tmp_path / "before").mkdir()
    (tmp_path / "after").mkdir()
    assert script_stdout(after, tmp_path / "after", "after.py") == script_stdout(
        before, tmp_path / "before", "before.py"
    )


FILTERED_TAIL = textwrap.dedent(
    """\
    import time


    def fetch(u):
        time.sleep(0.01)
        return u * 3


    def main(urls):
        total = 0
        for u in urls:
            if not u.startswith("#"):
                page = fetch(u)
                print(u, len(page))
                total += len(page)
        print("total", total)


    main(["a", "#b", "cc", "d", "#e", "ff"])
    """
)


def test_a_whole_body_if_is_the_filter_and_its_block_is_split(tmp_path: Path) -> None:
    after = _rewrite(FILTERED_TAIL, 11)
    assert (
        "    def _u_result(u):\n"
        "        page = fetch(u)\n"
        "        return u, page\n"
        "\n"
        "    with ThreadPoolExecutor(max_workers=4) as executor:\n"
        "        for u, page in executor.map("
        '_u_result, [u for u in urls if not u.startswith("#")]):\n'
        "            print(u, len(page))\n"
        "            total += len(page)\n"
    ) in after
    assert script_stdout(after, tmp_path, "a.py") == script_stdout(FILTERED_TAIL, tmp_path, "b.py")
    [finding] = rule_findings(FILTERED_TAIL, "CA101")
    assert (finding.line, finding.fix_safety, finding.reasons) == (11, "safe", ())


HEADED = textwrap.dedent(
    """\
    import time


    def load(n):
        time.sleep(0.01)
        if n == 4:
            raise ValueError(n)
        return n * n


    def run(count):
        squares = []
        for n in range(count):
            print(f"loading {n}")
            value = load(n)
            squares.append(value)
            print(f"  got {value}")
        return squares


    print(run(4))
    try:
        run(6)
    except ValueError as error:
        print("failed at", error)
    """
)


def test_output_before_the_work_runs_just_before_each_result_is_taken(tmp_path: Path) -> None:
    after = _rewrite(HEADED, 13)
    assert after == textwrap.dedent(
        """\
        import time
        from concurrent.futures import ThreadPoolExecutor


        def load(n):
            time.sleep(0.01)
            if n == 4:
                raise ValueError(n)
            return n * n


        def run(count):
            squares = []

            def _n_result(n):
                value = load(n)
                return value

            with ThreadPoolExecutor(max_workers=4) as executor:
                items = list(range(count))
                results = executor.map(_n_result, items)
                for n in items:
                    print(f"loading {n}")
                    value = next(results)
                    squares.append(value)
                    print(f"  got {value}")
            return squares


        print(run(4))
        try:
            run(6)
        except ValueError as error:
            print("failed at", error)
        """
    )
    # the failing item's head prints, then its exception: byte-identical, failure included
    expected = script_stdout(HEADED, tmp_path, "before.py")
    assert expected.endswith("  got 9\nloading 4\nfailed at 4\n")
    assert script_stdout(after, tmp_path, "after.py") == expected
    (finding,) = rule_findings(HEADED, "CA101")
    assert (finding.line, finding.fix_safety, finding.site and finding.site.shape) == (
        13,
        "safe",
        "for_tail",
    )


def test_a_head_behind_a_filter_lists_only_the_kept_items(tmp_path: Path) -> None:
    before = textwrap.dedent(
        """\
        import subprocess
        import sys

        names = ["a", "", "b", "c"]
        for name in names:
            if not name:
                continue
            print("running", name)
            subprocess.run([sys.executable, "-c", f"print({name!r})"], capture_output=True)
        print("done")
        """
    )
    after = _rewrite(before, 5)
    assert after == textwrap.dedent(
        """\
        import subprocess
        import sys
        from concurrent.futures import ThreadPoolExecutor

        names = ["a", "", "b", "c"]


        def _name_result(name):
            subprocess.run([sys.executable, "-c", f"print({name!r})"], capture_output=True)


        with ThreadPoolExecutor(max_workers=4) as executor:
            items = [name for name in names if name]
            results = executor.map(_name_result, items)
            for name in items:
                print("running", name)
                next(results)
        print("done")
        """
    )
    assert script_stdout(after, tmp_path, "after.py") == script_stdout(
        before, tmp_path, "before.py"
    )


def test_processes_take_the_head_serially_too(tmp_path: Path) -> None:
    before = textwrap.dedent(
        """\
        def collatz(n):
            steps = 0
            while n != 1:
                n = n // 2 if n % 2 == 0 else 3 * n + 1
                steps += 1
            return steps


        def main():
            for start in range(1, 5):
                print(f"block {start}")
                best = max(range(start * 100, start * 100 + 100), key=collatz)
                print(best)


        if __name__ == "__main__":
            main()
        """
    )
    after = rewrite_loop(before, 10, 2, PROCESS_POOL)
    compile(after, "<after>", "exec", dont_inherit=True)
    assert "        items = list(range(1, 5))\n" in after
    assert "        results = executor.map(_start_result, items)\n" in after
    assert '            print(f"block {start}")\n            best = next(results)\n' in after
    assert script_stdout(after, tmp_path, "after.py") == script_stdout(
        before, tmp_path, "before.py"
    )


def test_a_head_that_reads_what_the_work_binds_stays_in_the_work() -> None:
    source = textwrap.dedent(
        """\
        import time

        def run(urls):
            sizes = []
            page = ""
            for url in urls:
                print("previous", len(page))
                time.sleep(0.01)
                page = url * 2
                sizes.append(len(page))
            return sizes
        """
    )
    (finding,) = rule_findings(source, "CA101")
    assert finding.fix_safety == "none"
    assert "`page` is carried from one iteration to the next" in finding.reasons
    assert any("ordered output" in reason for reason in finding.reasons)


def test_a_gather_keeps_refusing_output_before_the_await() -> None:
    source = textwrap.dedent(
        """\
        import asyncio

        async def fetch(n):
            await asyncio.sleep(0.01)
            return n

        async def main():
            values = []
            for n in range(30):
                print("fetching", n)
                values.append(await fetch(n))
            return values
        """
    )
    (finding,) = rule_findings(source, "CA104")
    assert finding.fix_safety == "unsafe"


def test_a_tuple_target_is_unpacked_by_the_serial_loop_and_by_the_work(tmp_path: Path) -> None:
    before = textwrap.dedent(
        """\
        import time


        def fetch(url):
            time.sleep(0.01)
            return url.upper()


        for number, url in enumerate(["a", "b", "c"]):
            print(f"[{number}] fetching {url}")
            page = fetch(url)
            print(number, page)
        """
    )
    after = _rewrite(before, 9)
    assert after == textwrap.dedent(
        """\
        import time
        from concurrent.futures import ThreadPoolExecutor


        def fetch(url):
            time.sleep(0.01)
            return url.upper()


        def _item_result(item):
            number, url = item
            page = fetch(url)
            return page


        with ThreadPoolExecutor(max_workers=4) as executor:
            items = list(enumerate(["a", "b", "c"]))
            results = executor.map(_item_result, items)
            for number, url in items:
                print(f"[{number}] fetching {url}")
                page = next(results)
                print(number, page)
        """
    )
    assert script_stdout(after, tmp_path, "after.py") == script_stdout(
        before, tmp_path, "before.py"
    )


def test_processes_unpack_a_tuple_target_with_a_head(tmp_path: Path) -> None:
    before = textwrap.dedent(
        """\
        def collatz(n):
            steps = 0
            while n != 1:
                n = n // 2 if n % 2 == 0 else 3 * n + 1
                steps += 1
            return steps


        def main():
            for index, start in enumerate(range(1, 900, 300)):
                print(f"block {index}")
                best = max(range(start, start + 300), key=collatz)
                print(best)


        if __name__ == "__main__":
            main()
        """
    )
    after = rewrite_loop(before, 10, 2, PROCESS_POOL)
    assert after.endswith(
        textwrap.dedent(
            """\
            def _item_result(item):
                index, start = item
                best = max(range(start, start + 300), key=collatz)
                return best


            def main():
                with ProcessPoolExecutor(max_workers=2) as executor:
                    items = list(enumerate(range(1, 900, 300)))
                    results = executor.map(_item_result, items)
                    for index, start in items:
                        print(f"block {index}")
                        best = next(results)
                        print(best)


            if __name__ == "__main__":
                main()
            """
        )
    )
    assert script_stdout(after, tmp_path, "after.py") == script_stdout(
        before, tmp_path, "before.py"
    )


def test_writes_to_an_open_file_stay_in_the_serial_tail(tmp_path: Path) -> None:
    before = textwrap.dedent(
        """\
        import time


        def fetch(url):
            time.sleep(0.01)
            return url * 3


        with open("sizes.txt", "w") as out:
            for url in ["a", "bb", "ccc", "dddd"] * 3:
                page = fetch(url)
                out.write(f"{url},{len(page)}\\n")
        print(open("sizes.txt").read(), end="")
        """
    )
    after = _rewrite(before, 10)
    assert after == textwrap.dedent(
        """\
        import time
        from concurrent.futures import ThreadPoolExecutor


        def fetch(url):
            time.sleep(0.01)
            return url * 3


        with open("sizes.txt", "w") as out:
            def _url_result(url):
                page = fetch(url)
                return url, page

            with ThreadPoolExecutor(max_workers=4) as executor:
                for url, page in executor.map(_url_result, ["a", "bb", "ccc", "dddd"] * 3):
                    out.write(f"{url},{len(page)}\\n")
        print(open("sizes.txt").read(), end="")
        """
    )
    (finding,) = rule_findings(before, "CA101")
    assert finding.fix_safety == "safe"
    (tmp_path / "before").mkdir()
    (tmp_path / "after").mkdir()
    assert script_stdout(after, tmp_path / "after", "after.py") == script_stdout(
        before, tmp_path / "before", "before.py"
    )


def test_a_file_the_work_also_writes_to_keeps_the_write_in_the_work() -> None:
    source = textwrap.dedent(
        """\
        import subprocess

        def ping_all(servers, f):
            for server in servers:
                ret = subprocess.call(["ping", "-c", "1", server], stdout=f)
                if ret == 0:
                    f.write(server + " is alive\\n")
        """
    )
    (finding,) = rule_findings(source, "CA101")
    assert finding.fix_safety != "safe"
    assert any("`f`" in reason for reason in finding.reasons)


def test_a_gather_refuses_a_file_write_after_the_await() -> None:
    source = textwrap.dedent(
        """\
        import asyncio

        async def fetch(n):
            await asyncio.sleep(0.01)
            return n

        async def main(out):
            for n in range(30):
                value = await fetch(n)
                out.write(f"{value}\\n")
        """
    )
    (finding,) = rule_findings(source, "CA104")
    assert finding.fix_safety == "unsafe"
    assert any("the gather raises" in reason for reason in finding.reasons)


def test_a_continue_after_the_work_skips_the_rest_of_the_serial_tail(tmp_path: Path) -> None:
    before = textwrap.dedent(
        """\
        import time


        def fetch(url):
            time.sleep(0.01)
            return "" if url == "bb" else url * 3


        pages = []
        for url in ["a", "bb", "ccc", "dddd"] * 3:
            page = fetch(url)
            if not page:
                print(f"{url}: empty")
                continue
            pages.append(page)
            print(f"{url}: {len(page)}")
        print(len(pages))
        """
    )
    after = _rewrite(before, 10)
    assert after == textwrap.dedent(
        """\
        import time
        from concurrent.futures import ThreadPoolExecutor


        def fetch(url):
            time.sleep(0.01)
            return "" if url == "bb" else url * 3


        pages = []


        def _url_result(url):
            page = fetch(url)
            return url, page


        with ThreadPoolExecutor(max_workers=4) as executor:
            for url, page in executor.map(_url_result, ["a", "bb", "ccc", "dddd"] * 3):
                if not page:
                    print(f"{url}: empty")
                    continue
                pages.append(page)
                print(f"{url}: {len(page)}")
        print(len(pages))
        """
    )
    assert script_stdout(after, tmp_path, "after.py") == script_stdout(
        before, tmp_path, "before.py"
    )
    (finding,) = rule_findings(before, "CA101")
    assert finding.fix_safety == "safe"


def test_a_continue_inside_the_work_is_still_no_rewrite() -> None:
    source = textwrap.dedent(
        """\
        import time

        def parse(page):
            return page.upper()

        def run(urls):
            out = []
            for url in urls:
                time.sleep(0.01)
                page = url * 2
                if not page:
                    continue
                data = parse(page)
                out.append(data)
            return out
        """
    )
    (finding,) = rule_findings(source, "CA101")
    assert finding.fix_safety == "none"
    assert finding.reasons[0] == "no automatic rewrite for this shape: body contains continue"


def test_names_computed_before_the_head_open_both_and_the_tail_takes_the_works(
    tmp_path: Path,
) -> None:
    before = textwrap.dedent(
        """\
        import time


        def fetch(url):
            time.sleep(0.01)
            return len(url)


        for url in ["http://x/a.mp4", "http://x/bb.mp4", "http://x/ccc.mp4"] * 2:
            name = url.split("/")[-1]
            parts = list(name)
            print("fetching", name, len(parts))
            parts.append(fetch(url))
            print(name, parts[-1], len(parts))
        """
    )
    after = _rewrite(before, 9)
    assert after == textwrap.dedent(
        """\
        import time
        from concurrent.futures import ThreadPoolExecutor


        def fetch(url):
            time.sleep(0.01)
            return len(url)


        def _url_result(url):
            name = url.split("/")[-1]
            parts = list(name)
            parts.append(fetch(url))
            return parts


        with ThreadPoolExecutor(max_workers=4) as executor:
            items = list(["http://x/a.mp4", "http://x/bb.mp4", "http://x/ccc.mp4"] * 2)
            results = executor.map(_url_result, items)
            for url in items:
                name = url.split("/")[-1]
                parts = list(name)
                print("fetching", name, len(parts))
                parts = next(results)
                print(name, parts[-1], len(parts))
        """
    )
    # the list the work appended to is the one the tail prints, as in the loop
    assert script_stdout(after, tmp_path, "after.py") == script_stdout(
        before, tmp_path, "before.py"
    )
    (finding,) = rule_findings(before, "CA101")
    assert finding.fix_safety == "safe"


BETWEEN_PRINTS = textwrap.dedent(
    """\
    import time


    def fetch(n):
        time.sleep(0.01 * (5 - n))  # later items finish first
        if n == 4:
            raise ValueError(n)
        return bytes(range(n * 10))


    def crawl(count):
        pages = []
        for n in range(count):
            print("fetching", n)
            page = fetch(n)
            size = len(page)
            print("got", size, "bytes")
            checksum = sum(page) % 256
            print("checksum", checksum)
            pages.append(page)
        return pages


    print(len(crawl(4)))
    try:
        crawl(6)
    except ValueError as error:
        print("failed at", error)
    """
)


def test_a_value_computed_between_two_prints_stays_between_them(tmp_path: Path) -> None:
    """`size` right after the work is computed in the pool; `checksum`, computed after the
    first print, stays serial between the two prints, so the output keeps its order."""
    after = _rewrite(BETWEEN_PRINTS, 13)
    assert after == textwrap.dedent(
        """\
        import time
        from concurrent.futures import ThreadPoolExecutor


        def fetch(n):
            time.sleep(0.01 * (5 - n))  # later items finish first
            if n == 4:
                raise ValueError(n)
            return bytes(range(n * 10))


        def crawl(count):
            pages = []

            def _n_result(n):
                page = fetch(n)
                size = len(page)
                return size, page

            with ThreadPoolExecutor(max_workers=4) as executor:
                items = list(range(count))
                results = executor.map(_n_result, items)
                for n in items:
                    print("fetching", n)
                    size, page = next(results)
                    print("got", size, "bytes")
                    checksum = sum(page) % 256
                    print("checksum", checksum)
                    pages.append(page)
            return pages


        print(len(crawl(4)))
        try:
            crawl(6)
        except ValueError as error:
            print("failed at", error)
        """
    )
    expected = script_stdout(BETWEEN_PRINTS, tmp_path, "before.py")
    assert expected.endswith("checksum 179\nfetching 4\nfailed at 4\n")
    assert script_stdout(after, tmp_path, "after.py") == expected
    (finding,) = rule_findings(BETWEEN_PRINTS, "CA101")
    assert (finding.line, finding.fix_safety) == (13, "safe")


GROUPED = textwrap.dedent(
    """\
    import hashlib
    import time


    def digest(path):
        time.sleep(0.01)
        return hashlib.sha1(path.encode()).hexdigest()[:1]


    def group(paths):
        by_digest = {}
        by_length = {}
        for path in paths:
            key = digest(path)
            if key in by_digest.keys():
                by_digest[key].append(path)
            else:
                by_digest[key] = [path]
            by_length.setdefault(len(path), []).append(path)
        return by_digest, by_length


    print(group([f"file{n}.txt" for n in range(40)]))
    """
)


def test_grouping_into_a_dicts_lists_stays_in_the_serial_tail(tmp_path: Path) -> None:
    # `groups[key].append(v)` and `groups.setdefault(key, []).append(v)`: the group-by idiom
    # collects into the dict like `groups[key] = v`, serially and in order
    after = _rewrite(GROUPED, 13)
    assert after == textwrap.dedent(
        """\
        import hashlib
        import time
        from concurrent.futures import ThreadPoolExecutor


        def digest(path):
            time.sleep(0.01)
            return hashlib.sha1(path.encode()).hexdigest()[:1]


        def group(paths):
            by_digest = {}
            by_length = {}

            def _path_result(path):
                key = digest(path)
                return path, key

            with ThreadPoolExecutor(max_workers=4) as executor:
                for path, key in executor.map(_path_result, paths):
                    if key in by_digest.keys():
                        by_digest[key].append(path)
                    else:
                        by_digest[key] = [path]
                    by_length.setdefault(len(path), []).append(path)
            return by_digest, by_length


        print(group([f"file{n}.txt" for n in range(40)]))
        """
    )
    (finding,) = rule_findings(GROUPED, "CA101")
    assert (finding.line, finding.fix_safety) == (13, "safe")
    assert script_stdout(after, tmp_path, "after.py") == script_stdout(
        GROUPED, tmp_path, "before.py"
    )


def test_a_group_the_work_reads_keeps_the_grouping_in_the_work() -> None:
    source = (
        "for p in paths:\n    k = digest(p, groups)\n    groups[k].append(p)\n"
        "    groups.setdefault(k, []).append(p)\n"
    )
    # the work reads the groups: no serial tail, and no plain form either
    assert serial_tail(ast.parse(source).body[0]) is None  # type: ignore[arg-type]
    with pytest.raises(RewriteError, match="append target is not a plain name"):
        rewrite_loops_to_thread_pool(source, {1: 4})
