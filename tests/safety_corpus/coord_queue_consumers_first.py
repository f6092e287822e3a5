# Class: coordination
# Hazard: 24 consumers and then one producer are gathered together, coordinating through an
#   asyncio.Queue; a bound below 25 fills every slot with consumers waiting on an empty queue.
# Prints: "24 consumers got their item".
import asyncio


async def role(index: int, consumers: int, queue: asyncio.Queue) -> int:
    if index < consumers:
        return await queue.get()
    for item in range(consumers):
        await queue.put(item)
    return -1


async def main(consumers: int) -> None:
    queue: asyncio.Queue = asyncio.Queue()
    try:
        results = await asyncio.wait_for(
            asyncio.gather(*[role(i, consumers, queue) for i in range(consumers + 1)]), timeout=3
        )
        print(f"{len([r for r in results if r >= 0])} consumers got their item")
    except TimeoutError:
        print("consumers starved")


if __name__ == "__main__":
    asyncio.run(main(24))
