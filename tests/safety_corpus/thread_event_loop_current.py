# Class: thread-bound
# Hazard: the sync helper runs its coroutine on the event loop set for the current thread; a
#   worker thread has no current event loop.
# Prints: four quotes computed through the event loop.
import asyncio
import time


async def quote(symbol: str) -> str:
    await asyncio.sleep(0)
    return f"{symbol}={len(symbol) * 10}"


def quote_sync(symbol: str) -> str:
    time.sleep(0.01)  # the market feed
    loop = asyncio.get_event_loop()
    return loop.run_until_complete(quote(symbol))


def main() -> None:
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    quotes = [quote_sync(symbol) for symbol in ["AB", "CDE", "FGHI", "JKLMN"]]
    loop.close()
    print(quotes)


if __name__ == "__main__":
    main()
