# Class: hidden-state
# Hazard: the per-item function records each request in another module's global list; the order
#   of the record follows the calls.
# Prints: the five responses and the recorded request order.
import time

import metrics


def get(path: str) -> str:
    time.sleep(0.02 * (6 - len(path)))  # the API
    metrics.record(path)
    return path.upper()


def main() -> None:
    responses = [get(path) for path in ["/a", "/bb", "/ccc", "/dddd"]]
    print(responses)
    print(metrics.REQUESTS)


if __name__ == "__main__":
    main()
