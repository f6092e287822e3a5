# Class: coordination
# Hazard: the first 25 coroutines wait for an Event that the last coroutine sets; bounded to
#   fewer slots than waiters, the setter never gets one.
# Prints: "26 workers released".
import asyncio


async def work(index: int, total: int, ready: asyncio.Event) -> int:
    if index == total - 1:
        await asyncio.sleep(0.01)  # loads the configuration
        ready.set()
    else:
        await ready.wait()
    return index


async def main(indexes: list[int]) -> None:
    ready = asyncio.Event()
    try:
        done = await asyncio.wait_for(
            asyncio.gather(*[work(i, len(indexes), ready) for i in indexes]), timeout=3
        )
        print(f"{len(done)} workers released")
    except TimeoutError:
        print("workers still waiting for the configuration")


if __name__ == "__main__":
    asyncio.run(main(list(range(26))))
