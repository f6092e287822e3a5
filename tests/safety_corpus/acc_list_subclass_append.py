# Class: accumulator
# Hazard: the accumulator is a list subclass whose `append` records the position; `extend` does
#   not go through `append`.
# Prints: the audit trail as (position, event) pairs.
import time


class AuditTrail(list):
    def append(self, event: str) -> None:
        super().append((len(self), event))


def check(user: str) -> str:
    time.sleep(0.01)  # the directory server
    return f"{user}:ok"


def main() -> None:
    trail = AuditTrail()
    for user in ["ana", "bo", "cy", "di", "ed"]:
        trail.append(check(user))
    print(list(trail))


if __name__ == "__main__":
    main()
