# Class: independent
# Independent: a body of several statements, all on the item's own locals, ending in an append.
# Prints: "name: amount" for five records.
import json
import os
import urllib.request

BASE = os.environ.get("CORPUS_BASE_URL", "http://127.0.0.1:9")


def main() -> None:
    lines = []
    for record_id in range(1, 6):
        raw = urllib.request.urlopen(f"{BASE}/records/{record_id}").read()
        record = json.loads(raw)
        line = f"{record['name']}: {record['amount']}"
        lines.append(line)
    print("\n".join(lines))


if __name__ == "__main__":
    main()
