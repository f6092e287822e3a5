"""The pool rules (CA201, CA202, CA205, CA206, CA207, CA208) on exact snippets, and over the
standard library's own concurrency code."""

from __future__ import annotations

import sys
import sysconfig
import textwrap
from collections import Counter
from pathlib import Path

import pytest

from advisor.analysis.detectors import analyse_content, detect_pool_rules
from advisor.analysis.facts import module_facts
from advisor.analysis.knowledge import load_knowledge
from advisor.catalog import get_rule, load_catalog
from advisor.model import Finding
from advisor.syntax.source import Source

KNOWLEDGE = load_knowledge()
POOL_RULES = ("CA201", "CA202", "CA205", "CA206", "CA207", "CA208")
RULES_DIR = Path(__file__).parent.parent / "rules"


def findings(code: str) -> list[Finding]:
    source = Source.of_text(path="m.py", text=textwrap.dedent(code))
    return detect_pool_rules(module_facts(source, KNOWLEDGE))


def summary(code: str) -> list[tuple[str, int, int, str, str]]:
    """(rule, line, end_line, suggestion, fix_safety) of every finding, in source order."""
    found = sorted(findings(code), key=lambda f: (f.line, f.rule))
    return [(f.rule, f.line, f.end_line, f.suggestion, f.fix_safety) for f in found]


def only(code: str) -> Finding:
    found = findings(code)
    assert len(found) == 1, found
    return found[0]


# --- CA201: a Thread per item ------------------------------------------------------------------


def test_thread_per_item_through_an_alias_never_joined_is_unsafe() -> None:
    code = """
        from threading import Thread as T

        def notify(user):
            return user

        def notify_all(users):
            for user in users:
                T(target=notify, args=(user,)).start()
    """
    finding = only(code)
    assert summary(code) == [("CA201", 9, 9, "bounded_pool", "unsafe")]
    assert finding.message == (
        "`T(...)` starts a new thread for every item of the loop at line 8, with no bound on how "
        "many run at once: use a ThreadPoolExecutor with bounded `max_workers`"
    )
    assert finding.reasons == (
        "the threads are not joined here: the caller goes on while they run, and a pool's `map` "
        "would make it wait",
        "an exception in the target, which a bare thread reports while the others go on, is "
        "raised by the pool in the caller",
    )


def test_thread_per_item_started_and_joined_later_is_io_and_unsafe_for_its_errors() -> None:
    code = """
        import threading
        import urllib.request

        def download(url):
            with urllib.request.urlopen(url) as response:
                return response.read()

        def download_all(urls):
            threads = []
            for url in urls:
                thread = threading.Thread(target=download, args=(url,))
                thread.start()
                threads.append(thread)
            for thread in threads:
                thread.join()
    """
    assert summary(code) == [("CA201", 12, 12, "bounded_pool", "unsafe")]
    assert only(code).kind == "io"
    assert only(code).reasons == (
        "an exception in the target, which a bare thread reports while the others go on, is "
        "raised by the pool in the caller",
    )


def test_thread_comprehension_started_by_a_comprehension() -> None:
    code = """
        import threading

        def work(x):
            return x

        def run(items):
            threads = [
                threading.Thread(target=work, args=(item,))
                for item in items
            ]
            [t.start() for t in threads]
            for t in threads:
                t.join()
    """
    assert summary(code) == [("CA201", 9, 9, "bounded_pool", "unsafe")]
    assert "the comprehension at line 8" in only(code).message


def test_nested_loops_report_the_loop_that_brings_the_items() -> None:
    code = """
        import threading

        def work(group):
            return group

        def run(groups):
            for group in groups:
                for _ in range(4):
                    threading.Thread(target=work, args=(group,)).start()
    """
    finding = only(code)
    assert summary(code) == [("CA201", 10, 10, "bounded_pool", "unsafe")]
    assert "the loop at line 8" in finding.message


