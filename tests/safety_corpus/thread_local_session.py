# Class: thread-bound
# Hazard: the per-item call reads the logged-in user from a threading.local set by the main
#   thread; another thread has its own, empty, local.
# Prints: four "alice downloaded <file>" lines.
import threading
import time

_state = threading.local()


def login(user: str) -> None:
    _state.user = user


def download(name: str) -> str:
    time.sleep(0.01)  # the file server
    return f"{_state.user} downloaded {name}"


def main() -> None:
    login("alice")
    lines = [download(name) for name in ["a.txt", "b.txt", "c.txt", "d.txt"]]
    print("\n".join(lines))


if __name__ == "__main__":
    main()
