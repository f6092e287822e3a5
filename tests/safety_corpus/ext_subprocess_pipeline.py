# Class: external-effects
# Hazard: each shell step reads the file the step before wrote; the steps only look independent.
# Prints: the exit codes of the four steps and the final file's content "HELLO WORLD".
import subprocess

STEPS = [
    "echo 'hello world' > raw.txt",
    "sleep 0.03; tr a-z A-Z < raw.txt > upper.txt",
    "sleep 0.02; cat upper.txt > final.txt",
    "sleep 0.01; wc -c < final.txt > size.txt",
]


def run_step(command: str) -> int:
    return subprocess.run(["sh", "-c", command], check=False).returncode


def main() -> None:
    codes = [run_step(command) for command in STEPS]
    print(codes)
    with open("final.txt") as handle:
        print(handle.read().strip())


if __name__ == "__main__":
    main()
