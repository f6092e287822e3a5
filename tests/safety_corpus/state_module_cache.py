# Class: hidden-state
# Hazard: a module-level cache dict filled by the callee: serially, repeated hosts are cache
#   hits; concurrently they all miss, and the lookup count changes.
# Prints: the addresses of six hosts and "3 DNS lookups".
import time

_ADDRESSES: dict[str, str] = {}
LOOKUPS: list[str] = []


def resolve(host: str) -> str:
    if host not in _ADDRESSES:
        LOOKUPS.append(host)
        time.sleep(0.03)  # DNS
        _ADDRESSES[host] = f"10.0.0.{len(host)}"
    return _ADDRESSES[host]


def main() -> None:
    hosts = ["api", "db", "api", "cache", "db", "api"]
    addresses = [resolve(host) for host in hosts]
    print(addresses)
    print(f"{len(LOOKUPS)} DNS lookups")


if __name__ == "__main__":
    main()
