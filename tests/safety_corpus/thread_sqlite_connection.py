# Class: thread-bound
# Hazard: the per-item function queries a sqlite3 connection made in the main thread; sqlite3
#   connections refuse use from any other thread.
# Prints: the stock of four products.
import sqlite3
import time


def stock(connection: sqlite3.Connection, product: str) -> int:
    time.sleep(0.01)  # the supplier feed
    (count,) = connection.execute("SELECT count FROM stock WHERE name = ?", (product,)).fetchone()
    return count


def main() -> None:
    connection = sqlite3.connect(":memory:")
    connection.execute("CREATE TABLE stock (name TEXT, count INTEGER)")
    products = ["bolt", "nut", "washer", "screw"]
    connection.executemany("INSERT INTO stock VALUES (?, ?)", [(p, len(p) * 9) for p in products])
    counts = [stock(connection, product) for product in products]
    print(dict(zip(products, counts, strict=True)))


if __name__ == "__main__":
    main()
