"""Finding the Python files to analyse under the paths a user gives.

What a user names is taken at their word: a file given explicitly is analysed whatever its
suffix, and a directory given explicitly is walked even if its name would be skipped. Inside
directories only ``*.py`` files count, and hidden directories, VCS/virtualenv/cache/build
directories and the config's ``exclude`` globs are skipped. ``exclude`` also applies to the
paths given explicitly (like ruff's ``force-exclude``), so a pre-commit hook that passes every
changed file still honours it. Symlinks are followed, but each directory is walked once, so a
symlink loop ends the walk instead of recursing until the path is too long.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Sequence

from advisor.config import Config
from advisor.model import ErrorEntry

# Directories that hold other people's code or generated files, never the user's own source.
_SKIPPED_DIRS = frozenset(
    {
        ".git",
        ".hg",
        ".svn",
        ".venv",
        "venv",
        "__pycache__",
        "node_modules",
        ".tox",
        ".nox",
        ".mypy_cache",
        ".ruff_cache",
        ".pytest_cache",
        "build",
        "dist",
        "site-packages",
    }
)


def discover(paths: Sequence[str], config: Config) -> tuple[list[str], list[ErrorEntry]]:
    """The files to analyse (sorted, each real file once) and the paths that could not be read."""
    found: dict[str, str] = {}  # real path -> the path as the user will see it
    errors: list[ErrorEntry] = []
    visited: set[tuple[int, int]] = set()  # (st_dev, st_ino) of each directory walked
    for given in paths:
        try:
            info = os.stat(given)
        except OSError as exc:
            errors.append(ErrorEntry(given, "io", _reason(exc)))
            continue
        if config.is_excluded(given):
            continue
        if stat.S_ISDIR(info.st_mode):
            _walk(given, config, found, errors, visited)
        elif stat.S_ISREG(info.st_mode):
            found.setdefault(os.path.realpath(given), given)
        else:  # a FIFO or device would block or never end when read
            errors.append(ErrorEntry(given, "io", "not a regular file"))
    return sorted(found.values()), sorted(set(errors), key=lambda e: (e.path, e.message))


def _walk(
    top: str,
    config: Config,
    found: dict[str, str],
    errors: list[ErrorEntry],
    visited: set[tuple[int, int]],
) -> None:
    def unreadable(exc: OSError) -> None:
        reason = f"cannot read directory: {_reason(exc)}"
        errors.append(ErrorEntry(exc.filename or top, "io", reason))

    for root, dirs, names in os.walk(top, onerror=unreadable, followlinks=True):
        try:
            info = os.stat(root)
        except OSError as exc:
            errors.append(ErrorEntry(root, "io", _reason(exc)))
            dirs[:] = []
            continue
        if (info.st_dev, info.st_ino) in visited:  # a symlink loop, or a tree reached twice
            dirs[:] = []
            continue
        visited.add((info.st_dev, info.st_ino))
        dirs[:] = sorted(
            d
            for d in dirs
            if not d.startswith(".")
            and d not in _SKIPPED_DIRS
            and not config.is_excluded(os.path.join(root, d))
        )
        for name in sorted(names):
            path = os.path.join(root, name)
            if name.endswith(".py") and not config.is_excluded(path):
                _add_file(path, found, errors)


def _add_file(path: str, found: dict[str, str], errors: list[ErrorEntry]) -> None:
    try:
        info = os.stat(path)
    except OSError as exc:  # a dangling symlink, or one in a loop
        errors.append(ErrorEntry(path, "io", _reason(exc)))
        return
    if stat.S_ISREG(info.st_mode):
        found.setdefault(os.path.realpath(path), path)
    else:
        errors.append(ErrorEntry(path, "io", "not a regular file"))


def _reason(exc: OSError) -> str:
    """The OS's own words, lower-cased to sit after a path ("permission denied")."""
    if isinstance(exc, FileNotFoundError):
        return "no such file or directory"  # the same words on every platform
    return (exc.strerror or str(exc)).lower()
