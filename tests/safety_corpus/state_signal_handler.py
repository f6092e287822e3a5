# Class: hidden-state
# Hazard: each worker installs a SIGTERM handler before its work; `signal.signal` only works in
#   the main thread, and the handler is process-wide state anyway.
# Prints: "drained 4 queues" and the name of the last handler installed.
import signal
import time

HANDLERS: list[str] = []


def drain(queue: str) -> int:
    signal.signal(signal.SIGTERM, lambda *_: print(f"stopping {queue}"))
    HANDLERS.append(queue)
    time.sleep(0.01)  # the broker
    return len(queue)


def main() -> None:
    drained = [drain(queue) for queue in ["jobs", "mail", "audit", "thumbs"]]
    print(f"drained {len(drained)} queues, last handler {HANDLERS[-1]}")


if __name__ == "__main__":
    main()
