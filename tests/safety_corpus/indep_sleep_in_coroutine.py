# Class: independent
# Independent: a coroutine blocks in time.sleep between two pure steps and touches nothing shared.
# Prints: "checksum 4950".
import asyncio
import time


async def checksum(numbers: list[int]) -> int:
    total = sum(numbers)
    time.sleep(0.01)  # paces the device
    return total


async def main() -> None:
    print(f"checksum {await checksum(list(range(100)))}")


if __name__ == "__main__":
    asyncio.run(main())
