# Class: hidden-state
# Hazard: each item records its own warnings with warnings.catch_warnings(record=True), which
#   swaps the module's global state; concurrent items record into each other's lists.
# Prints: how many warnings each of four files raised: 1, 2, 3, 4.
import time
import warnings


def lint(count: int) -> int:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        time.sleep(0.02 * count)  # parses the file
        for n in range(count):
            warnings.warn(f"issue {n}", stacklevel=2)
    return len(caught)


def main() -> None:
    counts = [lint(count) for count in [1, 2, 3, 4]]
    print(counts)


if __name__ == "__main__":
    main()
