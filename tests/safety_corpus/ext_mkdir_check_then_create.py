# Class: external-effects
# Hazard: check-then-create of a shared output folder in every item; serially only the first item
#   creates it, concurrently several see it missing and mkdir fails.
# Prints: "exported 4 reports".
import os
import time


def export(report: str) -> str:
    if not os.path.isdir("exports"):
        time.sleep(0.1)  # the disk is slow to answer
        os.mkdir("exports")
    path = os.path.join("exports", f"{report}.txt")
    with open(path, "w") as handle:
        handle.write(report)
    return path


def main() -> None:
    paths = [export(report) for report in ["q1", "q2", "q3", "q4"]]
    print(f"exported {len(paths)} reports")


if __name__ == "__main__":
    main()
