# Class: coordination
# Hazard: coroutine i awaits a future that coroutine i + 21 resolves (a reply to its request);
#   bounded to 20 at once, the repliers never start.
# Prints: "42 replies matched".
import asyncio


async def converse(index: int, half: int, replies: dict[int, asyncio.Future]) -> int:
    if index < half:
        return await replies[index]
    await asyncio.sleep(0.001)
    replies[index - half].set_result(index)
    return index


async def main(count: int) -> None:
    loop = asyncio.get_running_loop()
    half = count // 2
    replies = {i: loop.create_future() for i in range(half)}
    try:
        done = await asyncio.wait_for(
            asyncio.gather(*(converse(i, half, replies) for i in range(count))), timeout=3
        )
        print(f"{len(done)} replies matched")
    except TimeoutError:
        print("requests never got their replies")


if __name__ == "__main__":
    asyncio.run(main(42))
