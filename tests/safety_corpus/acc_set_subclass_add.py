# Class: accumulator
# Hazard: a set subclass whose `add` folds case; `set.update` bypasses it.
# Prints: the sorted, lower-cased domains seen.
import time


class DomainSet(set):
    def add(self, domain: str) -> None:
        super().add(domain.lower())


def resolve_domain(host: str) -> str:
    time.sleep(0.01)  # DNS
    return host.split(".", 1)[1]


def main() -> None:
    hosts = ["www.Example.ORG", "api.example.org", "cdn.Python.org", "docs.PYTHON.org"]
    domains = DomainSet()
    for host in hosts:
        domains.add(resolve_domain(host))
    print(sorted(domains))


if __name__ == "__main__":
    main()
