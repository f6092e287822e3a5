# Class: accumulator
# Hazard: `sink.append(x)` on a parameter whose type only has `append` (an outbox that stamps
#   each message); `extend` does not exist on it, and would bypass the stamping if it did.
# Prints: five numbered outbox lines.
import time


class Outbox:
    def __init__(self) -> None:
        self.lines: list[str] = []

    def append(self, message: str) -> None:
        self.lines.append(f"#{len(self.lines) + 1} {message}")


def render(order: int) -> str:
    time.sleep(0.01)  # template service
    return f"order {order} shipped"


def notify(orders: list[int], sink: Outbox) -> None:
    for order in orders:
        sink.append(render(order))


def main() -> None:
    box = Outbox()
    notify([31, 32, 33, 34, 35], box)
    print("\n".join(box.lines))


if __name__ == "__main__":
    main()
