# Class: hidden-state
# Hazard: each item captures a noisy helper's output with contextlib.redirect_stdout, which swaps
#   sys.stdout for the whole process; concurrent items capture each other's lines.
# Prints: each item's captured text, one per line.
import contextlib
import io
import time


def noisy_build(target: str) -> None:
    print(f"building {target}")
    time.sleep(0.02 * (6 - len(target)))  # the compiler
    print(f"built {target}")


def capture(target: str) -> str:
    buffer = io.StringIO()
    with contextlib.redirect_stdout(buffer):
        noisy_build(target)
    return buffer.getvalue().replace("\n", " | ")


def main() -> None:
    logs = [capture(target) for target in ["a", "bb", "ccc", "dddd"]]
    print("\n".join(logs))


if __name__ == "__main__":
    main()
