# Class: async-blocking
# Hazard: the coroutine writes a record in two steps around a blocking time.sleep; `await
#   asyncio.sleep` there adds a cancellation point, and the caller's timeout then cuts the write
#   in half.
# Prints: "saved", and the file holds both halves of the record.
import asyncio
import time


async def save(path: str) -> None:
    with open(path, "w") as handle:
        handle.write("header;")
        time.sleep(0.05)  # the device needs a pause between writes
        handle.write("payload\n")


async def main() -> None:
    try:
        await asyncio.wait_for(save("record.dat"), timeout=0.01)
        print("saved")
    except TimeoutError:
        print("save timed out")
    with open("record.dat") as handle:
        print(handle.read().strip())


if __name__ == "__main__":
    asyncio.run(main())
