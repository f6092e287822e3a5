# Class: independent
# Independent: a loop over (name, id) pairs filling a dict by name; every item reads only its pair.
# Prints: the record names keyed by customer.
import json
import os
import urllib.request

BASE = os.environ.get("CORPUS_BASE_URL", "http://127.0.0.1:9")


def record_name(record_id: int) -> str:
    with urllib.request.urlopen(f"{BASE}/records/{record_id}") as response:
        return json.loads(response.read())["name"]


def main() -> None:
    customers = [("ana", 11), ("bo", 12), ("cy", 13), ("di", 14)]
    names = {}
    for customer, record_id in customers:
        names[customer] = record_name(record_id)
    print(names)


if __name__ == "__main__":
    main()
