# Class: output-order
# Hazard: the per-item function lives in another module of the project and prints an audit line;
#   the loop here looks silent.
# Prints: five "audit: priced <sku>" lines in SKU order, then the total.
import time

from shop.pricing import price


def quote(sku: str) -> int:
    time.sleep(0.001)  # the tax table
    return price(sku)


def main() -> None:
    totals = []
    for sku in ["a", "bb", "ccc", "dddd", "eeeee"]:
        totals.append(quote(sku))
    print(sum(totals))


if __name__ == "__main__":
    main()
