# Class: accumulator
# Hazard: `frame[i] = checksum_byte(i)` into a preallocated bytearray.
# Prints: the frame in hex.
import time


def checksum_byte(block: int) -> int:
    time.sleep(0.01)  # reads the block from the device
    return (block * 37) % 256


def main() -> None:
    frame = bytearray(6)
    for i in range(6):
        frame[i] = checksum_byte(i)
    print(frame.hex())


if __name__ == "__main__":
    main()
