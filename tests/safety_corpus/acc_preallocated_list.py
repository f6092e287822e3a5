# Class: accumulator
# Hazard: `results[i] = ...` fills a list preallocated with `[None] * n`; a list has no `update`,
#   so rewriting the item assignment into a dict-style collection crashes.
# Prints: the eight shipping quotes in warehouse order, then "quoted 8 warehouses".
import time

WAREHOUSES = ["ams", "ber", "cdg", "dub", "fra", "lis", "mad", "waw"]


def quote(index: int) -> int:
    time.sleep(0.01)  # the carrier's API
    return 100 + 7 * index


def main() -> None:
    quotes = [None] * len(WAREHOUSES)
    for i in range(len(WAREHOUSES)):
        quotes[i] = quote(i)
    for name, price in zip(WAREHOUSES, quotes, strict=True):
        print(f"{name}: {price}")
    print(f"quoted {len(quotes)} warehouses")


if __name__ == "__main__":
    main()
