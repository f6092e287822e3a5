# Class: hidden-state
# Hazard: the per-item function logs through a named logger with a FileHandler; the log lines
#   (and their thread name) follow the calls.
# Prints: "resized 5 images"; writes resize.log with one line per image in order.
import logging
import time

log = logging.getLogger("resizer")


def resize(image: str) -> int:
    time.sleep(0.02 * (6 - len(image)))  # the image service
    log.info("resized %s", image)
    return len(image) * 10


def main() -> None:
    handler = logging.FileHandler("resize.log", mode="w")
    handler.setFormatter(logging.Formatter("%(threadName)s %(message)s"))
    log.addHandler(handler)
    log.setLevel(logging.INFO)
    widths = [resize(image) for image in ["a", "bb", "ccc", "dddd", "eeeee"]]
    print(f"resized {len(widths)} images")


if __name__ == "__main__":
    main()
