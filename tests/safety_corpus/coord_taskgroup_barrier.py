# Class: coordination
# Hazard: tasks created in a TaskGroup loop meet at a Barrier of 30 parties; bounding the tasks to
#   fewer slots deadlocks them.
# Prints: "30 nodes joined the round".
import asyncio


async def join_round(node: int, barrier: asyncio.Barrier) -> None:
    await asyncio.sleep(0.001)
    await barrier.wait()


async def run_round(nodes: list[int]) -> None:
    barrier = asyncio.Barrier(len(nodes))
    async with asyncio.TaskGroup() as group:
        for node in nodes:
            group.create_task(join_round(node, barrier))


async def main() -> None:
    nodes = list(range(30))
    try:
        await asyncio.wait_for(run_round(nodes), timeout=3)
        print(f"{len(nodes)} nodes joined the round")
    except TimeoutError:
        print("the round never completed")


if __name__ == "__main__":
    asyncio.run(main())
