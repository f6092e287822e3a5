# Class: hidden-state
# Hazard: the callee numbers invoices through a `global` counter; the numbers follow the order
#   of the calls.
# Prints: five invoice numbers INV-1..INV-5 in customer order.
import time

_last_invoice = 0


def next_invoice_number() -> int:
    global _last_invoice
    _last_invoice += 1
    return _last_invoice


def invoice(customer: str) -> str:
    time.sleep(0.02 * (6 - len(customer)))  # the tax service
    return f"INV-{next_invoice_number()} {customer}"


def main() -> None:
    invoices = []
    for customer in ["a", "bb", "ccc", "dddd", "eeeee"]:
        invoices.append(invoice(customer))
    print(invoices)


if __name__ == "__main__":
    main()
