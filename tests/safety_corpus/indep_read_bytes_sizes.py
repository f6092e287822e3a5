# Class: independent
# Independent: pathlib reads of files written before the loop; sizes keyed by name.
# Prints: the sizes of four files.
from pathlib import Path


def main() -> None:
    for n in range(4):
        Path(f"blob{n}.dat").write_bytes(b"x" * (100 * (n + 1)))
    names = [f"blob{n}.dat" for n in range(4)]
    sizes = {}
    for name in names:
        sizes[name] = len(Path(name).read_bytes())
    print(sizes)


if __name__ == "__main__":
    main()
