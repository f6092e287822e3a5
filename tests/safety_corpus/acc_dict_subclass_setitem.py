# Class: accumulator
# Hazard: the accumulator is a dict subclass whose `__setitem__` normalises keys; `dict.update`
#   bypasses `__setitem__`, so the keys would stay as given.
# Prints: the lower-cased header names with their lengths, sorted.
import time


class HeaderMap(dict):
    """HTTP headers are case-insensitive: store every name lower-cased."""

    def __setitem__(self, key: str, value: int) -> None:
        super().__setitem__(key.lower(), value)


def header_size(name: str) -> int:
    time.sleep(0.01)  # asks the proxy
    return len(name) * 3


def main() -> None:
    names = ["Content-Type", "ETag", "X-Request-Id", "Cache-Control", "Vary"]
    sizes = HeaderMap()
    for name in names:
        sizes[name] = header_size(name)
    for key in sorted(sizes):
        print(key, sizes[key])


if __name__ == "__main__":
    main()
