"""Run a slow external tool once per item and print what it answered.

The tool stands for any command that takes a while to answer (a compiler, a converter, a remote
CLI): a Python one-liner that waits 0.1 s and prints its argument reversed.

Usage:
    python serial.py COUNT
"""

import subprocess
import sys

TOOL = [sys.executable, "-c", "import sys, time; time.sleep(0.1); print(sys.argv[1][::-1])"]


def run_tool(name: str) -> str:
    """Run the tool on one item and return its answer."""
    result = subprocess.run([*TOOL, name], capture_output=True, text=True, check=True)
    return result.stdout.strip()


def main(argv: list[str]) -> int:
    names = [f"item-{n:03d}" for n in range(int(argv[1]))]

    answers = []
    for name in names:
        answers.append(run_tool(name))

    for name, answer in zip(names, answers, strict=True):
        print(f"{name} -> {answer}")
    print(f"{len(answers)} answers")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv))
