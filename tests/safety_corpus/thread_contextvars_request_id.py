# Class: thread-bound
# Hazard: the request id lives in a ContextVar set by the caller; executor threads do not run in
#   the caller's context, so each item sees the default instead.
# Prints: four "[req-42] fetched <item>" lines.
import contextvars
import time

REQUEST_ID = contextvars.ContextVar("request_id", default="no-request")


def fetch(item: str) -> str:
    time.sleep(0.01)  # the backend
    return f"[{REQUEST_ID.get()}] fetched {item}"


def handle() -> list[str]:
    REQUEST_ID.set("req-42")
    return [fetch(item) for item in ["cart", "user", "prices", "stock"]]


def main() -> None:
    print("\n".join(handle()))


if __name__ == "__main__":
    main()
