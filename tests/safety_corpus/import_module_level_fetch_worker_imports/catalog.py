"""The product catalog, fetched once when the module is imported."""

import time

SKUS = ["a-1", "b-2", "c-3", "d-4", "e-5"]


def describe(sku: str) -> str:
    time.sleep(0.01)  # the catalog service
    from formatting import label  # a lazy import: formatting imports this module back

    return label(sku)


DESCRIPTIONS = {sku: describe(sku) for sku in SKUS}
