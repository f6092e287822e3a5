"""Reading back a JSON file that concadvise wrote (a report, a saved profile).

Each reader checks the data's shape itself; what they share is how a file that cannot be read, is
not text or is not JSON at all becomes a one-line UsageError naming the file.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from advisor.errors import UsageError


def read_saved_json(path: str | Path, what: str) -> Any:
    """The JSON data in ``path``, which should hold ``what`` ("a concadvise report")."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        raise UsageError(f"cannot read {path}: {exc.strerror or exc}") from None
    except UnicodeDecodeError:
        raise UsageError(f"{path}: not {what} (not UTF-8 text)") from None
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise UsageError(f"{path}: not {what} (not JSON: {exc})") from None
