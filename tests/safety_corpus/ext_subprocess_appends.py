# Class: external-effects
# Hazard: each child process appends a line to the same file; the order of the lines is the
#   order in which the children run.
# Prints: "4 children"; writes children.txt with the lines in item order.
import subprocess


def child(name: str) -> int:
    delay = 0.02 * (5 - len(name))
    command = f"sleep {delay}; echo {name} >> children.txt"
    return subprocess.run(["sh", "-c", command], check=True).returncode


def main() -> None:
    codes = [child(name) for name in ["a", "bb", "ccc", "dddd"]]
    print(f"{len(codes)} children")


if __name__ == "__main__":
    main()
