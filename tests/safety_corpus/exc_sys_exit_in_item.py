# Class: exceptions
# Hazard: a fatal item calls sys.exit(3); serially the later items never run their migration,
#   concurrently they already have.
# Prints: nothing on stdout, exit code 3; writes migrated-1 and migrated-2 only.
import sys
import time


def migrate(version: int) -> int:
    time.sleep(0.01)  # the database
    if version == 3:
        time.sleep(0.1)  # the failing migration times out slowly
        sys.exit(3)
    with open(f"migrated-{version}", "w") as handle:
        handle.write(str(version))
    return version


def main() -> None:
    versions = [migrate(version) for version in range(1, 7)]
    print(versions)


if __name__ == "__main__":
    main()
