# Class: output-order
# Hazard: `pool.submit(announce, x).result()` per item: the submitted function prints, and waiting
#   on each result before the next submit is what keeps the lines in order.
# Prints: five "deployed <service>" lines in service order.
import time
from concurrent.futures import ThreadPoolExecutor


def announce(service: str) -> str:
    time.sleep(0.02 * (6 - len(service)))  # the deploy hook
    print(f"deployed {service}")
    return service


def main() -> None:
    deployed = []
    with ThreadPoolExecutor(max_workers=4) as pool:
        for service in ["a", "bb", "ccc", "dddd", "eeeee"]:
            deployed.append(pool.submit(announce, service).result())
    print(len(deployed))


if __name__ == "__main__":
    main()
