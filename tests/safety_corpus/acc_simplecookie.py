# Class: accumulator
# Hazard: `jar[name] = value` on an http.cookies.SimpleCookie builds a Morsel through
#   `__setitem__`; `update` stores bare strings and `output()` then fails.
# Prints: three Set-Cookie lines, one per session token.
import time
from http.cookies import SimpleCookie


def issue_token(name: str) -> str:
    time.sleep(0.01)  # the auth service
    return f"{name[::-1]}42"


def main() -> None:
    jar = SimpleCookie()
    for name in ["session", "csrf", "locale", "theme"]:
        jar[name] = issue_token(name)
    print(jar.output())


if __name__ == "__main__":
    main()
