# Class: accumulator
# Hazard: `box.add(msg)` on a mailbox.mbox looks like `set.add`, but mbox.update expects
#   (key, message) pairs; the messages must be added one by one, in order.
# Prints: the subjects read back from the mbox file, in the order they were added.
import mailbox
import time
from email.message import EmailMessage


def build(number: int) -> mailbox.mboxMessage:
    time.sleep(0.01)  # fetches the body from the ticket system
    message = EmailMessage()
    message["Subject"] = f"ticket {number}"
    message.set_content(f"body of ticket {number}\n")
    stored = mailbox.mboxMessage(message)
    stored.set_from("tickets@example.org", time.gmtime(0))  # the ticket's own date, not now
    return stored


def main() -> None:
    box = mailbox.mbox("archive.mbox")
    for number in [7, 8, 9, 10, 11]:
        box.add(build(number))
    box.flush()
    print([m["Subject"] for m in mailbox.mbox("archive.mbox")])


if __name__ == "__main__":
    main()
