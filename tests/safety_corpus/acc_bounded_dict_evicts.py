# Class: accumulator
# Hazard: a bounded dict subclass whose `__setitem__` evicts the oldest entry past its capacity;
#   `dict.update` bypasses the eviction.
# Prints: the three most recent thumbnails kept.
import time


class BoundedCache(dict):
    def __init__(self, capacity: int) -> None:
        super().__init__()
        self.capacity = capacity

    def __setitem__(self, key: str, value: int) -> None:
        super().__setitem__(key, value)
        while len(self) > self.capacity:
            del self[next(iter(self))]


def thumbnail(name: str) -> int:
    time.sleep(0.01)  # the image service
    return len(name) * 100


def main() -> None:
    cache = BoundedCache(3)
    for name in ["a.png", "bb.png", "ccc.png", "dddd.png", "eeeee.png"]:
        cache[name] = thumbnail(name)
    print(list(cache.items()))


if __name__ == "__main__":
    main()
