# Class: output-order
# Requires: click
# Hazard: the per-item function reports through click.echo, which prints like print but is not a
#   name the analysis knows as output.
# Prints: five "synced <repo>" lines in repository order, then the count.
import time

import click


def sync(repo: str) -> str:
    time.sleep(0.02 * (6 - len(repo)))  # git fetch
    click.echo(f"synced {repo}")
    return repo


def main() -> None:
    repos = [sync(repo) for repo in ["a", "bb", "ccc", "dddd", "eeeee"]]
    print(len(repos))


if __name__ == "__main__":
    main()
