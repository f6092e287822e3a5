# Class: independent
# Independent: an unbounded gather of coroutines that neither share nor wait on each other.
# Prints: the lengths of 30 generated names.
import asyncio


async def lookup(n: int) -> int:
    await asyncio.sleep(0.005)  # the name service
    return len(f"user-{n}")


async def main(ids: list[int]) -> None:
    lengths = await asyncio.gather(*[lookup(n) for n in ids])
    print(lengths)


if __name__ == "__main__":
    asyncio.run(main(list(range(30))))
