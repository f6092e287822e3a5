"""The concurrency a program starts, counted by line in real runs of the bootstrap: threads,
processes and pool tasks, with the most alive at once, and nothing the user could notice."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import threading
from pathlib import Path

from advisor.model import StartCounts, StartedWork
from advisor.profiling.bootstrap import COUNTS_ENV
from advisor.profiling.counting import BOOTSTRAP, CountsFile, read_counts
from advisor.profiling.start_watch import StartWatch


def run(tmp_path: Path, source: str, *, bootstrap: bool = True) -> subprocess.CompletedProcess:
    script = tmp_path / "script.py"
    script.write_text(textwrap.dedent(source))
    env = dict(os.environ, **{COUNTS_ENV: str(tmp_path / "counts.json")})
    argv = [sys.executable, *([BOOTSTRAP] if bootstrap else []), str(script)]
    return subprocess.run(argv, cwd=tmp_path, capture_output=True, text=True, env=env)


def counts_of(tmp_path: Path, source: str) -> CountsFile:
    result = run(tmp_path, source)
    assert result.returncode == 0, result.stderr
    return read_counts(tmp_path / "counts.json")


def started(tmp_path: Path, source: str) -> list[tuple[int, str, int, int, int | None]]:
    return sorted(
        (w.line, w.counts.what, w.counts.started, w.counts.most_at_once, w.counts.workers)
        for w in counts_of(tmp_path, source).started
    )


def test_threads_started_per_item_are_counted_with_how_many_ran_together(tmp_path: Path) -> None:
    # every thread waits for the go, given after all are started: all 12 alive at once; the
    # second loop joins each thread before starting the next: never more than one
    source = """\
        import threading

        go = threading.Event()
        threads = []
        for n in range(12):
            t = threading.Thread(target=go.wait)
            t.start()
            threads.append(t)
        go.set()
        for t in threads:
            t.join()
        for n in range(5):
            t = threading.Thread(target=sum, args=([n],))
            t.start()
            t.join()
        """
    assert started(tmp_path, source) == [(7, "thread", 12, 12, None), (14, "thread", 5, 1, None)]


def test_tasks_submitted_are_counted_with_the_pool_size_and_its_own_threads_are_not(
    tmp_path: Path,
) -> None:
    source = """\
        import threading
        from concurrent.futures import ThreadPoolExecutor

        go = threading.Event()
        with ThreadPoolExecutor(max_workers=3) as pool:
            waiting = [pool.submit(go.wait) for _ in range(8)]
            go.set()
            for future in waiting:
                future.result()
            for n in range(6):
                pool.submit(abs, n).result()
        """
    # 8 submitted before any could finish; the 3 workers the pool started are not the user's
    assert started(tmp_path, source) == [
        (6, "thread_pool_task", 8, 8, 3),
        (11, "thread_pool_task", 6, 1, 3),
    ]


def test_processes_started_per_item_are_counted(tmp_path: Path) -> None:
    source = """\
        import multiprocessing
        import time

        if __name__ == "__main__":
            procs = [multiprocessing.Process(target=time.sleep, args=(0.5,)) for _ in range(3)]
            for p in procs:
                p.start()
            for p in procs:
                p.join()
            for n in range(2):
                p = multiprocessing.Process(target=abs, args=(n,))
                p.start()
                p.join()
        """
    assert started(tmp_path, source) == [(7, "process", 3, 3, None), (12, "process", 2, 1, None)]


def test_the_watch_imports_no_pool_and_changes_no_output(tmp_path: Path) -> None:
    # a thread that fails prints its traceback as under `python`: no frame of ours in it
    source = """\
        import sys
        import threading

        def fail():
            raise ValueError("bad item")

        t = threading.Thread(target=fail, name="worker")
        t.start()
        t.join()
        print(sorted(m for m in sys.modules if m.startswith(("concurrent", "multiprocessing"))))
        """
    watched, plain = run(tmp_path, source), run(tmp_path, source, bootstrap=False)
    assert (watched.stdout, watched.stderr) == (plain.stdout, plain.stderr)
    assert watched.stdout == "[]\n"
    assert "ValueError: bad item" in watched.stderr
    assert read_counts(tmp_path / "counts.json").started == (
        StartedWork(str(tmp_path / "script.py"), 8, StartCounts("thread", 1, 1)),
    )


def test_a_count_file_without_started_work_reads_as_none_started(tmp_path: Path) -> None:
    saved = tmp_path / "counts.json"
    saved.write_text('{"version": 1, "imported": [], "loops": []}')
    assert read_counts(saved).started == ()


def test_a_child_process_that_starts_processes_runs_as_under_python(tmp_path: Path) -> None:
    # the second child inherits the watch with its parent's first child in it: asking about a
    # process that is not its own would fail ("can only test a child process"); the watch
    # counts in the program's own process only
    source = """\
        import multiprocessing
        import time


        def spawn(n):
            p = multiprocessing.Process(target=work, args=(n,))
            p.start()
            return p


        def work(n):
            time.sleep(0.2)
            if n == 1:
                child = spawn(0)
                child.join()
                print("inner exit", child.exitcode)


        if __name__ == "__main__":
            procs = [spawn(n) for n in (2, 1)]
            for p in procs:
                p.join()
            print("exits", [p.exitcode for p in procs])
        """
    watched, plain = run(tmp_path, source), run(tmp_path, source, bootstrap=False)
    assert (watched.stdout, watched.stderr) == (plain.stdout, plain.stderr)
    assert watched.stdout == "inner exit 0\nexits [0, 0]\n"
    assert [(w.line, w.counts) for w in read_counts(tmp_path / "counts.json").started] == [
        (7, StartCounts("process", 2, 2))
    ]


def test_threads_that_do_not_end_by_delete_are_counted_by_who_is_alive() -> None:
    """On a Python whose threads end otherwise than by `_delete`, finished threads are seen
    finished when the next one starts, as child processes are."""

    class OtherEnding(threading.Thread):
        def _bootstrap_inner(self) -> None:  # no `_delete` of its own: the fallback is used
            threading.Thread._bootstrap_inner(self)  # type: ignore[attr-defined]

    watch = StartWatch(lambda path: path == __file__)
    watch.watch_threads(OtherEnding)
    go = threading.Event()
    together = [OtherEnding(target=go.wait) for _ in range(5)]
    for thread in together:
        thread.start()
    go.set()
    for thread in together:
        thread.join()
    for n in range(3):
        one = OtherEnding(target=abs, args=(n,))
        one.start()
        one.join()
    counts = sorted(
        (entry["counts"]["started"], entry["counts"]["most_at_once"]) for entry in watch.snapshot()
    )
    assert counts == [(3, 1), (5, 5)]
    assert "_delete" not in vars(together[0])  # counted by who was alive, not at their end
