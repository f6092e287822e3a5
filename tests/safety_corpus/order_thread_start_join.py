# Class: output-order
# Hazard: start-then-join of one thread per item keeps each item's printing in order; starting
#   them all first runs them side by side.
# Prints: five "indexed <db>" lines in database order.
import threading
import time


def index(database: str) -> None:
    time.sleep(0.02 * (6 - len(database)))  # the indexer
    print(f"indexed {database}")


def main() -> None:
    for database in ["a", "bb", "ccc", "dddd", "eeeee"]:
        thread = threading.Thread(target=index, args=(database,))
        thread.start()
        thread.join()


if __name__ == "__main__":
    main()
