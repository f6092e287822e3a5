# Class: accumulator
# Hazard: the per-item function reads the dict the loop is filling (a running balance through
#   the previous month's entry), so each item depends on the one before through a module global.
# Prints: the running balance of six months.
import time

BALANCES: dict[int, int] = {}


def close_month(month: int) -> int:
    time.sleep(0.02 * (7 - month))  # the ledger service answers recent months faster
    previous = BALANCES.get(month - 1, 0)
    return previous + 100 * month


def main() -> None:
    for month in range(1, 7):
        BALANCES[month] = close_month(month)
    print(BALANCES)


if __name__ == "__main__":
    main()
