# Class: exceptions
# Hazard: the per-item work raises KeyboardInterrupt on an abort marker (as a user's Ctrl-C
#   would); serially the items after it never start, so their receipts are never written.
# Prints: "aborted after 2 receipts"; writes receipt-0.txt and receipt-1.txt only.
import time


def charge(item: str) -> str:
    time.sleep(0.01)  # the payment gateway
    if item == "abort":
        time.sleep(0.1)  # the user hesitates before pressing Ctrl-C
        raise KeyboardInterrupt
    with open(f"receipt-{item}.txt", "w") as handle:
        handle.write(f"charged {item}\n")
    return item


def main() -> None:
    try:
        done = [charge(item) for item in ["0", "1", "abort", "3", "4"]]
        print(f"charged {len(done)}")
    except KeyboardInterrupt:
        print("aborted after 2 receipts")


if __name__ == "__main__":
    main()
