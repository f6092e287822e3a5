# Class: thread-bound
# Hazard: the main thread stops decimal from trapping DivisionByZero (a zero weight gives
#   Infinity); in a worker thread the default context raises instead.
# Prints: five ratios, one of them Infinity.
import decimal
import time
from decimal import Decimal


def ratio(weight: int) -> Decimal:
    time.sleep(0.01)  # the scale
    return Decimal(100) / Decimal(weight)


def main() -> None:
    decimal.getcontext().traps[decimal.DivisionByZero] = False
    ratios = [ratio(weight) for weight in [4, 5, 0, 8, 10]]
    print(ratios)


if __name__ == "__main__":
    main()