@pytest.mark.parametrize(
    "loop",
    [
        "for _ in range(8):",
        "for _ in range(N):",  # N = 8 in the function
        "for _ in range(WORKERS):",
        "for _ in range(os.cpu_count() or 1):",
        "for _ in range(min(count, 8)):",
        "for i in range(count):",  # identical workers: `i` is not given to them
        "for name in ('a', 'b', 'c', 'd', 'e'):",  # a literal: a fixed number
        "while jobs:",  # a server's loop is not a list of items
    ],
)
def test_a_fixed_number_of_workers_is_not_flagged(loop: str) -> None:
    code = f"""
        import os
        import threading

        WORKERS = 8

        def worker(jobs):
            return jobs

        def run(jobs, count):
            N = 8
            {loop}
                threading.Thread(target=worker, args=(jobs,)).start()
    """
    assert findings(code) == []


def test_a_range_whose_index_is_given_to_each_thread_is_per_item() -> None:
    code = """
        import threading

        def work(items, index):
            return items[index]

        def run(items):
            for i in range(len(items)):
                threading.Thread(target=work, args=(items, i)).start()
    """
    assert summary(code) == [("CA201", 9, 9, "bounded_pool", "unsafe")]


def test_threads_never_started_are_not_flagged() -> None:
    code = """
        import threading

        def work(x):
            return x

        def build(items):
            return [threading.Thread(target=work, args=(item,)) for item in items]
    """
    assert findings(code) == []


def test_thread_fix_safety_reasons() -> None:
    code = """
        import threading

        RESULTS = {}

        def work(item, out):
            out[item] = item * 2

        def wait_for(item, ready):
            ready.wait()

        def run(items, ready):
            threads = []
            for item in items:
                t = threading.Thread(target=work, args=(item, RESULTS), daemon=True)
                t.start()
                threads.append(t)
            for item in items:
                t = threading.Thread(target=wait_for, args=(item, ready))
                t.start()
                threads.append(t)
            for t in threads:
                t.join()
            return [t.name for t in threads]
    """
    first, second = findings(code)
    assert (first.line, first.fix_safety, second.line, second.fix_safety) == (
        15,
        "unsafe",
        19,
        "unsafe",
    )
    assert (first.run_checkable, second.run_checkable) == (None, None)  # doubts no run settles
    # `work()` writes `out[item]`, which every item shares: the threads already did, all at
    # once; a pool does it with fewer at a time, no new doubt
    assert first.reasons == (
        "`threads` is used other than to start and join the threads",
        "each thread is created with `daemon=`, which pool workers lack",
        "an exception in the target, which a bare thread reports while the others go on, is "
        "raised by the pool in the caller",
    )
    # the shared `ready` is no doubt of its own; that items wait on each other is
    assert second.reasons == (
        "`wait_for()` waits on or signals `ready` (`.wait()`): items that wait on each other can "
        "deadlock when fewer run at once",
        "`threads` is used other than to start and join the threads",
        "an exception in the target, which a bare thread reports while the others go on, is "
        "raised by the pool in the caller",
    )


def test_a_thread_subclass_of_this_module_is_recognised() -> None:
    code = """
        import threading

        class Fetcher(threading.Thread):
            def __init__(self, url):
                super().__init__()
                self.url = url

        class SlowFetcher(Fetcher):
            pass

        def fetch_all(urls):
            for url in urls:
                SlowFetcher(url).start()
    """
    finding = only(code)
    assert summary(code) == [("CA201", 14, 14, "bounded_pool", "unsafe")]
    assert finding.reasons[0] == "a `Thread` subclass: its `run()` must first become a function"


# --- CA202: a Process per item -----------------------------------------------------------------


