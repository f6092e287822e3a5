# Class: independent
# Independent: awaits of a coroutine that only sleeps and computes from its argument.
# Prints: the doubled values of eight items in order.
import asyncio


async def double(n: int) -> int:
    await asyncio.sleep(0.01)  # the remote service
    return n * 2


async def main(items: list[int]) -> None:
    results = []
    for n in items:
        results.append(await double(n))
    print(results)


if __name__ == "__main__":
    asyncio.run(main(list(range(8))))
