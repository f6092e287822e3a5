# Class: async-blocking
# Hazard: gathered tasks each run a blocking subprocess that appends to one journal; blocking, the
#   event loop runs them one after another in task order, offloaded to threads they overlap and
#   the journal's order changes.
# Prints: "journaled 4"; writes journal.txt with the tasks in order.
import asyncio
import subprocess


async def journal(name: str) -> int:
    delay = 0.02 * (5 - len(name))
    command = f"sleep {delay}; echo {name} >> journal.txt"
    return subprocess.run(["sh", "-c", command], check=True).returncode


async def main() -> None:
    codes = await asyncio.gather(*(journal(name) for name in ["a", "bb", "ccc", "dddd"]))
    print(f"journaled {len(codes)}")


if __name__ == "__main__":
    asyncio.run(main())
