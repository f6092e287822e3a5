# Class: async-blocking
# Requires: anyio, trio
# Hazard: an anyio program run on the trio backend; asyncio's sleep or to_thread cannot run there.
# Prints: "fetched 2 configs".
import time

import anyio


async def fetch_config(name: str) -> str:
    time.sleep(0.01)  # the config server
    return f"{name}.toml"


async def main() -> None:
    configs = [await fetch_config("app"), await fetch_config("db")]
    print(f"fetched {len(configs)} configs")


if __name__ == "__main__":
    anyio.run(main, backend="trio")