def test_process_per_item_through_module_alias_is_unsafe_only_for_its_errors() -> None:
    code = """
        import multiprocessing as mp

        def render(path):
            return path

        def main(paths):
            processes = []
            for path in paths:
                process = mp.Process(target=render, args=(path,))
                process.start()
                processes.append(process)
            for process in processes:
                process.join()
    """
    assert summary(code) == [("CA202", 10, 10, "process_pool", "unsafe")]
    assert only(code).reasons == (
        "an exception in the target, which a bare process reports while the others go on, is "
        "raised by the pool in the caller",
    )
    assert only(code).message == (
        "`mp.Process(...)` starts a new process for every item of the loop at line 9: run the "
        "items in one ProcessPoolExecutor"
    )


def test_process_per_item_from_get_context_in_the_loop() -> None:
    code = """
        import multiprocessing

        def convert(video):
            return video

        def convert_all(videos):
            for video in videos:
                multiprocessing.get_context("spawn").Process(target=convert, args=(video,)).start()
    """
    assert summary(code) == [("CA202", 9, 9, "process_pool", "unsafe")]


def test_process_fix_safety_reasons() -> None:
    code = """
        import os
        from multiprocessing import Process

        def build(path):
            os.chdir(path)

        def build_all(paths):
            processes = []
            for path in paths:
                p = Process(target=build, args=(path,))
                p.start()
                processes.append(p)
            for p in processes:
                p.join()
                assert p.exitcode == 0
    """
    finding = only(code)
    assert summary(code) == [("CA202", 11, 11, "process_pool", "unsafe")]
    assert finding.reasons == (
        "`build()` calls `os.chdir`: the working directory is one per process: relative paths "
        "of every thread follow the last chdir",
        "`build()` sets process-wide state (`os.chdir`) that a fresh process discards at exit "
        "but a reused pool worker keeps",
        "`processes` is used other than to start and join the processes",
        "an exception in the target, which a bare process reports while the others go on, is "
        "raised by the pool in the caller",
    )


# --- CA205: submit, then wait, in the same iteration --------------------------------------------


def test_submit_result_in_one_expression_through_an_alias() -> None:
    code = """
        import concurrent.futures as cf

        def fetch(url):
            return url

        def fetch_all(urls):
            out = []
            with cf.ThreadPoolExecutor() as ex:
                for url in urls:
                    out.append(ex.submit(fetch, url).result())
            return out
    """
    finding = only(code)
    assert summary(code) == [("CA205", 11, 11, "bounded_pool", "safe")]
    assert finding.message == (
        "`ex.submit(...).result()` inside the loop at line 10 waits for each task before the next "
        "is submitted, so they run one at a time: submit all, then collect"
    )


def test_submit_then_result_two_statements_with_code_between_is_unsafe() -> None:
    code = """
        from concurrent.futures import ProcessPoolExecutor

        def score(row):
            print(row)
            return row

        def main(rows):
            totals = []
            with ProcessPoolExecutor() as pool:
                for row in rows:
                    future = pool.submit(score, row)
                    seen = row
                    totals.append(future.result())
            return totals
    """
    finding = only(code)
    assert summary(code) == [("CA205", 12, 14, "bounded_pool", "unsafe")]
    assert finding.reasons == (
        "`score()` produces ordered output (`builtins.print`): concurrent items would "
        "interleave it",
        "code runs between the submission and the wait (line 13); submitting all first reorders it",
    )


def test_submission_that_needs_the_previous_result_is_not_flagged() -> None:
    code = """
        from concurrent.futures import ThreadPoolExecutor

        def step(state, item):
            return state

        def run(state, items):
            with ThreadPoolExecutor(max_workers=1) as worker:
                for item in items:
                    future = worker.submit(step, state, item)
                    state = future.result()
            return state
    """
    assert findings(code) == []


def test_inner_loop_submission_is_reported_on_the_inner_loop() -> None:
    code = """
        import multiprocessing

        def square(x):
            return x * x

        def main(groups):
            ctx = multiprocessing.get_context("forkserver")
            with ctx.Pool() as pool:
                for group in groups:
                    for x in group:
                        handle = pool.apply_async(square, (x,))
                        handle.wait()
    """
    finding = only(code)
    assert summary(code) == [("CA205", 12, 13, "bounded_pool", "safe")]
    assert "the loop at line 11" in finding.message


