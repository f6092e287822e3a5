# Class: hidden-state
# Hazard: every item pulls its batch from one iterator shared by all items; which lines a batch
#   gets depends on the order of the calls.
# Prints: four (worker, lines) batches, lines handed out in order.
import time

LINES = iter(f"line-{n}" for n in range(8))


def take_batch(worker: int) -> tuple[int, list[str]]:
    time.sleep(0.02 * (4 - worker))  # the worker warms up
    return worker, [next(LINES), next(LINES)]


def main() -> None:
    batches = []
    for worker in range(4):
        batches.append(take_batch(worker))
    print(batches)


if __name__ == "__main__":
    main()
