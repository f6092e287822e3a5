"""How paths and speedups appear in reports: paths relative to the working directory when under
it; every speedup rounded by one function, so a table and a message never show one figure two
ways (``f"{1.15:.1f}"`` is "1.1", since 1.15 is stored as 1.1499...)."""

from __future__ import annotations

import math
import os
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path


def display_path(path: str) -> str:
    """Paths under the working directory are shown relative to it, others as given."""
    try:
        absolute = Path(path).absolute()
        if absolute.is_relative_to(Path.cwd()):
            return os.path.relpath(absolute)
    except (ValueError, OSError):
        pass
    return path


def rounded(value: float, places: int) -> float:
    """``value`` to ``places`` decimals, halves up, as the number is written (1.15 -> 1.2)."""
    if not math.isfinite(value):
        return value
    return float(Decimal(repr(value)).quantize(Decimal(1).scaleb(-places), ROUND_HALF_UP))


def speedup_text(value: float, places: int = 1) -> str:
    """How every speedup is shown: "7.0x" for a prediction, "4.37x" (two places) for a
    measurement; rounded by :func:`rounded`, from the figure the report holds."""
    return f"{rounded(value, places):.{places}f}x"
