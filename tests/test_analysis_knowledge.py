"""Knowledge is data: the TOML files under rules/knowledge load into one CallKnowledge."""

from __future__ import annotations

from advisor.analysis.knowledge import AsyncReplacement, load_knowledge


def test_pool_knowledge_comes_from_pools_toml() -> None:
    pools = load_knowledge().pools
    assert pools.threads == {"threading.Thread"}
    assert "concurrent.futures.ProcessPoolExecutor" in pools.process_pools
    assert "multiprocessing.pool.ThreadPool" in pools.pools - pools.process_pools
    # every pool is unpicklable too, besides the objects named so
    assert pools.pools <= pools.unpicklable and "threading.Lock" in pools.unpicklable
    assert pools.min_iterations == 4


def test_a_blocking_call_without_an_entry_gets_the_default_of_async_toml() -> None:
    knowledge = load_knowledge()
    assert knowledge.replacement_in_async("sqlite3.connect") == AsyncReplacement(
        "", "asyncio.to_thread", "to_thread"
    )
    assert knowledge.replacement_in_async("time.sleep").replacement == "asyncio.sleep"


def test_a_replacement_by_another_library_is_a_change_of_client() -> None:
    knowledge = load_knowledge()
    assert knowledge.replacement_in_async("requests.get").switches_client
    assert not knowledge.replacement_in_async("time.sleep").switches_client
