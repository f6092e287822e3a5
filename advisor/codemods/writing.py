"""Writing a rewritten file without ever leaving it half-written, and putting the original back."""

from __future__ import annotations

import contextlib
import os
import stat
import tempfile
from pathlib import Path


class WriteRefused(OSError):
    """The file is read-only, or changed on disk since it was read: it was left as it is."""


def write_atomically(path: str | Path, data: bytes, *, expected: bytes | None = None) -> None:
    """Write to a temporary sibling, keep mode and owner, then rename over the original.

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
