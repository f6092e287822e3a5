# Class: async-blocking
# Hazard: the coroutine is driven by a tiny synchronous runner (`send(None)` until StopIteration),
#   as libraries with one code path for sync and async callers do; it blocks in time.sleep and
#   never awaits a future. An `await asyncio.sleep` there yields to a loop that does not exist.
# Prints: "report ready: 3 sections".
import time


async def build_report(sections: list[str]) -> str:
    time.sleep(0.01)  # waits for the template cache
    return f"report ready: {len(sections)} sections"


def run_sync(coroutine):
    """Run a coroutine that never suspends, without an event loop."""
    try:
        coroutine.send(None)
    except StopIteration as done:
        return done.value
    raise RuntimeError("the coroutine suspended: it needs an event loop")


def main() -> None:
    print(run_sync(build_report(["intro", "figures", "summary"])))


if __name__ == "__main__":
    main()
