# Class: external-effects
# Hazard: every item writes its entry into one open ZipFile; the archive's order (and integrity)
#   depends on the items writing one after another.
# Prints: the archive's entry names in order; writes bundle.zip.
import time
import zipfile


def pack(archive: zipfile.ZipFile, name: str) -> str:
    time.sleep(0.02 * (6 - len(name)))  # renders the document
    archive.writestr(zipfile.ZipInfo(name, date_time=(2024, 1, 1, 0, 0, 0)), f"document {name}\n")
    return name


def main() -> None:
    with zipfile.ZipFile("bundle.zip", "w") as archive:
        packed = [pack(archive, name) for name in ["a", "bb", "ccc", "dddd", "eeeee"]]
    with zipfile.ZipFile("bundle.zip") as archive:
        print(archive.namelist(), len(packed))


if __name__ == "__main__":
    main()
