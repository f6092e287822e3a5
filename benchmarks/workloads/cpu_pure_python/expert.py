"""Find the longest Collatz chain in each block of starting numbers, on every core.

An expert's version: one worker process per core (each has its own GIL); the function is at
module level so it pickles, and the `__main__` guard keeps workers from re-running the script.

Usage:
    python expert.py COUNT
"""

import os
import sys
from concurrent.futures import ProcessPoolExecutor

BLOCK = 12_000


def longest_chain(block: int) -> tuple[int, int]:
    """(start, length) of the longest Collatz chain for starts in this block."""
    best_start, best_length = 0, 0
    for start in range(block * BLOCK + 1, (block + 1) * BLOCK + 1):
        n, length = start, 1
        while n != 1:
            n = n // 2 if n % 2 == 0 else 3 * n + 1
            length += 1
        if length > best_length:
            best_start, best_length = start, length
    return best_start, best_length


def main(argv: list[str]) -> int:
    blocks = range(int(argv[1]))

    with ProcessPoolExecutor(max_workers=len(os.sched_getaffinity(0))) as pool:
        results = list(pool.map(longest_chain, blocks))

    for block, (start, length) in zip(blocks, results, strict=True):
        print(f"block {block:02d}: {start} has a chain of {length}")
    print(f"longest overall: {max(results, key=lambda r: r[1])}" if results else "no blocks")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv))
