# Class: independent
# Independent: a list comprehension of independent GET + JSON parse, inside a function.
# Prints: the names of five records.
import json
import os
import urllib.request

BASE = os.environ.get("CORPUS_BASE_URL", "http://127.0.0.1:9")


def names(ids: list[int]) -> list[str]:
    return [json.loads(urllib.request.urlopen(f"{BASE}/records/{i}").read())["name"] for i in ids]


def main() -> None:
    print(names([21, 22, 23, 24, 25]))


if __name__ == "__main__":
    main()
