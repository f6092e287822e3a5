# Class: accumulator
# Hazard: a dict subclass with `__missing__` and a `__setitem__` that counts writes; `update`
#   skips the count the report prints.
# Prints: the prices and "5 writes".
import time


class PriceBook(dict):
    writes = 0

    def __setitem__(self, key: str, value: float) -> None:
        PriceBook.writes += 1
        super().__setitem__(key, value)


def price(symbol: str) -> float:
    time.sleep(0.01)  # the exchange
    return round(len(symbol) * 1.25, 2)


def main() -> None:
    book = PriceBook()
    for symbol in ["AAPL", "MSFT", "GOOG", "AMZN", "NVDA"]:
        book[symbol] = price(symbol)
    print(sorted(book.items()))
    print(f"{PriceBook.writes} writes")


if __name__ == "__main__":
    main()
