"""Fetch records 1..COUNT from a slow JSON service with asyncio, and print the total amount.

An asyncio client awaiting one request after another: each `await` waits out the service's
latency before the next request even starts.

Usage:
    python serial.py COUNT BASE_URL
"""

import asyncio
import json
import sys
from urllib.parse import urlsplit


async def fetch_record(host: str, port: int, record_id: int) -> dict:
    """GET /records/<id> over a plain asyncio connection and decode the JSON body."""
    reader, writer = await asyncio.open_connection(host, port)
    writer.write(f"GET /records/{record_id} HTTP/1.0\r\nHost: {host}\r\n\r\n".encode())
    await writer.drain()
    response = await reader.read()
    writer.close()
    await writer.wait_closed()
    return json.loads(response.partition(b"\r\n\r\n")[2])


async def fetch_all(base_url: str, count: int) -> list[dict]:
    address = urlsplit(base_url)
    records = []
    for record_id in range(1, count + 1):
        record = await fetch_record(address.hostname, address.port, record_id)
        records.append(record)
    return records


def main(argv: list[str]) -> int:
    records = asyncio.run(fetch_all(argv[2], int(argv[1])))
    for record in records:
        print(f"{record['name']} {record['amount']}")
    print(f"{len(records)} records, total {sum(r['amount'] for r in records)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv))
