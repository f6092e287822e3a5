# Class: thread-bound
# Requires: numpy
# Hazard: `np.seterr(divide="raise")` in the main thread; numpy's error state is per thread
#   (per context), so a worker divides by zero silently into inf.
# Prints: the ratios computed before the zero, and "refused: divide by zero".
import time

import numpy as np


def ratio(pair: tuple[float, float]) -> float:
    time.sleep(0.01)  # the data feed
    return float(np.float64(pair[0]) / np.float64(pair[1]))


def main() -> None:
    np.seterr(divide="raise")
    pairs = [(1.0, 2.0), (3.0, 4.0), (5.0, 0.0), (7.0, 8.0)]
    try:
        ratios = [ratio(pair) for pair in pairs]
        print(ratios)
    except FloatingPointError as error:
        print(f"refused: {error}")


if __name__ == "__main__":
    main()
