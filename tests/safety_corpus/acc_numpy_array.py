# Class: accumulator
# Requires: numpy
# Hazard: `levels[i] = ...` into a numpy array made by `np.zeros`; an ndarray has no `update`.
# Prints: the six sensor levels as a numpy array and their mean.
import time

import numpy as np


def read_sensor(channel: int) -> float:
    time.sleep(0.01)  # the serial bus
    return channel * 1.5


def main() -> None:
    levels = np.zeros(6)
    for i in range(6):
        levels[i] = read_sensor(i)
    print(levels, levels.mean())


if __name__ == "__main__":
    main()
