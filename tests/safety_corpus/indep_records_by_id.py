# Class: independent
# Independent: each record is fetched and parsed on its own; the dict is built by record id.
# Prints: the amounts of six records keyed by id.
import json
import os
import urllib.request

BASE = os.environ.get("CORPUS_BASE_URL", "http://127.0.0.1:9")


def amount(record_id: int) -> int:
    with urllib.request.urlopen(f"{BASE}/records/{record_id}") as response:
        return json.loads(response.read())["amount"]


def main() -> None:
    amounts = {}
    for record_id in [3, 14, 15, 92, 65, 35]:
        amounts[record_id] = amount(record_id)
    print(amounts)


if __name__ == "__main__":
    main()
