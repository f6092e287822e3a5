# Class: independent
# Independent: a pure computation behind a simulated latency; each item only reads its argument.
# Prints: the squares of 0-9.
import time


def slow_square(n: int) -> int:
    time.sleep(0.01)  # the remote calculator
    return n * n


def main() -> None:
    squares = [slow_square(n) for n in range(10)]
    print(squares)


if __name__ == "__main__":
    main()
