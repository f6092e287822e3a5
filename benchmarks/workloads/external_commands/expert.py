"""Run a slow external tool once per item and print what it answered.

An expert's version: the commands run side by side from a thread pool (each thread only waits
on its child process), up to 32 at a time, answers kept in input order.

Usage:
    python expert.py COUNT
"""

import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor

TOOL = [sys.executable, "-c", "import sys, time; time.sleep(0.1); print(sys.argv[1][::-1])"]


def run_tool(name: str) -> str:
    """Run the tool on one item and return its answer."""
    result = subprocess.run([*TOOL, name], capture_output=True, text=True, check=True)
    return result.stdout.strip()


def main(argv: list[str]) -> int:
    names = [f"item-{n:03d}" for n in range(int(argv[1]))]

    with ThreadPoolExecutor(max_workers=max(1, min(32, len(names)))) as pool:
        answers = list(pool.map(run_tool, names))

    for name, answer in zip(names, answers, strict=True):
        print(f"{name} -> {answer}")
    print(f"{len(answers)} answers")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv))
