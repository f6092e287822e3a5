"""What a run did to the files it could reach: the files it created, changed or deleted, kept as
contents that two runs can be compared by.

A tree is stamped before a run (size, change time, inode of every file; change time, unlike
modification time, cannot be set back by the program) and walked again after it; a file whose
stamp changed is read. Contents up to INLINE_BYTES are kept and compared line by line, like
stdout; larger files by their SHA-256. Directories of tools (version control, virtual
environments, caches) are not walked: a program does not write its results there, and a
virtual environment alone can hold 20,000 files; nor are `__pycache__` directories, where the
interpreter compiles the rewrite to other bytecode than the original.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Literal

# directories no program writes its results into, and that can be large
TOOL_DIRS = frozenset(
    {".git", ".hg", ".svn", "node_modules", ".tox", ".nox", ".mypy_cache", ".ruff_cache",
     ".pytest_cache", ".venv", "venv"}
)  # fmt: skip
INLINE_BYTES = 1 << 20  # larger files are compared by digest
MAX_WATCHED_FILES = 20_000  # files stamped per tree and run (~50 ms); the rest are not compared


# compiled by the interpreter as it imports: the rewrite compiles to other bytecode
CACHE_DIRS = frozenset({"__pycache__"})


def is_tool_dir(entry: os.DirEntry) -> bool:
    return entry.name in TOOL_DIRS or os.path.exists(os.path.join(entry.path, "pyvenv.cfg"))


@dataclass(frozen=True, slots=True)
class Stamp:
    size: int
    ctime_ns: int
    inode: int

    @classmethod
    def of(cls, status: os.stat_result) -> Stamp:
        return cls(status.st_size, status.st_ctime_ns, status.st_ino)


@dataclass(frozen=True, slots=True)
class TreeStamps:
    stamps: dict[str, Stamp]  # by path relative to the tree's root
    complete: bool  # False: the tree held more than MAX_WATCHED_FILES files


def walk_files(root: str) -> Iterator[tuple[str, os.DirEntry]]:
    """(path relative to ``root``, entry) of the regular files under it; tool directories,
    bytecode caches and symbolic links left out (a link's target is not the run's to write)."""
    stack = [""]
    while stack:
        relative = stack.pop()
        try:
            entries = list(os.scandir(os.path.join(root, relative) if relative else root))
        except OSError:
            continue
        for entry in entries:
            path = os.path.join(relative, entry.name) if relative else entry.name
            if entry.is_symlink():
                continue
            if entry.is_dir(follow_symlinks=False):
                if entry.name not in CACHE_DIRS and not is_tool_dir(entry):
                    stack.append(path)
            elif entry.is_file(follow_symlinks=False):
                yield path, entry


def stamp_tree(root: str, limit: int = MAX_WATCHED_FILES) -> TreeStamps:
    stamps: dict[str, Stamp] = {}
    for path, entry in walk_files(root):
        if len(stamps) >= limit:
            return TreeStamps(stamps, complete=False)
        try:
            stamps[path] = Stamp.of(entry.stat(follow_symlinks=False))
        except OSError:
            continue
    return TreeStamps(stamps, complete=True)


@dataclass(frozen=True, slots=True)
class FileEffect:
    """What one run left in one file: its content, or only what it appended to the content the
    file had before the run (a log that grows by the same lines each run), or its deletion."""

    state: Literal["written", "appended", "deleted"]
    content: bytes = b""  # empty when the file was too large to keep: compared by digest
    digest: str = ""
    size: int = 0

    @classmethod
    def of_bytes(cls, state: Literal["written", "appended"], data: bytes) -> FileEffect:
        if len(data) <= INLINE_BYTES:
            return cls(state, data, "", len(data))
        return cls(state, b"", hashlib.sha256(data).hexdigest(), len(data))


def read_effect(path: str) -> FileEffect:
    """The file as the run left it, digested on the way when it is large."""
    try:
        size = os.path.getsize(path)
        if size <= INLINE_BYTES:
            with open(path, "rb") as file:
                return FileEffect.of_bytes("written", file.read())
        digest = hashlib.sha256()
        with open(path, "rb") as file:
            while chunk := file.read(1 << 20):
                digest.update(chunk)
        return FileEffect("written", b"", digest.hexdigest(), size)
    except OSError:
        return FileEffect("deleted")


def tree_effects(
    root: str,
    before: TreeStamps,
    shown_as: str = "",
    earlier: Callable[[str], bytes | None] = lambda _path: None,
) -> dict[str, FileEffect]:
    """The files under ``root`` that the run created, changed or deleted, by their path shown
    as ``shown_as``/relative path; ``earlier`` gives a file's content before the run where it
    is known, so that what the run appended to it is what counts."""
    after = stamp_tree(root)
    effects: dict[str, FileEffect] = {}
    # concadvise: ignore[CA101]: only the files whose size or time changed, mostly none
    for path, stamp in after.stamps.items():
        if before.stamps.get(path) != stamp:
            effect = read_effect(os.path.join(root, path))
            if path in before.stamps:
                effect = _appended(effect, earlier(path))
            effects[os.path.join(shown_as, path)] = effect
    if before.complete:
        for path in before.stamps.keys() - after.stamps.keys():
            effects[os.path.join(shown_as, path)] = FileEffect("deleted")
    return effects


@dataclass(frozen=True, slots=True)
class FileBefore:
    """A file named on the command line, as it was before a run."""

    stamp: Stamp | None  # None: it did not exist
    content: bytes | None  # None: too large to keep (then no appending is recognised)

    @classmethod
    def of(cls, path: str) -> FileBefore:
        try:
            stamp = Stamp.of(os.stat(path))
        except OSError:
            return cls(None, None)
        if stamp.size > INLINE_BYTES:
            return cls(stamp, None)
        try:
            with open(path, "rb") as file:
                return cls(stamp, file.read())
        except OSError:
            return cls(None, None)


def file_effect(path: str, before: FileBefore) -> FileEffect | None:
    """What the run did to one file, None when nothing."""
    try:
        stamp = Stamp.of(os.stat(path))
    except OSError:
        return FileEffect("deleted") if before.stamp is not None else None
    if stamp == before.stamp:
        return None
    return _appended(read_effect(path), before.content)


def _appended(effect: FileEffect, earlier: bytes | None) -> FileEffect:
    """Only what was appended, when the file still starts with its earlier content."""
    if earlier and effect.content.startswith(earlier):
        return FileEffect.of_bytes("appended", effect.content[len(earlier) :])
    return effect


def changed_files(
    expected: Mapping[str, FileEffect], actual: Mapping[str, FileEffect]
) -> list[str]:
    """The paths whose effects differ, in a stable order."""
    return sorted(
        path for path in expected.keys() | actual.keys() if expected.get(path) != actual.get(path)
    )
