# Class: hidden-state
# Hazard: every item appends its line to the same log file after its request; the lines land in
#   the order of the calls.
# Prints: "synced 5 mirrors"; writes sync.log with one line per mirror in mirror order.
import time


def sync(mirror: str) -> int:
    time.sleep(0.02 * (6 - len(mirror)))  # rsync stand-in
    with open("sync.log", "a") as log:
        log.write(f"{mirror} synced\n")
    return len(mirror)


def main() -> None:
    mirrors = ["a", "bb", "ccc", "dddd", "eeeee"]
    sizes = [sync(mirror) for mirror in mirrors]
    print(f"synced {len(sizes)} mirrors")


if __name__ == "__main__":
    main()
