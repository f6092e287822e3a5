# Class: independent
# Independent: lzma compresses each document alone.
# Prints: the compressed sizes of four documents.
import lzma


def packed_size(document: bytes) -> int:
    return len(lzma.compress(document))


def main() -> None:
    documents = [(f"doc {n}\n" * (500 * (n + 1))).encode() for n in range(4)]
    sizes = []
    for document in documents:
        sizes.append(packed_size(document))
    print(sizes)


if __name__ == "__main__":
    main()
