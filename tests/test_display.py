"""How figures are shown: one rounding for every speedup, halves up as the number is written."""

from __future__ import annotations

import pytest

from advisor.display import rounded, speedup_text


@pytest.mark.parametrize(
    ("value", "places", "text"),
    [
        (1.15, 1, "1.2x"),  # f"{1.15:.1f}" is "1.1": 1.15 is stored as 1.1499999...
        (1.149, 1, "1.1x"),
        (1.25, 1, "1.3x"),  # halves go up, not to even
        (6.84, 1, "6.8x"),
        (4.365, 2, "4.37x"),
        (0.9, 2, "0.90x"),
        (12.0, 1, "12.0x"),
        (float("inf"), 1, "infx"),
    ],
)
def test_speedup_text(value: float, places: int, text: str) -> None:
    assert speedup_text(value, places) == text


def test_rounding_twice_changes_nothing() -> None:
    for value in (1.15, 2.345, 0.005, 7.0, 1.0049999):
        once = rounded(value, 2)
        assert rounded(once, 2) == once
        assert speedup_text(once, 2) == speedup_text(value, 2)
