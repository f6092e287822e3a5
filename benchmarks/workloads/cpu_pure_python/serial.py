"""Find the longest Collatz chain in each block of starting numbers, one block after another.

Pure-Python arithmetic: every step is bytecode that holds the GIL.

Usage:
    python serial.py COUNT
"""

import sys

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

    results = []
    for block in blocks:
        results.append(longest_chain(block))

    for block, (start, length) in zip(blocks, results, strict=True):
        print(f"block {block:02d}: {start} has a chain of {length}")
    print(f"longest overall: {max(results, key=lambda r: r[1])}" if results else "no blocks")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv))
