# Class: exceptions
# Hazard: a ValueError on the third item stops the run; serially items 4 and 5 never upload,
#   concurrently they already have when the error surfaces.
# Prints: "upload failed: bad checksum for c", exit code 0; writes uploaded-a and uploaded-b only.
import time


def upload(name: str) -> str:
    time.sleep(0.01)  # the object store
    if name == "c":
        time.sleep(0.1)  # verifying the checksum takes a while
        raise ValueError(f"bad checksum for {name}")
    with open(f"uploaded-{name}", "w") as handle:
        handle.write(name)
    return name


def main() -> None:
    try:
        uploaded = []
        for name in ["a", "b", "c", "d", "e"]:
            uploaded.append(upload(name))
        print(uploaded)
    except ValueError as error:
        print(f"upload failed: {error}")


if __name__ == "__main__":
    main()
