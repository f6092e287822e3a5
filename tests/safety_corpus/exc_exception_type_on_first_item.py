# Class: exceptions
# Hazard: each item may raise a different error; serially the first failing item (a KeyError) is
#   the one the caller handles, and items after it never run. Concurrently a later item raises
#   first, but map still reports in order; its side effect (the marker file) has happened.
# Prints: "missing key 'beta'"; writes nothing.
import time

CONFIG = {"alpha": 1, "delta": 4}
DELAYS = {"alpha": 0.03, "beta": 0.1, "gamma": 0.0, "delta": 0.01}


def load(name: str) -> int:
    time.sleep(DELAYS[name])  # reads the remote config
    if name == "gamma":
        with open("gamma.partial", "w") as handle:
            handle.write("half-written\n")
        raise ValueError("gamma is corrupt")
    return CONFIG[name]


def main() -> None:
    try:
        values = [load(name) for name in ["alpha", "beta", "gamma", "delta"]]
        print(values)
    except KeyError as error:
        print(f"missing key {error}")


if __name__ == "__main__":
    main()
