# Class: hidden-state
# Hazard: every Job registers itself in a class-level list from `__init__`; the registry's order
#   (the queue position printed) follows the order of the constructions.
# Prints: the five jobs with their queue positions 0-4 in job order.
import time
from typing import ClassVar


class Job:
    queue: ClassVar[list["Job"]] = []

    def __init__(self, name: str) -> None:
        self.name = name
        self.position = len(Job.queue)
        Job.queue.append(self)


def submit(name: str) -> str:
    time.sleep(0.02 * (6 - len(name)))  # validates the job remotely
    job = Job(name)
    return f"{job.name}@{job.position}"


def main() -> None:
    receipts = [submit(name) for name in ["a", "bb", "ccc", "dddd", "eeeee"]]
    print(receipts)


if __name__ == "__main__":
    main()