def test_apply_async_get_in_a_comprehension_and_apply_in_a_loop() -> None:
    code = """
        from multiprocessing import Pool

        def square(x):
            return x * x

        def main(numbers):
            with Pool() as pool:
                first = [pool.apply_async(square, (x,)).get() for x in numbers]
                for x in numbers:
                    print(pool.apply(square, (x,)))
            return first
    """
    assert summary(code) == [
        ("CA205", 9, 9, "bounded_pool", "safe"),
        ("CA205", 11, 11, "bounded_pool", "unsafe"),
    ]


def test_thread_started_and_joined_in_one_iteration() -> None:
    code = """
        import threading

        def process(item):
            return item

        def process_all(items):
            for item in items:
                t = threading.Thread(target=process, args=(item,))
                t.start()
                t.join()
    """
    finding = only(code)
    assert summary(code) == [("CA205", 9, 11, "bounded_pool", "safe")]
    assert finding.message == (
        "`t.join()` right after `t.start()` in the same iteration of the loop at line 8 runs the "
        "threads one at a time: start them all, then join them"
    )


@pytest.mark.parametrize(
    "body",
    [
        # the executor is a parameter: nothing says what it is
        "for url in urls:\n        out.append(executor.submit(fetch, url).result())",
        # submit all, then collect
        "futures = [pool.submit(fetch, url) for url in urls]\n"
        "    out = [future.result() for future in futures]",
        # a wait on something that is not this submission
        "for url in urls:\n        pool.submit(fetch, url)\n        out.append(other.result())",
    ],
)
def test_submissions_that_do_not_run_serially_are_not_flagged(body: str) -> None:
    code = f"""
from concurrent.futures import ThreadPoolExecutor

pool = ThreadPoolExecutor()


def fetch(url):
    return url


def fetch_all(urls, executor, other):
    out = []
    {body}
    return out
"""
    assert [f.rule for f in findings(code)] == []


# --- CA206: a pool created in every iteration ---------------------------------------------------


def test_pool_in_loop_through_alias_with_loop_dependent_arguments_is_unsafe() -> None:
    code = """
        from concurrent.futures import ProcessPoolExecutor as PPE

        def simulate(seed):
            return seed

        def main(experiments):
            out = []
            for seeds in experiments:
                with PPE(max_workers=len(seeds)) as pool:
                    out.append(max(pool.map(simulate, seeds)))
            return out
    """
    finding = only(code)
    assert summary(code) == [("CA206", 10, 10, "bounded_pool", "unsafe")]
    assert finding.reasons == (
        "the pool's arguments use `seeds`, which changes in every iteration",
    )
    assert finding.message == (
        "`PPE(...)` creates a new pool in every iteration of the loop at line 9: create one pool "
        "before the loop and reuse it"
    )


def test_pool_from_get_context_in_a_loop() -> None:
    code = """
        import multiprocessing as mp

        def tokenize(line):
            return line

        def main(files):
            for name in files:
                with mp.get_context("spawn").Pool(4) as pool:
                    print(name, len(pool.map(tokenize, name)))
    """
    finding = only(code)
    assert summary(code) == [("CA206", 9, 9, "bounded_pool", "safe")]
    assert finding.message.startswith('`mp.get_context("spawn").Pool(...)` creates a new pool')


def test_pool_in_a_short_literal_inside_a_long_loop_reports_the_long_loop() -> None:
    code = """
        from concurrent.futures import ThreadPoolExecutor

        def fetch(url):
            return url

        def mirror(batches):
            for batch in batches:
                for region in ("eu", "us"):
                    with ThreadPoolExecutor() as pool:
                        list(pool.map(fetch, batch))
    """
    finding = only(code)
    assert summary(code) == [("CA206", 10, 10, "bounded_pool", "safe")]
    assert "the loop at line 8" in finding.message


