# Class: hidden-state
# Hazard: each item stamps its event with time.monotonic(); the audit check that timestamps grow in
#   event order holds only when the events run in order.
# Prints: "timestamps in order: True".
import time


def record(event: str) -> tuple[str, float]:
    time.sleep(0.02 * (6 - len(event)))  # the event bus
    return event, time.monotonic()


def main() -> None:
    events = [record(event) for event in ["a", "bb", "ccc", "dddd", "eeeee"]]
    stamps = [stamp for _, stamp in events]
    print(f"timestamps in order: {stamps == sorted(stamps)}")


if __name__ == "__main__":
    main()
