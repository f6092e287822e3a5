# Class: accumulator
# Hazard: `stock[sku] = n` on a collections.Counter: Counter.update *counts* what it is given, so
#   a pairs-based update would count the (sku, n) tuples instead of setting the levels.
# Prints: the stock levels of four SKUs and the total.
import time
from collections import Counter


def stock_level(sku: str) -> int:
    time.sleep(0.01)  # the warehouse API
    return len(sku) * 4


def main() -> None:
    stock = Counter()
    for sku in ["A-100", "B-2", "C-30000", "D-44"]:
        stock[sku] = stock_level(sku)
    print(sorted(stock.items()), stock.total())


if __name__ == "__main__":
    main()
