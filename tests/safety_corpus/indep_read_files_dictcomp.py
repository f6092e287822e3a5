# Class: independent
# Independent: each file is only read; the files were written before the loop.
# Prints: the first line of each of five notes, keyed by file name.
from pathlib import Path


def first_line(path: Path) -> str:
    with open(path) as handle:
        return handle.readline().rstrip()


def main() -> None:
    folder = Path("notes")
    folder.mkdir()
    for n in range(5):
        (folder / f"note{n}.txt").write_text(f"note number {n}\nbody\n")
    paths = sorted(folder.glob("*.txt"))
    heads = {path.name: first_line(path) for path in paths}
    print(heads)


if __name__ == "__main__":
    main()
