# Class: accumulator
# Hazard: `report += render(x)` where `report` is a str: a `+=` that is concatenation, not a
#   numeric sum; `sum()` of strings fails.
# Prints: one report line per region.
import time


def render(region: str) -> str:
    time.sleep(0.01)  # the metrics store
    return f"{region}: {len(region) * 11} req/s\n"


def main() -> None:
    report = ""
    for region in ["eu-west", "us-east", "ap-south", "sa-east"]:
        report += render(region)
    print(report, end="")


if __name__ == "__main__":
    main()
