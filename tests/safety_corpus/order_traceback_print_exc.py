# Class: output-order
# Hazard: the per-item function prints failures with traceback.print_exc (to stderr) and goes on;
#   the failure reports come out in item order only when the items run in order.
# Prints: the three fetched values (None for failures) on stdout; two tracebacks on stderr.
import time
import traceback


def fetch(key: str) -> int | None:
    time.sleep(0.02 * (5 - len(key)))  # the store
    try:
        return int(key)
    except ValueError:
        traceback.print_exc()
        return None


def main() -> None:
    values = [fetch(key) for key in ["12", "x", "7", "yyyy"]]
    print(values)


if __name__ == "__main__":
    main()
