# Class: accumulator
# Hazard: `view[i] = reading(i)` into a memoryview over a preallocated buffer; a memoryview has no
#   `update`.
# Prints: the buffer's bytes after five readings.
import time


def reading(channel: int) -> int:
    time.sleep(0.01)  # the ADC
    return 40 + channel


def main() -> None:
    buffer = bytearray(5)
    view = memoryview(buffer)
    for i in range(5):
        view[i] = reading(i)
    print(list(buffer))


if __name__ == "__main__":
    main()
