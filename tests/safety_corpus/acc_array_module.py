# Class: accumulator
# Hazard: `samples[i] = ...` into an `array.array` preallocated with zeros: no `update` method.
# Prints: the array of five temperatures.
import time
from array import array


def probe(i: int) -> float:
    time.sleep(0.01)  # the thermometer
    return 20.0 + i / 4


def main() -> None:
    samples = array("d", [0.0] * 5)
    for i in range(5):
        samples[i] = probe(i)
    print(samples)


if __name__ == "__main__":
    main()
