# Class: hidden-state
# Hazard: each awaited call appends to a shared audit list after its own latency; awaited one by
#   one the audit is in item order, gathered it is in completion order.
# Prints: the five results and the audit trail in item order.
import asyncio

AUDIT: list[str] = []


async def charge(customer: str) -> str:
    await asyncio.sleep(0.02 * (6 - len(customer)))  # the card network
    AUDIT.append(customer)
    return f"{customer}:ok"


async def main(customers: list[str]) -> None:
    results = []
    for customer in customers:
        results.append(await charge(customer))
    print(results)
    print(AUDIT)


if __name__ == "__main__":
    asyncio.run(main(["a", "bb", "ccc", "dddd", "eeeee"]))
