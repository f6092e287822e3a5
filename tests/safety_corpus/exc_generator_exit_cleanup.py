# Class: exceptions
# Hazard: per-item work raises on a poisoned message; serially the messages after it stay in the
#   queue file untouched, concurrently they are acknowledged (written) before the error surfaces.
# Prints: "poisoned message m3", the acknowledged ids m1 and m2.
import time


class Poisoned(Exception):
    pass


def acknowledge(message: str) -> str:
    time.sleep(0.01)  # the broker
    if message == "m3":
        time.sleep(0.1)  # the broker retries the poisoned message first
        raise Poisoned(message)
    with open("acked.txt", "a") as handle:
        handle.write(f"{message}\n")
    return message


def main() -> None:
    try:
        acked = [acknowledge(message) for message in ["m1", "m2", "m3", "m4", "m5"]]
        print(acked)
    except Poisoned as error:
        print(f"poisoned message {error}")
    with open("acked.txt") as handle:
        print(handle.read().split())


if __name__ == "__main__":
    main()
