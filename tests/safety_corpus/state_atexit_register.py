# Class: hidden-state
# Hazard: each item registers an atexit cleanup; atexit runs them last-in first-out, so the
#   order of the exit lines follows the order of the calls.
# Prints: "opened 4 sessions", then four "closing" lines in reverse session order.
import atexit
import time


def open_session(name: str) -> str:
    time.sleep(0.02 * (5 - len(name)))  # the login handshake
    atexit.register(print, f"closing {name}")
    return f"session:{name}"


def main() -> None:
    sessions = [open_session(name) for name in ["a", "bb", "ccc", "dddd"]]
    print(f"opened {len(sessions)} sessions")


if __name__ == "__main__":
    main()
