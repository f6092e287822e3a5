# Class: coordination
# Hazard: the loop awaits `reader.readexactly(4)` once per record; the calls do not depend on each
#   other by name, but they share the stream's position: gathered, they read concurrently and
#   asyncio refuses a second reader while one waits for data.
# Prints: the five 4-byte records in stream order.
import asyncio


async def read_records(reader: asyncio.StreamReader, count: int) -> list[bytes]:
    records = []
    for _ in range(count):
        records.append(await reader.readexactly(4))
    return records


async def feed(reader: asyncio.StreamReader) -> None:
    for number in range(1, 6):
        await asyncio.sleep(0.005)  # the device sends one record at a time
        reader.feed_data(f"rec{number}".encode())
    reader.feed_eof()


async def main() -> None:
    reader = asyncio.StreamReader()
    feeder = asyncio.create_task(feed(reader))
    print(await read_records(reader, 5))
    await feeder


if __name__ == "__main__":
    asyncio.run(main())
