# Class: output-order
# Hazard: `ThreadPool.apply` blocks per item; the applied function appends to a shared journal
#   file, so the journal's order is the items' order.
# Prints: "journaled 5"; writes journal.txt in item order.
import time
from multiprocessing.pool import ThreadPool


def journal(entry: str) -> str:
    time.sleep(0.02 * (6 - len(entry)))  # the journal service
    with open("journal.txt", "a") as handle:
        handle.write(f"{entry}\n")
    return entry


def main() -> None:
    done = []
    with ThreadPool(4) as pool:
        for entry in ["a", "bb", "ccc", "dddd", "eeeee"]:
            done.append(pool.apply(journal, (entry,)))
    print(f"journaled {len(done)}")


if __name__ == "__main__":
    main()
