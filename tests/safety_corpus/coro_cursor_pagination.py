# Class: hidden-state
# Hazard: the client keeps a server-side cursor: each `next_page()` returns the page after the
#   previous call's, so the awaited calls depend on each other through the object, not through
#   names.
# Prints: five pages, 1 to 5, in order.
import asyncio


class FeedClient:
    def __init__(self) -> None:
        self.cursor = 0

    async def next_page(self, size: int) -> list[int]:
        start = self.cursor
        await asyncio.sleep(0.005)  # the feed API
        self.cursor = start + size
        return list(range(start + 1, start + size + 1))


async def main(client: FeedClient, pages: int) -> None:
    seen = []
    for _ in range(pages):
        seen.append(await client.next_page(2))
    print(seen)


if __name__ == "__main__":
    asyncio.run(main(FeedClient(), 5))
