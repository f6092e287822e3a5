# Class: hidden-state
# Hazard: ticket numbers come from `next()` on a module-level itertools.count shared by every
#   item, so they follow the order of the calls.
# Prints: five (ticket, customer) pairs numbered 1000-1004 in customer order.
import itertools
import time

TICKETS = itertools.count(1000)


def open_ticket(customer: str) -> tuple[int, str]:
    time.sleep(0.05 - 0.008 * len(customer))  # the helpdesk API
    return next(TICKETS), customer


def main() -> None:
    customers = ["a", "bb", "ccc", "dddd", "eeeee"]
    tickets = [open_ticket(customer) for customer in customers]
    print(tickets)


if __name__ == "__main__":
    main()
