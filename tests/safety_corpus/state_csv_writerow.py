# Class: hidden-state
# Hazard: each item's function writes its row through a csv.writer passed in; the rows land in
#   the file in call order.
# Prints: "wrote 5 rows"; writes invoices.csv with the rows in invoice order.
import csv
import time


def export(invoice: int, writer) -> int:
    time.sleep(0.02 * (6 - invoice))  # the billing API, slower for old invoices
    amount = invoice * 125
    writer.writerow([invoice, amount])
    return amount


def main() -> None:
    with open("invoices.csv", "w", newline="") as handle:
        writer = csv.writer(handle)
        amounts = [export(invoice, writer) for invoice in range(1, 6)]
    print(f"wrote {len(amounts)} rows")


if __name__ == "__main__":
    main()
