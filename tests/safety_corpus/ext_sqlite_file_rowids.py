# Class: external-effects
# Hazard: each item opens its own connection to a database file and inserts a row; the row ids
#   (and the file) follow the order of the inserts.
# Prints: the (rowid, sku) rows of the orders table.
import sqlite3
import time


def record(sku: str) -> None:
    time.sleep(0.02 * (6 - len(sku)))  # the payment check
    with sqlite3.connect("orders.db", timeout=10) as connection:
        connection.execute("INSERT INTO orders (sku) VALUES (?)", (sku,))
    connection.close()


def main() -> None:
    with sqlite3.connect("orders.db") as connection:
        connection.execute("CREATE TABLE orders (id INTEGER PRIMARY KEY, sku TEXT)")
    connection.close()
    for sku in ["a", "bb", "ccc", "dddd", "eeeee"]:
        record(sku)
    with sqlite3.connect("orders.db") as connection:
        print(connection.execute("SELECT id, sku FROM orders ORDER BY id").fetchall())
    connection.close()


if __name__ == "__main__":
    main()
