"""Pools found in source, with the functions they run and where the program waits for them."""

from __future__ import annotations

from pathlib import Path

from advisor.analysis.facts import module_facts
from advisor.analysis.knowledge import load_knowledge
from advisor.profiling.pool_sites import find_pool_sites
from advisor.syntax.source import Source
from conftest import FIXTURES


def pools_in(tmp_path: Path, source: str):
    path = tmp_path / "pools.py"
    path.write_text(source)
    return find_pool_sites(module_facts(Source.read(path), load_knowledge()))


def test_the_fixtures_pools() -> None:
    [threads] = find_pool_sites(
        module_facts(Source.read(FIXTURES / "pool_threads_over_cpu.py"), load_knowledge())
    )
    assert (threads.kind, threads.pool, threads.line, threads.workers) == (
        "thread",
        "concurrent.futures.ThreadPoolExecutor",
        37,
        8,
    )
    assert threads.functions == ((29, 31),)  # count_primes
    assert threads.waits == ((37, 38),)  # the `with` block
    [processes] = find_pool_sites(
        module_facts(Source.read(FIXTURES / "pool_processes_over_io.py"), load_knowledge())
    )
    assert (processes.kind, processes.line, processes.workers) == ("process", 43, None)
    assert processes.functions == ((21, 24),)  # page_size


def test_every_way_of_binding_and_feeding_a_pool(tmp_path: Path) -> None:
    source = """\
import functools
import multiprocessing as mp
from concurrent import futures


def work(item, scale=1):
    return item * scale


class Job:
    def run(self, item):
        return item


def main(items):
    pool = futures.ThreadPoolExecutor(4)
    done = [pool.submit(work, i) for i in items]
    pool.shutdown()
    with mp.get_context("spawn").Pool(processes=2) as workers:
        workers.map(functools.partial(work, scale=2), items)
        workers.map(Job().run, items)
    with futures.ProcessPoolExecutor() as other:
        other.map(lambda i: i, items)
    return done
"""
    thread_pool, mp_pool, executor = pools_in(tmp_path, source)
    assert (thread_pool.kind, thread_pool.line, thread_pool.workers) == ("thread", 16, 4)
    assert thread_pool.functions == ((6, 7),)
    assert thread_pool.waits == ((17, 17),)  # no `with`: the statements that use it
    assert (mp_pool.kind, mp_pool.pool, mp_pool.workers) == ("process", "multiprocessing.Pool", 2)
    assert mp_pool.functions == ((6, 7), (11, 12))  # through the partial, and the method
    assert mp_pool.waits == ((19, 21),)
    assert executor.functions == ((23, 23),)  # the lambda


def test_names_that_are_not_pools_are_left_alone(tmp_path: Path) -> None:
    source = """\
from myproject import ThreadPoolExecutor


def main(items):
    with ThreadPoolExecutor() as pool:
        return list(pool.map(str, items))
"""
    assert pools_in(tmp_path, source) == []
