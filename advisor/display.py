"""How paths appear in reports: relative to the working directory when under it."""

from __future__ import annotations

import os
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
