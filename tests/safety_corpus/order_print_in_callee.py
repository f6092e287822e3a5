# Class: output-order
# Hazard: the loop only collects results, but the function it calls prints through a helper two
#   calls down; the lines would come out in completion order.
# Prints: five "priced <sku>" lines in SKU order, then the total.
import time


def say(message: str) -> None:
    print(message)


def lookup(sku: str) -> int:
    time.sleep(0.02 * (6 - len(sku)))  # the price service
    say(f"priced {sku}")
    return len(sku) * 3


def main() -> None:
    prices = []
    for sku in ["a", "bb", "ccc", "dddd", "eeeee"]:
        prices.append(lookup(sku))
    print(sum(prices))


if __name__ == "__main__":
    main()
