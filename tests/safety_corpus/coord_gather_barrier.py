# Class: coordination
# Hazard: every gathered coroutine waits at an asyncio.Barrier for all 24 parties; a semaphore
#   bound below 24 lets only some reach the barrier, and they wait there forever.
# Prints: "24 replicas in sync".
import asyncio


async def replicate(shard: int, barrier: asyncio.Barrier) -> int:
    await asyncio.sleep(0.001 * shard)  # copies the shard
    await barrier.wait()
    return shard


async def main(shards: list[int]) -> None:
    barrier = asyncio.Barrier(len(shards))
    try:
        done = await asyncio.wait_for(
            asyncio.gather(*[replicate(shard, barrier) for shard in shards]), timeout=3
        )
        print(f"{len(done)} replicas in sync")
    except TimeoutError:
        print("replicas never met at the barrier")


if __name__ == "__main__":
    asyncio.run(main(list(range(24))))
