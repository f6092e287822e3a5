"""Where each run of a before/after comparison happens, and what it did to the files.

The verifier (`profile --apply`) runs every version in a *scratch copy* of the working
directory, made afresh before each run at the same path (so paths the program prints are the
same in every run): each run starts from the files as they were, writes where it writes
relative paths without touching the user's files, and is compared by what it left there. The
copy keeps modification times (cached bytecode stays valid); directories of tools (version
control, virtual environments, caches) and symbolic links are linked, not copied, and not
compared. Paths under the working directory on the command line, relative or absolute, are
the copy's. A directory of more than MAX_COPY_FILES files or MAX_COPY_BYTES bytes is not
copied: the runs then happen in it, and are compared by what each changed there.

`bench` runs in place, as the user would run the two scripts.

Paths on the command line outside the working directory (an input, an output to be created
whose directory exists) are watched in place: a file by its content (what a run appended to it
counts, so a log that grows the same way each run compares equal), a directory by its tree.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import stat
import sys
import tempfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from types import TracebackType

from advisor.verify.file_changes import (
    INLINE_BYTES,
    MAX_WATCHED_FILES,
    FileBefore,
    FileEffect,
    Stamp,
    TreeStamps,
    file_effect,
    is_tool_dir,
    stamp_tree,
    tree_effects,
)

MAX_COPY_FILES = 5_000
MAX_COPY_BYTES = 100 * 2**20  # copied before every run: ~0.1-0.5 s at this size
# Runs in place: contents kept before each run to tell what a run appended to a file (read once,
# then again only when a run changed the file).
MAX_REMEMBERED_BYTES = 16 * 2**20


@dataclass(frozen=True, slots=True)
class CopyPlan:
    """The working directory as it is copied, by paths relative to it."""

    dirs: tuple[str, ...]
    files: tuple[str, ...]
    linked: tuple[str, ...]  # tool directories: a link to the original
    symlinks: tuple[str, ...]  # the user's own links, made again as they are


def plan_copy(root: str) -> CopyPlan | str:
    """What to copy of ``root``, or why it is too large to copy."""
    dirs: list[str] = []
    files: list[str] = []
    linked: list[str] = []
    symlinks: list[str] = []
    size = 0
    stack = [""]
    while stack:
        relative = stack.pop()
        try:
            entries = list(os.scandir(os.path.join(root, relative) if relative else root))
        except OSError as exc:
            return f"{os.path.join(root, relative)} cannot be read ({exc.strerror})"
        for entry in entries:
            path = os.path.join(relative, entry.name) if relative else entry.name
            if entry.is_symlink():
                symlinks.append(path)
            elif entry.is_dir(follow_symlinks=False):
                if is_tool_dir(entry):
                    linked.append(path)
                else:
                    dirs.append(path)
                    stack.append(path)
            elif entry.is_file(follow_symlinks=False):
                files.append(path)
                size += entry.stat(follow_symlinks=False).st_size
                if len(files) > MAX_COPY_FILES:
                    return f"it holds more than {MAX_COPY_FILES:,} files"
                if size > MAX_COPY_BYTES:
                    return f"it holds more than {MAX_COPY_BYTES // 2**20} MB"
    return CopyPlan(tuple(dirs), tuple(files), tuple(linked), tuple(symlinks))


def copy_tree(root: str, plan: CopyPlan, destination: str) -> None:
    os.makedirs(destination)
    for path in sorted(plan.dirs):  # parents sort before their children
        os.makedirs(os.path.join(destination, path), exist_ok=True)
    # concadvise: ignore[CA101]: at most 5,000 files on one disk: threads would contend
    for path in plan.files:
        with contextlib.suppress(OSError):  # vanished, or unreadable: the run will say so
            shutil.copy2(os.path.join(root, path), os.path.join(destination, path))
    for path in plan.linked:
        os.symlink(os.path.join(root, path), os.path.join(destination, path))
    for path in plan.symlinks:
        with contextlib.suppress(OSError):
            os.symlink(os.readlink(os.path.join(root, path)), os.path.join(destination, path))


def _remove_tree(path: str) -> None:
    """Remove what a run left, also in directories it made read-only."""

    def writable_then_retry(function, failed: str, _exc: BaseException) -> None:
        with contextlib.suppress(OSError):
            os.chmod(os.path.dirname(failed), stat.S_IRWXU)
            if os.path.isdir(failed) and not os.path.islink(failed):
                os.chmod(failed, stat.S_IRWXU)
        with contextlib.suppress(FileNotFoundError):
            function(failed)

    if not os.path.lexists(path):
        return
    if sys.version_info >= (3, 12):
        shutil.rmtree(path, onexc=writable_then_retry)
    else:
        shutil.rmtree(path, onerror=lambda f, p, info: writable_then_retry(f, p, info[1]))


def _is_under(path: str, root: str) -> bool:
    return path == root or path.startswith(root.rstrip(os.sep) + os.sep)


def argument_paths(arguments: Iterable[str], cwd: str) -> list[str]:
    """The absolute paths the arguments name: those that exist, and those with a directory
    part whose directory exists (an output file to be made); `-m`, `42`, `out.csv` that does
    not exist are not paths to watch (the last is under the working directory anyway)."""
    found: list[str] = []
    for argument in arguments:
        path = os.path.realpath(os.path.join(cwd, argument))
        if argument and (
            os.path.exists(path) or (os.sep in argument and os.path.isdir(os.path.dirname(path)))
        ):
            found.append(path)
    return found


@dataclass(frozen=True, slots=True)
class Before:
    """The watched files as they were when a run started."""

    tree: TreeStamps
    outside: tuple[tuple[str, TreeStamps | FileBefore], ...]


class RunSpace:
    """The place of every run of one comparison: a context manager owning the scratch copy."""

    def __init__(self, cwd: str | None, argv: Sequence[str], *, scratch: bool) -> None:
        self.cwd = os.path.realpath(cwd or os.getcwd())
        self.notes: list[str] = []  # how the runs deviate from the documented comparison
        self._plan: CopyPlan | None = None
        if scratch:
            plan = plan_copy(self.cwd)
            if isinstance(plan, str):
                self.notes.append(f"the runs happened in {self.cwd}, not in a copy: {plan}")
            else:
                self._plan = plan
        self._temp: str | None = None
        self._remembered: dict[str, tuple[Stamp, bytes]] = {}  # in place: path -> content
        watched = argument_paths(argv[1:], self.cwd)
        self.outside = tuple(
            dict.fromkeys(p for p in watched if not _is_under(p, self.cwd) and p != argv[0])
        )

    def __enter__(self) -> RunSpace:
        if self._plan is not None:
            self._temp = tempfile.mkdtemp(prefix="concadvise-verify-")
        return self

    def __exit__(
        self,
        _type: type[BaseException] | None,
        _value: BaseException | None,
        _traceback: TracebackType | None,
    ) -> None:
        if self._temp is not None:
            _remove_tree(self._temp)

    @property
    def scratch(self) -> str | None:
        """The scratch copy's path, None when the runs happen in place."""
        if self._plan is None or self._temp is None:
            return None
        return os.path.join(self._temp, "work")

    @property
    def run_cwd(self) -> str:
        return self.scratch or self.cwd

    def run_in_place(self, why: str) -> None:
        """From now on the runs happen in the working directory itself."""
        self._plan = None
        self.notes.append(f"the runs happened in {self.cwd}, not in a copy: {why}")

    def place(self, path: str) -> str:
        """Where ``path`` is for a run: in the scratch copy when it is under the working
        directory, else itself."""
        real = os.path.realpath(os.path.join(self.cwd, path))
        scratch = self.scratch
        if scratch is None or not _is_under(real, self.cwd):
            return path
        return os.path.join(scratch, os.path.relpath(real, self.cwd))

    def argv(self, argv: Sequence[str]) -> tuple[str, ...]:
        """``argv`` with its absolute paths under the working directory in the scratch copy."""
        return tuple(
            self.place(word) if os.path.isabs(word) and word != argv[0] else word for word in argv
        )

    def refresh(self) -> None:
        """A fresh copy of the working directory, before each run."""
        scratch = self.scratch
        if scratch is not None and self._plan is not None:
            _remove_tree(scratch)
            copy_tree(self.cwd, self._plan, scratch)

    def stamp(self) -> Before:
        tree = stamp_tree(self.run_cwd)
        if self.scratch is None:
            self._remember(tree)
        partly = f"files were compared in the first {MAX_WATCHED_FILES:,} of {self.run_cwd}"
        if not tree.complete and partly not in self.notes:
            self.notes.append(partly)
        outside: list[tuple[str, TreeStamps | FileBefore]] = []
        for path in self.outside:
            outside.append((path, stamp_tree(path) if os.path.isdir(path) else FileBefore.of(path)))
        return Before(tree, tuple(outside))

    def _remember(self, tree: TreeStamps) -> None:
        """Keep the small files' contents as they are before a run in place."""
        remembered: dict[str, tuple[Stamp, bytes]] = {}
        budget = MAX_REMEMBERED_BYTES
        # concadvise: ignore[CA101]: a byte budget carried from one file to the next
        for path, stamp in tree.stamps.items():
            if stamp.size > min(INLINE_BYTES, budget):
                continue
            known = self._remembered.get(path)
            if known is None or known[0] != stamp:
                try:
                    with open(os.path.join(self.cwd, path), "rb") as file:
                        known = (stamp, file.read())
                except OSError:
                    continue
            remembered[path] = known
            budget -= stamp.size
        self._remembered = remembered

    def _original_content(self, relative: str) -> bytes | None:
        """A small file's content before the run: in a scratch copy, the user's file it was
        copied from; in place, what was remembered before the run."""
        if self.scratch is None:
            known = self._remembered.get(relative)
            return None if known is None else known[1]
        return FileBefore.of(os.path.join(self.cwd, relative)).content

    def effects(self, before: Before) -> dict[str, FileEffect]:
        """What the run did: files under the working directory by their relative path, files
        outside it by their absolute path."""
        effects = tree_effects(self.run_cwd, before.tree, earlier=self._original_content)
        # concadvise: ignore[CA101]: the few paths outside the run's folder it named
        for path, was in before.outside:
            if isinstance(was, TreeStamps):
                effects.update(tree_effects(path, was, shown_as=path))
            elif (effect := file_effect(path, was)) is not None:
                effects[path] = effect
        return effects
