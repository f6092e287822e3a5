# Class: independent
# Independent: zlib compresses each chunk alone.
# Prints: the compressed sizes of six chunks.
import zlib


def main() -> None:
    chunks = [(f"chunk {n} " * (200 + n)).encode() for n in range(6)]
    sizes = [len(zlib.compress(chunk, 6)) for chunk in chunks]
    print(sizes)


if __name__ == "__main__":
    main()
