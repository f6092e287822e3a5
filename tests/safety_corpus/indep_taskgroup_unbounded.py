# Class: independent
# Independent: tasks created in a TaskGroup loop, none waiting on another.
# Prints: the 25 results in order.
import asyncio


async def square(n: int) -> int:
    await asyncio.sleep(0.002)
    return n * n


async def main(numbers: list[int]) -> None:
    async with asyncio.TaskGroup() as group:
        tasks = []
        for n in numbers:
            tasks.append(group.create_task(square(n)))
    print([task.result() for task in tasks])


if __name__ == "__main__":
    asyncio.run(main(list(range(25))))