@pytest.mark.parametrize(
    ("loop", "expected"),
    [
        ("for _ in range(3):", []),
        ("for _ in range(1, 4):", []),
        ("for _ in range(10):", [("CA206", 6, 6, "bounded_pool", "safe")]),
        ("while True:", [("CA206", 6, 6, "bounded_pool", "safe")]),
    ],
)
def test_pool_in_loop_needs_four_iterations_or_an_unknown_count(
    loop: str, expected: list[tuple[str, int, int, str, str]]
) -> None:
    code = f"""
        from concurrent.futures import ThreadPoolExecutor

        def rounds(work, items):
            {loop}
                with ThreadPoolExecutor() as pool:
                    list(pool.map(work, items))
    """
    assert summary(code) == expected


def test_pool_in_loop_whose_tasks_outlive_the_iteration_is_unsafe() -> None:
    code = """
        from concurrent.futures import ThreadPoolExecutor

        def save(item):
            return item

        def main(batches):
            for batch in batches:
                with ThreadPoolExecutor() as pool:
                    for item in batch:
                        pool.submit(save, item)
                    results = pool.map(save, batch)
            return [list(r) for r in [results]]
    """
    finding = only(code)
    assert summary(code) == [("CA206", 9, 9, "bounded_pool", "unsafe")]
    assert finding.reasons == (
        "tasks given with `pool.submit` (line 11) are waited for by the pool's shutdown at the "
        "end of every iteration, and later code may rely on that",
        "the result of `pool.map(...)` (line 12) is not consumed where it is made, so the pool's "
        "shutdown may be what waits for it",
    )


def test_a_pool_made_and_thrown_away_is_not_flagged() -> None:
    code = """
        import multiprocessing

        def test_invalid(values):
            for value in values:
                try:
                    multiprocessing.Pool(3, maxtasksperchild=value)
                except ValueError:
                    pass
    """
    assert findings(code) == []


def test_pool_in_a_comprehension_not_bound_to_a_name() -> None:
    code = """
        from concurrent.futures import ThreadPoolExecutor

        def fetch(url):
            return url

        def crawl(batches):
            return [list(ThreadPoolExecutor().map(fetch, batch)) for batch in batches]
    """
    finding = only(code)
    assert summary(code) == [("CA206", 8, 8, "bounded_pool", "unsafe")]
    assert "the comprehension at line 8" in finding.message
    assert finding.reasons == ("the pool is not bound to a name, so its uses cannot be followed",)


# --- CA207: tasks a process pool cannot pickle -------------------------------------------------


def test_lambda_to_an_aliased_process_pool_without_free_variables_is_safe() -> None:
    code = """
        from concurrent.futures import ProcessPoolExecutor as PPE

        def main(numbers):
            with PPE() as pool:
                return list(pool.map(lambda n: n * n, numbers))
    """
    finding = only(code)
    assert summary(code) == [("CA207", 6, 6, "process_pool", "safe")]
    assert finding.message == (
        "`pool.map` sends a lambda to a process pool, which cannot pickle it: define it as a "
        "function at module level"
    )


def test_lambda_using_an_enclosing_variable_is_unsafe() -> None:
    code = """
        import multiprocessing

        def main(numbers, factor):
            with multiprocessing.get_context("spawn").Pool() as pool:
                return pool.map(lambda n: n * factor, numbers)
    """
    finding = only(code)
    assert summary(code) == [("CA207", 6, 6, "process_pool", "unsafe")]
    assert finding.reasons == (
        "the lambda uses `factor` of the enclosing function: it must become a parameter (passed "
        "with `functools.partial`)",
    )


