# Class: hidden-state
# Hazard: the per-item call is a method that bumps `self.issued`; labels are numbered in the
#   order the calls happen, so running them concurrently renumbers them.
# Prints: six shipping labels numbered 1-6 in parcel order.
import time


class LabelPrinter:
    def __init__(self) -> None:
        self.issued = 0

    def label(self, parcel: str) -> str:
        time.sleep(0.06 - 0.02 * len(parcel))  # the label API is slower for short ids
        self.issued += 1
        return f"{self.issued:03d}-{parcel}"


def main() -> None:
    printer = LabelPrinter()
    parcels = ["p", "pa", "par", "parc", "parce", "parcel"]
    labels = []
    for parcel in parcels:
        labels.append(printer.label(parcel))
    print(labels)


if __name__ == "__main__":
    main()
