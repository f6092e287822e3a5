# Class: external-effects
# Hazard: each item takes an exclusive lock file (O_EXCL) for its update and removes it after;
#   serially that never collides, concurrently the second item finds the lock taken.
# Prints: "updated 4 entries" and the ledger lines.
import os
import time


def update(entry: str) -> str:
    fd = os.open("ledger.lock", os.O_CREAT | os.O_EXCL | os.O_WRONLY)
    try:
        time.sleep(0.1)  # the ledger service
        with open("ledger.txt", "a") as ledger:
            ledger.write(f"{entry}\n")
    finally:
        os.close(fd)
        os.remove("ledger.lock")
    return entry


def main() -> None:
    entries = [update(entry) for entry in ["rent", "power", "water", "phone"]]
    print(f"updated {len(entries)} entries")
    with open("ledger.txt") as ledger:
        print(ledger.read().split())


if __name__ == "__main__":
    main()