def test_nested_functions_lambdas_by_name_and_partials() -> None:
    code = """
        import functools
        from multiprocessing import Pool

        def scale(value):
            return value

        def main(values):
            def scale(value, factor):
                return value * factor

            def double(value):
                return value * 2

            square = lambda value: value * value
            with Pool() as pool:
                pool.map(functools.partial(scale, factor=3), values)
                pool.imap_unordered(double, values)
                pool.starmap(square, values)
    """
    found = findings(code)
    assert summary(code) == [
        ("CA207", 17, 17, "process_pool", "unsafe"),
        ("CA207", 18, 18, "process_pool", "safe"),
        ("CA207", 19, 19, "process_pool", "safe"),
    ]
    assert found[0].reasons == ("a module-level `scale` already exists",)
    assert found[0].message.startswith(
        "`pool.map` sends `scale`, a function nested in `main()`, to a process pool"
    )
    assert found[2].message.startswith("`pool.starmap` sends `square`, a lambda, to a process pool")


def test_bound_method_of_an_object_holding_a_lock_has_no_fix() -> None:
    code = """
        import threading
        from concurrent.futures import ProcessPoolExecutor

        class Guarded:
            def __init__(self):
                lock = threading.RLock()
                self._lock = lock

        class Job(Guarded):
            def run(self, row):
                return row

            @staticmethod
            def pure(row):
                return row

            def all(self, rows):
                with ProcessPoolExecutor() as pool:
                    first = list(pool.map(self.run, rows))
                    second = list(pool.map(self.pure, rows))
                return first, second
    """
    finding = only(code)
    assert summary(code) == [("CA207", 20, 20, "process_pool", "none")]
    assert finding.message == (
        "`pool.map` sends `self.run`, a bound method of a `Job` whose `_lock` holds a "
        "`threading.RLock`, to a process pool, which cannot pickle it: move the work into a "
        "module-level function that takes plain data"
    )


@pytest.mark.parametrize(
    "pool",
    [
        "ThreadPoolExecutor()",
        "multiprocessing.pool.ThreadPool()",
        "multiprocessing.dummy.Pool()",
        "executor",  # a parameter: unknown
    ],
)
def test_pools_that_do_not_pickle_or_cannot_be_told_are_not_flagged(pool: str) -> None:
    code = f"""
        import multiprocessing.dummy
        import multiprocessing.pool
        from concurrent.futures import ThreadPoolExecutor

        def main(numbers, executor):
            with {pool} as workers:
                return list(workers.map(lambda n: n * n, numbers))
    """
    assert findings(code) == []


def test_object_that_controls_its_pickling_is_not_flagged() -> None:
    code = """
        import threading
        from concurrent.futures import ProcessPoolExecutor

        class Scorer:
            def __init__(self):
                self.lock = threading.Lock()

            def __getstate__(self):
                return {}

            def score(self, row):
                return row

        def main(rows):
            scorer = Scorer()
            with ProcessPoolExecutor() as pool:
                return list(pool.map(scorer.score, rows))
    """
    assert findings(code) == []


def test_a_parameter_shadowing_a_module_level_pool_is_not_that_pool() -> None:
    code = """
        from concurrent.futures import ProcessPoolExecutor

        if __name__ == "__main__":
            pool = ProcessPoolExecutor()

        def squares(pool, numbers):
            return list(pool.map(lambda n: n * n, numbers))
    """
    assert findings(code) == []


# --- CA208: process pools started on import ------------------------------------------------------


@pytest.mark.parametrize(
    ("statement", "flagged"),
    [
        ("pool = mp.Pool(4)", True),
        ("pool = mp.get_context('spawn').Pool()", True),
        ("pool = SPAWN.Process(target=print)", True),
        ("pool = PPE(mp_context=SPAWN)", True),
        ("Worker().start()", True),  # a Process subclass of this module
        ("pool = mp.get_context('fork').Pool()", False),  # forked children do not re-import
        ("pool = PPE(mp_context=mp.get_context('fork'))", False),
        ("pool = FORK.Pool()", False),
        ("pool = mp.pool.ThreadPool()", False),  # threads do not re-import the module
        ("pool = Thread(target=print)", False),
        ("task = lambda: mp.Pool()", False),  # runs only when called
    ],
)
def test_module_level_creation(statement: str, flagged: bool) -> None:
    code = f"""
import multiprocessing as mp
import multiprocessing.pool
from concurrent.futures import ProcessPoolExecutor as PPE
from threading import Thread
class Worker(mp.Process):
    pass
SPAWN = mp.get_context("spawn")
FORK = mp.get_context("fork")
{statement}
"""
    assert summary(code) == ([("CA208", 10, 10, "none", "unsafe")] if flagged else [])


