# Class: hidden-state
# Hazard: the session object counts its requests and fails past its quota; serially the fourth
#   call is refused and the loop stops there, gathered every call starts before any count.
# Prints: "quota exceeded after 3 calls".
import asyncio


class Session:
    def __init__(self, quota: int) -> None:
        self.quota = quota
        self.used = 0

    async def get(self, path: str) -> str:
        if self.used >= self.quota:
            raise RuntimeError(f"quota exceeded after {self.used} calls")
        await asyncio.sleep(0.005)  # the API
        self.used += 1
        return path.upper()


async def crawl(session: Session, paths: list[str]) -> list[str]:
    pages = []
    for path in paths:
        pages.append(await session.get(path))
    return pages


async def main() -> None:
    try:
        print(await crawl(Session(3), ["/a", "/b", "/c", "/d", "/e"]))
    except RuntimeError as error:
        print(error)


if __name__ == "__main__":
    asyncio.run(main())
