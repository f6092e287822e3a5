# Class: coordination
# Hazard: one thread per item, each waiting at a threading.Barrier of all items; a pool with
#   fewer workers than items never fills the barrier.
# Prints: "70 workers crossed the barrier".
import threading
import time

CROSSED: list[int] = []


def worker(index: int, barrier: threading.Barrier) -> None:
    time.sleep(0.001)  # loads its shard
    try:
        barrier.wait(timeout=3)
        CROSSED.append(index)
    except threading.BrokenBarrierError:
        pass


def main() -> None:
    items = list(range(70))
    barrier = threading.Barrier(len(items))
    threads = []
    for index in items:
        thread = threading.Thread(target=worker, args=(index, barrier))
        thread.start()
        threads.append(thread)
    for thread in threads:
        thread.join()
    print(f"{len(CROSSED)} workers crossed the barrier")


if __name__ == "__main__":
    main()
