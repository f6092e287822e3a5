"""Labels for catalog entries; reads the catalog's SKU list, so it imports catalog."""

import catalog


def label(sku: str) -> str:
    return f"{sku.upper()} ({catalog.SKUS.index(sku) + 1} of {len(catalog.SKUS)})"
