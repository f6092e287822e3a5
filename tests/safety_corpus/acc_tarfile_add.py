# Class: accumulator
# Hazard: `archive.add(path)` on a tarfile.TarFile looks like `set.add`; a TarFile has no
#   `update`, and the members must be added one by one, in order.
# Prints: the member names read back from the archive, in the order they were added.
import os
import tarfile
import time


def render(report: str) -> str:
    time.sleep(0.01)  # the report service
    path = f"{report}.txt"
    with open(path, "w") as handle:
        handle.write(f"report {report}\n")
    os.utime(path, (1_700_000_000, 1_700_000_000))  # reproducible archives
    return path


def main() -> None:
    with tarfile.open("reports.tar", "w") as archive:
        for report in ["jan", "feb", "mar", "apr"]:
            archive.add(render(report))
    with tarfile.open("reports.tar") as archive:
        print(archive.getnames())


if __name__ == "__main__":
    main()