def test_module_level_code_includes_classes_defaults_and_non_main_ifs() -> None:
    code = """
        import sys
        from multiprocessing import Pool, Process

        class Cache:
            pool = Pool()

        def run(pool=Pool()):
            return Pool()

        if len(sys.argv) > 1:
            Process(target=print).start()

        if __name__ == "__main__" and sys.argv:
            Pool()

        if __name__ != "__main__":
            Pool()
        else:
            Pool()
    """
    assert [(f.rule, f.line) for f in findings(code)] == [
        ("CA208", 6),
        ("CA208", 8),
        ("CA208", 12),
        ("CA208", 18),
    ]
    assert findings(code)[0].message == (
        "`Pool(...)` starts a process pool on import, which every worker repeats when it "
        "imports the module under the spawn and forkserver start methods: move it under "
        '`if __name__ == "__main__":`'
    )


# --- the catalog's own examples ------------------------------------------------------------------


def _examples(kind: str) -> list[tuple[str, int, str]]:
    out = []
    for rule in POOL_RULES:
        examples = getattr(get_rule(rule), kind)
        out += [(rule, index, example.code) for index, example in enumerate(examples)]
    return out


# The negatives that another pool rule rightly reports: a thread started and joined in one
# iteration is CA205 (CA201/CA202's counter-examples say so), and CA205's "start all, then join"
# counter-example is still a thread per item.
_CROSS_RULE = {
    ("CA201", 5): ["CA205"],
    ("CA202", 2): ["CA205"],
    ("CA205", 2): ["CA201"],
}


@pytest.mark.parametrize(("rule", "index", "code"), _examples("must_not_flag"))
def test_counter_examples_give_only_the_other_rules_they_show(
    rule: str, index: int, code: str
) -> None:
    assert [f.rule for f in findings(code)] == _CROSS_RULE.get((rule, index), [])


@pytest.mark.parametrize(("rule", "index", "code"), _examples("must_flag"))
def test_examples_carry_their_rules_suggestion(rule: str, index: int, code: str) -> None:
    catalog = load_catalog()
    found = findings(code)
    assert rule in [f.rule for f in found]
    for finding in found:
        assert finding.suggestion == catalog[finding.rule].suggestion
        assert finding.kind in ("io", "cpu", "native", "mixed", "unknown")
        assert (finding.fix_safety == "safe") == (finding.reasons == ())


def test_a_module_without_concurrency_imports_is_not_walked() -> None:
    code = """
        class Pool:
            def submit(self, fn):
                return fn

        for item in range(10):
            Pool().submit(lambda: item)
    """
    assert findings(code) == []


# --- the standard library ---------------------------------------------------------------------

