# Class: hidden-state
# Hazard: a reporter object passed in prints one progress line per item from inside the
#   per-item function; the loop itself has no print.
# Prints: five "checked <host>" lines in host order, then the up count.
import time


class ConsoleReporter:
    def report(self, host: str, up: bool) -> None:
        print(f"checked {host}: {'up' if up else 'down'}")


def probe(host: str, reporter: ConsoleReporter) -> bool:
    time.sleep(0.02 * (6 - len(host)))  # the health endpoint
    up = len(host) % 2 == 0
    reporter.report(host, up)
    return up


def sweep(hosts: list[str], reporter: ConsoleReporter) -> list[bool]:
    states = []
    for host in hosts:
        states.append(probe(host, reporter))
    return states


def main() -> None:
    states = sweep(["a1", "b22", "c333", "d4444", "e55555"], ConsoleReporter())
    print(f"{sum(states)} up")


if __name__ == "__main__":
    main()
