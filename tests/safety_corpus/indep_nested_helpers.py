# Class: independent
# Independent: the blocking call is two helper calls deep; every helper only reads its argument.
# Prints: the normalised ids of six accounts.
import time


def fetch_raw(account: str) -> str:
    time.sleep(0.01)  # the account service
    return f"  {account.upper()}  "


def normalise(account: str) -> str:
    return fetch_raw(account).strip().lower().replace("-", "_")


def main() -> None:
    accounts = ["acc-1", "acc-2", "acc-3", "acc-4", "acc-5", "acc-6"]
    ids = [normalise(account) for account in accounts]
    print(ids)


if __name__ == "__main__":
    main()
