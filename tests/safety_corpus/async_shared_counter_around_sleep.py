# Class: async-blocking
# Hazard: each task reads a shared balance, blocks in time.sleep, and writes it back; blocking
#   keeps the read-modify-write atomic on the event loop, an awaited sleep lets tasks interleave
#   and lose updates.
# Prints: "balance 50".
import asyncio
import time

ACCOUNT = {"balance": 0}


async def deposit(amount: int) -> None:
    balance = ACCOUNT["balance"]
    time.sleep(0.005)  # the bank's audit log
    ACCOUNT["balance"] = balance + amount


async def main() -> None:
    await asyncio.gather(*(deposit(10) for _ in range(5)))
    print(f"balance {ACCOUNT['balance']}")


if __name__ == "__main__":
    asyncio.run(main())
