# Class: exceptions
# Hazard: two items fail; serially the first failing item's error is the one raised and the
#   second never runs its cleanup log line.
# Prints: "failed: disk full on 2", exit code 0; writes attempts.log with the attempts 0, 1, 2.
import time


def store(part: int) -> int:
    with open("attempts.log", "a") as log:
        log.write(f"attempt {part}\n")
    time.sleep(0.1 if part in (2, 4) else 0.01)  # the disk; a full one answers slowly
    if part in (2, 4):
        raise OSError(f"disk full on {part}")
    return part


def main() -> None:
    try:
        stored = [store(part) for part in range(6)]
        print(stored)
    except OSError as error:
        print(f"failed: {error}")


if __name__ == "__main__":
    main()
