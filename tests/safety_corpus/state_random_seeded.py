# Class: hidden-state
# Hazard: after `random.seed(7)`, each item draws from the global generator; the draws follow
#   the order of the calls, so concurrent items get each other's numbers.
# Prints: the jittered retry delays of five jobs, reproducible thanks to the seed.
import random
import time


def backoff(job: int) -> float:
    time.sleep(0.02 * (5 - job))  # asks the scheduler first
    return round(job + random.random(), 6)


def main() -> None:
    random.seed(7)
    delays = []
    for job in range(5):
        delays.append(backoff(job))
    print(delays)


if __name__ == "__main__":
    main()
