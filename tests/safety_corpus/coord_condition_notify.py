# Class: coordination
# Hazard: 22 readers wait on an asyncio.Condition that the writer (gathered last) notifies;
#   bounded below 23, the writer never runs.
# Prints: "22 readers saw version 2".
import asyncio


async def actor(index: int, readers: int, condition: asyncio.Condition, state: dict) -> int:
    async with condition:
        if index < readers:
            await condition.wait_for(lambda: state["version"] == 2)
            return state["version"]
        state["version"] = 2
        condition.notify_all()
        return 0


async def main(readers: int) -> None:
    condition = asyncio.Condition()
    state = {"version": 1}
    try:
        seen = await asyncio.wait_for(
            asyncio.gather(*[actor(i, readers, condition, state) for i in range(readers + 1)]),
            timeout=3,
        )
        print(f"{seen.count(2)} readers saw version 2")
    except TimeoutError:
        print("readers never saw the new version")


if __name__ == "__main__":
    asyncio.run(main(22))
