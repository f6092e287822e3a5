# Class: hidden-state
# Hazard: the per-item function is `functools.lru_cache`d; duplicates are hits only when the
#   first call has finished, so the printed cache statistics change when items overlap.
# Prints: the exchange rates of six currencies and the cache_info() line.
import functools
import time


@functools.lru_cache(maxsize=32)
def rate(currency: str) -> float:
    time.sleep(0.1)  # the rates service
    return len(currency) / 2


def main() -> None:
    currencies = ["EUR", "USD", "EUR", "JPY", "USD", "EUR"]
    rates = [rate(currency) for currency in currencies]
    print(rates)
    print(rate.cache_info())


if __name__ == "__main__":
    main()
