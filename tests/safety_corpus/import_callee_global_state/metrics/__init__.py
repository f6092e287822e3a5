"""Process-wide request metrics: a list of the requests in the order they were made."""

REQUESTS: list[str] = []


def record(path: str) -> None:
    REQUESTS.append(path)
