# Class: thread-bound
# Hazard: the main thread sets the decimal context's precision to 6; the context is per thread,
#   so a worker thread divides with the default 28 digits.
# Prints: five unit prices to 6 significant digits.
import decimal
import time
from decimal import Decimal


def unit_price(pack: int) -> Decimal:
    time.sleep(0.01)  # the catalogue
    return Decimal(10) / Decimal(pack)


def main() -> None:
    decimal.getcontext().prec = 6
    prices = []
    for pack in [3, 6, 7, 9, 11]:
        prices.append(unit_price(pack))
    print(prices)


if __name__ == "__main__":
    main()
