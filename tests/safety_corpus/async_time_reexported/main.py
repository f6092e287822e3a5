# Class: async-blocking
# Hazard: the clock package imports `time` and re-exports it in `__all__`; a fix that replaces its
#   only call and drops the import breaks `from clock import time`.
# Prints: "paused" and "clock ok".
import asyncio

from clock import pause, time


async def main() -> None:
    await pause(0.01)
    print("paused")


if __name__ == "__main__":
    asyncio.run(main())
    print("clock ok" if time.monotonic() > 0 else "clock broken")
