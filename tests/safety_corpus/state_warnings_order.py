# Class: hidden-state
# Hazard: the per-item parser warns about each legacy record; the warnings go to stderr in the
#   order of the calls, and the once-per-location registry is shared by all of them.
# Prints: "parsed 5 records" on stdout, and one warning per legacy record on stderr, in order.
import time
import warnings


def parse(record: str) -> str:
    time.sleep(0.02 * (6 - len(record)))  # the archive is slow
    if record.startswith("v1"):
        warnings.warn(f"record {record} uses the v1 layout", stacklevel=2)
    return record.upper()


def main() -> None:
    records = ["v1a", "v2b", "v1cc", "v1ddd", "v2e"]
    parsed = []
    for record in records:
        parsed.append(parse(record))
    print(f"parsed {len(parsed)} records")


if __name__ == "__main__":
    main()