STDLIB = Path(sysconfig.get_paths()["stdlib"])
# Reviewed findings of the installed standard library's concurrency code and tests, per Python
# version, as (file, rule): count. All three are deliberate in a test suite:
# - _test_multiprocessing.py `test_pool_maxtasksperchild_invalid` (3.10+): `with
#   self.assertRaises(ValueError): multiprocessing.Pool(3, maxtasksperchild=value)` in `for value
#   in [0, -1, 0.5, "12"]` is a bare statement, made and thrown away: not flagged.
# - _test_multiprocessing.py `test_mixed_startmethod` (3.11+): `p.start(); p.join()` for each
#   start method (CA205; true: the processes run one at a time, on purpose), safe.
# - test_concurrent_futures `test_hang_global_shutdown_lock` (3.9+): a fork ProcessPoolExecutor
#   in every iteration of `range(50)` (CA206; true: the regression test needs a fresh pool each
#   time), unsafe: the iteration's `submit` is awaited by the pool's shutdown.
# Reviewed on 3.9.18, 3.10.13, 3.11.7, 3.12.1 and 3.13.0; the 3.11.7 and 3.12.1 installs here
# lack test_concurrent_futures, so that entry is the same test as in 3.10 and 3.13.
REVIEWED = {
    (3, 9): {("test/test_concurrent_futures.py", "CA206"): 1},
    (3, 10): {
        ("test/test_concurrent_futures.py", "CA206"): 1,
    },
    (3, 11): {
        ("test/_test_multiprocessing.py", "CA205"): 1,
        ("test/test_concurrent_futures.py", "CA206"): 1,
    },
    (3, 12): {
        ("test/_test_multiprocessing.py", "CA205"): 1,
        ("test/test_concurrent_futures/test_thread_pool.py", "CA206"): 1,
    },
    (3, 13): {
        ("test/_test_multiprocessing.py", "CA205"): 1,
        ("test/test_concurrent_futures/test_thread_pool.py", "CA206"): 1,
    },
}


def _stdlib_concurrency_files() -> list[Path]:
    patterns = [
        "concurrent/**/*.py",
        "multiprocessing/**/*.py",
        "test/test_concurrent_futures*.py",
        "test/test_concurrent_futures/*.py",
        "test/_test_multiprocessing.py",
    ]
    return sorted({path for pattern in patterns for path in STDLIB.glob(pattern)})


def test_standard_library_concurrency_code() -> None:
    files = _stdlib_concurrency_files()
    assert files, f"no concurrency sources under {STDLIB}"
    counts: Counter[tuple[str, str]] = Counter()
    for path in files:
        result = analyse_content(str(path), path.read_bytes(), KNOWLEDGE)
        assert [e for e in result.errors if e.kind == "internal"] == [], path
        for finding in result.findings:
            if finding.rule in POOL_RULES:
                counts[(path.relative_to(STDLIB).as_posix(), finding.rule)] += 1
    reviewed = REVIEWED.get(sys.version_info[:2])
    if reviewed is None:
        pytest.skip(f"no reviewed findings for Python {sys.version_info[:2]}")
    present = {key: n for key, n in reviewed.items() if (STDLIB / key[0]).exists()}
    assert dict(counts) == present


def test_threads_over_shared_state_are_checkable_and_thread_identity_is_not() -> None:
    """The threads already ran all at once: what the target does to what they share is no
    new doubt for a pool, only the exception (loud: a run shows it). A target that keeps state
    per thread would share it between the items one worker runs."""
    code = """
        import threading

        def check(url, sizes, lock):
            with lock:
                sizes[url] = len(url)

        local = threading.local()

        def check_cached(url, sizes):
            if not hasattr(local, "seen"):
                local.seen = len(url)
            sizes[url] = local.seen

        def run(urls):
            sizes, lock = {}, threading.Lock()
            threads = []
            for url in urls:
                t = threading.Thread(target=check, args=(url, sizes, lock))
                t.start()
                threads.append(t)
            for t in threads:
                t.join()
            cached = []
            for url in urls:
                t = threading.Thread(target=check_cached, args=(url, sizes))
                t.start()
                cached.append(t)
            for t in cached:
                t.join()
            return sizes
    """
    shared, identity = findings(code)
    assert (shared.fix_safety, shared.run_checkable) == ("unsafe", True)
    assert shared.reasons == (
        "an exception in the target, which a bare thread reports while the others go on, is "
        "raised by the pool in the caller",
    )
    assert (identity.fix_safety, identity.run_checkable) == ("unsafe", None)
    assert identity.reasons[0] == (
        "`check_cached()` uses its thread's identity (`threading.local`): a pool's worker "
        "runs many items in one thread"
    )
