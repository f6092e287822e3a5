# Class: output-order
# Hazard: `pool.submit(print, line, file=printer).result()` for each line: waiting each time keeps
#   the lines in order; submitting all first lets the pool print them in any order (the label
#   printer takes longer for longer lines).
# Prints: the six labels as the printer received them, longest first.
import time
from concurrent.futures import ThreadPoolExecutor


class LabelPrinter:
    """A slow line printer: the time to print grows with the text."""

    def __init__(self) -> None:
        self.received: list[str] = []

    def write(self, text: str) -> None:
        time.sleep(0.01 * len(text))
        if text.strip():
            self.received.append(text)


def main() -> None:
    labels = ["x" * n for n in range(8, 2, -1)]
    printer = LabelPrinter()
    with ThreadPoolExecutor(max_workers=6) as pool:
        for label in labels:
            pool.submit(print, label, file=printer).result()
    print(printer.received)


if __name__ == "__main__":
    main()
