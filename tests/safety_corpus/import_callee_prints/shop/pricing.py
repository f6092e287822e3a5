"""Price lookups; each lookup prints an audit line, as the finance team requires."""

import time


def price(sku: str) -> int:
    time.sleep(0.02 * (6 - len(sku)))  # the ERP
    print(f"audit: priced {sku}")
    return len(sku) * 5
