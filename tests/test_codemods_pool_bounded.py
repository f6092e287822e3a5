"""CA201/CA202's fix: a Thread (or Process) per item becomes one bounded pool. Exact before/after
source for each shape, idempotence (the analysis no longer reports the rule there), the same
output when both versions run, and the reasons it gives for shapes a pool cannot keep."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from advisor.model import Finding
from conftest import fixed_once, refusal, rule_examples, rule_findings
from conftest import script_stdout as _stdout

RULES = ("CA201", "CA202")


def _findings(source: str, rule: str) -> list[Finding]:
    return rule_findings(source, rule)


def _fix(before: str, rule: str = "CA201", workers: int | None = None) -> str:
    return fixed_once(before, rule, workers=workers)


def _refusal(before: str, rule: str = "CA201") -> str:
    return refusal(before, rule)


# --- exact rewrites ---------------------------------------------------------------------------


@pytest.mark.parametrize("rule", RULES)
def test_the_rule_example_becomes_its_fixed_example(rule: str) -> None:
    data = rule_examples(rule)
    assert _fix(data.example_flagged, rule) == data.example_fixed


def test_a_measured_worker_count_bounds_the_pool_and_comments_stay() -> None:
    before = """\
        from threading import Thread


        def notify(user):
            return user


        def notify_all(users):
            # one thread per user
            threads = []
            for user in users:  # all of them
                thread = Thread(target=notify, args=(user,))
                threads.append(thread)
                thread.start()

            # wait for every notification
            for thread in threads:
                thread.join()
            return len(users)
        """
    after = """\
        from concurrent.futures import ThreadPoolExecutor


        def notify(user):
            return user


        def notify_all(users):
            # one thread per user
            # all of them
            # wait for every notification
            with ThreadPoolExecutor(max_workers=12) as executor:
                list(executor.map(notify, users))
            return len(users)
        """
    assert _fix(before, workers=12) == textwrap.dedent(after)


def test_threads_made_in_a_comprehension_and_started_in_a_loop() -> None:
    before = """\
        import threading


        def resize(path, size):
            return path


        def resize_all(paths):
            workers = [threading.Thread(target=resize, args=(p, 64)) for p in paths if p]
            for worker in workers:
                worker.start()
            for worker in workers:
                worker.join()
        """
    after = """\
        from concurrent.futures import ThreadPoolExecutor


        def resize(path, size):
            return path


        def resize_all(paths):
            with ThreadPoolExecutor() as executor:
                for future in [executor.submit(resize, p, 64) for p in paths if p]:
                    future.result()
        """
    assert _fix(before) == textwrap.dedent(after)


def test_kwargs_and_an_import_still_used_elsewhere() -> None:
    before = """\
        import threading

        LOCK = threading.Lock()


        def send(message, retries=0):
            return message


        def send_all(messages, options):
            threads = []
            for message in messages:
                thread = threading.Thread(target=send, args=[message], kwargs=options)
                thread.start()
                threads.append(thread)
            for thread in threads:
                thread.join()
        """
    after = """\
        import threading
        from concurrent.futures import ThreadPoolExecutor

        LOCK = threading.Lock()


        def send(message, retries=0):
            return message


        def send_all(messages, options):
            with ThreadPoolExecutor() as executor:
                for future in [executor.submit(send, message, **options) for message in messages]:
                    future.result()
        """
    assert _fix(before) == textwrap.dedent(after)


def test_a_process_from_a_context_keeps_the_context() -> None:
    before = """\
        import multiprocessing

        ctx = multiprocessing.get_context("spawn")


        def convert(video):
            return video


        def convert_all(videos):
            jobs = []
            for video in videos:
                job = ctx.Process(target=convert, args=(video,))
                job.start()
                jobs.append(job)
            for job in jobs:
                job.join()
        """
    after = """\
        import multiprocessing
        from concurrent.futures import ProcessPoolExecutor

        ctx = multiprocessing.get_context("spawn")


        def convert(video):
            return video


        def convert_all(videos):
            with ProcessPoolExecutor(max_workers=2, mp_context=ctx) as executor:
                list(executor.map(convert, videos))
        """
    assert _fix(before, "CA202", workers=2) == textwrap.dedent(after)


# --- shapes it leaves alone -----------------------------------------------------------------


def test_threads_never_joined_are_refused() -> None:
    message = _refusal(
        """\
        from threading import Thread


        def notify(user):
            return user


        def notify_all(users):
            for user in users:
                Thread(target=notify, args=(user,)).start()
        """
    )
    assert "never joined" in message


_THREADS = """\
    import threading


    def work(item):
        return item


    def run(items):
        threads = []
        for item in items:
            thread = threading.Thread({arguments})
            thread.start()
            threads.append(thread)
        for thread in threads:
            thread.join()
    {after}
    """


@pytest.mark.parametrize(
    ("arguments", "after", "reason"),
    [
        ("target=work, args=(item,), daemon=True", "", "`daemon=`"),
        ("None, work, args=(item,)", "", "by position"),
        ("target=work, args=(item,)", "    return [t.name for t in threads]", "used after"),
        ("target=work, args=(item,)", "    return thread", "used after"),
        ("target=work, args=(item,)", "    return item", "used after"),
    ],
)
def test_refused_shapes_say_why(arguments: str, after: str, reason: str) -> None:
    source = textwrap.dedent(_THREADS).format(arguments=arguments, after=after)
    assert reason in _refusal(source)


def test_a_thread_subclass_is_refused() -> None:
    message = _refusal(
        """\
        import threading


        class Worker(threading.Thread):
            def run(self):
                return None


        def run(items):
            workers = [Worker() for item in items]
            for worker in workers:
                worker.start()
            for worker in workers:
                worker.join()
        """
    )
    assert "subclass" in message


def test_a_process_target_that_pickle_cannot_send_is_refused() -> None:
    message = _refusal(
        """\
        import multiprocessing


        def render_all(paths):
            def render(path):
                return path

            processes = []
            for path in paths:
                process = multiprocessing.Process(target=render, args=(path,))
                process.start()
                processes.append(process)
            for process in processes:
                process.join()
        """,
        "CA202",
    )
    assert "module-level function" in message


# --- both versions print the same -----------------------------------------------------------

_PROGRAMS = {
    "threads": (
        "CA201",
        """\
        import threading

        RESULTS = {}


        def store(key, factor):
            RESULTS[key] = key * factor


        def main(keys):
            threads = []
            for key in keys:
                thread = threading.Thread(target=store, args=(key, 3))
                thread.start()
                threads.append(thread)
            for thread in threads:
                thread.join()
            print(sorted(RESULTS.items()))


        if __name__ == "__main__":
            main(range(10))
        """,
    ),
    "processes": (
        "CA202",
        """\
        import multiprocessing
        import os
        import sys


        def write(path):
            with open(path, "w", encoding="utf-8") as handle:
                handle.write(os.path.basename(path).upper())


        def main(directory):
            paths = [os.path.join(directory, f"f{i}.txt") for i in range(5)]
            processes = [multiprocessing.Process(target=write, args=(p,)) for p in paths]
            for process in processes:
                process.start()
            for process in processes:
                process.join()
            for path in paths:
                with open(path, encoding="utf-8") as handle:
                    print(handle.read())


        if __name__ == "__main__":
            main(sys.argv[1] if len(sys.argv) > 1 else ".")
        """,
    ),
}


@pytest.mark.parametrize("name", sorted(_PROGRAMS))
def test_the_fixed_program_prints_the_same(name: str, tmp_path: Path) -> None:
    rule, program = _PROGRAMS[name]
    original = textwrap.dedent(program).replace('else "."', f"else {str(tmp_path)!r}")
    fixed = _fix(original, rule)
    assert "Executor" in fixed
    assert _stdout(fixed, tmp_path, "fixed.py") == _stdout(original, tmp_path, "original.py")


def test_a_later_loop_binding_the_item_again_reads_its_own_value() -> None:
    before = """\
        import threading


        def work(item):
            return item


        def run(items):
            threads = []
            for item in items:
                thread = threading.Thread(target=work, args=(item,))
                thread.start()
                threads.append(thread)
            for thread in threads:
                thread.join()
            for item in items[:2]:
                print(item)
        """
    after = """\
        from concurrent.futures import ThreadPoolExecutor


        def work(item):
            return item


        def run(items):
            with ThreadPoolExecutor(max_workers=8) as executor:
                list(executor.map(work, items))
            for item in items[:2]:
                print(item)
        """
    assert _fix(before, workers=8) == textwrap.dedent(after)


def test_a_loop_around_the_threads_binding_the_item_is_still_a_use_after() -> None:
    source = """\
        import threading


        def work(item):
            return item


        def run(batches):
            for item in batches:
                threads = []
                for item in item:
                    thread = threading.Thread(target=work, args=(item,))
                    thread.start()
                    threads.append(thread)
                for thread in threads:
                    thread.join()
                print(item)
        """
    assert "`item` is used after" in _refusal(textwrap.dedent(source))
