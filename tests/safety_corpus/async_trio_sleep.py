# Class: async-blocking
# Requires: trio
# Hazard: the coroutine runs under trio, not asyncio; `await asyncio.sleep` has no running asyncio
#   loop there and raises.
# Prints: "sensor ready".
import time

import trio


async def wait_ready(device: str) -> str:
    time.sleep(0.01)  # the device's settle time
    return f"{device} ready"


async def main() -> None:
    print(await wait_ready("sensor"))


if __name__ == "__main__":
    trio.run(main)
