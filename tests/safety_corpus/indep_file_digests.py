# Class: independent
# Independent: each file is opened and hashed on its own; the files exist before the loop.
# Prints: the first 10 hex digits of the MD5 of each of five files.
import hashlib
import os


def file_md5(path: str) -> str:
    with open(path, "rb") as handle:
        return hashlib.md5(handle.read()).hexdigest()[:10]


def main() -> None:
    os.mkdir("data")
    for n in range(5):
        with open(os.path.join("data", f"{n}.bin"), "wb") as handle:
            handle.write(bytes([n]) * 3000)
    names = sorted(os.listdir("data"))
    digests = {name: file_md5(os.path.join("data", name)) for name in names}
    print(digests)


if __name__ == "__main__":
    main()
