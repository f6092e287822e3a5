"""Writing a rewritten file without ever leaving it half-written, and putting the original back.

A file with one name is replaced by renaming a complete temporary sibling over it. A file with
other hard links is written in place instead, so every name keeps seeing the same file (a rename
would leave the other names holding the old text): the original bytes first go to a backup
sibling, and a write that fails or is interrupted puts them back; only a kill that cannot be
handled (SIGKILL, a power cut) can leave the file half-written, and then the backup beside it,
``.NAME.*.concadvise-backup``, holds the original.
"""

from __future__ import annotations

import contextlib
import os
import stat
import tempfile
from pathlib import Path

BACKUP_SUFFIX = ".concadvise-backup"


class WriteRefused(OSError):
    """The file is read-only, or changed on disk since it was read: it was left as it is."""


def write_atomically(path: str | Path, data: bytes, *, expected: bytes | None = None) -> None:
    """Write ``data`` to ``path`` whole or not at all, keeping its mode, owner and hard links.

    A symlink is followed, so the link stays a link and its target gets the new content. With
    ``expected``, the file is written only if it still holds exactly those bytes (someone may
    have edited it while we analysed), and never if it is read-only: as root, permissions would
    not stop us, but a read-only file says the user does not want it changed.
    """
    target = Path(os.path.realpath(path))
    existing = target.stat() if target.exists() else None
    if expected is not None:
        if existing is None or not existing.st_mode & (stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH):
            raise WriteRefused("the file is read-only")
        if target.read_bytes() != expected:
            raise WriteRefused("the file changed since it was read")
    if existing is not None and existing.st_nlink > 1 and stat.S_ISREG(existing.st_mode):
        _write_in_place(target, data)
    else:
        _replace(target, data, existing)


def _replace(target: Path, data: bytes, existing: os.stat_result | None) -> None:
    """Write to a temporary sibling, keep mode and owner, then rename over the original."""
    mode = stat.S_IMODE(existing.st_mode) if existing else 0o644
    fd, temp_name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(temp_name, mode)
        if existing is not None:
            with contextlib.suppress(OSError):  # only root may give a file to someone else
                os.chown(temp_name, existing.st_uid, existing.st_gid)
        os.replace(temp_name, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temp_name)
        raise


def _write_in_place(target: Path, data: bytes) -> None:
    """Overwrite the file's own inode (its other names see the change), with the original kept
    in a backup sibling until the new bytes are on disk."""
    original = target.read_bytes()
    fd, backup = tempfile.mkstemp(
        prefix=f".{target.name}.", suffix=BACKUP_SUFFIX, dir=target.parent
    )
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(original)
            handle.flush()
            os.fsync(handle.fileno())
    except BaseException:
        os.unlink(backup)
        raise
    try:
        _overwrite(target, data)
    except BaseException:
        _overwrite(target, original)  # an interruption during this one leaves the backup
        os.unlink(backup)
        raise
    os.unlink(backup)


def _overwrite(target: Path, data: bytes) -> None:
    with open(target, "r+b") as handle:
        handle.write(data)
        handle.truncate()
        handle.flush()
        os.fsync(handle.fileno())
