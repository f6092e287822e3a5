"""A findings cache keyed by file content, so re-checking an unchanged tree is near-instant.

An entry's key hashes the file's bytes, the tool version, the shape of the model classes and the
caller's key (``advisor/cache_key.py``: the config, the rule files and the source of the code that
decides findings), so any change that could alter the findings is a miss. The path is
not part of the key and not stored: a moved or copied file keeps its entry, and :meth:`get`
fills in the path it is asked about.

The cache is an optimisation, never a source of errors: a corrupt, truncated or unreadable entry
is a miss, a failed write is dropped, and a directory that cannot be created disables the cache.
Entries are written atomically (temp file + ``os.replace``), so parallel workers never read half
an entry.
"""

from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import json
import os
import re
import shutil
import tempfile
import types
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, Union, get_args, get_origin, get_type_hints

from advisor.model import ErrorEntry, Finding

_FORMAT = 2  # bump when the entry layout changes
# The standard cache-directory tag: backup tools skip the directory, and clear() deletes only
# directories that carry it, so it never removes anything it did not write.
_TAG_NAME = "CACHEDIR.TAG"
_TAG = b"Signature: 8a477f597d28d172789f06886806bc55\n# concadvise findings cache\n"


@dataclass(frozen=True, slots=True)
class CachedResult:
    """What analysing one file produced."""

    findings: tuple[Finding, ...] = ()
    errors: tuple[ErrorEntry, ...] = ()
    # the project's other modules the analysis read (path, sha256 of its bytes): a change to
    # any of them makes the result stale
    depends_on: tuple[tuple[str, str], ...] = ()


def default_cache_dir() -> Path:
    """Where the cache lives unless told: the usual per-user cache location.

    ``$CONCADVISE_CACHE_DIR``, else ``$XDG_CACHE_HOME/concadvise``, else ``~/.cache/concadvise``.
    """
    if explicit := os.environ.get("CONCADVISE_CACHE_DIR"):
        return Path(explicit).expanduser()
    xdg = os.environ.get("XDG_CACHE_HOME")
    if xdg and os.path.isabs(xdg):  # the XDG spec says to ignore a relative value
        return Path(xdg) / "concadvise"
    try:
        return Path.home() / ".cache" / "concadvise"
    except RuntimeError:  # no home directory to be found
        return Path(tempfile.gettempdir()) / "concadvise-cache"


class FindingsCache:
    """Cached results of analysing files, for one tool version and one configuration."""

    __slots__ = ("_directory", "_enabled", "_key_prefix", "_version_dir")

    def __init__(self, directory: Path, tool_version: str, config_key: str) -> None:
        self._directory = Path(directory)
        self._version_dir = self._directory / _safe_name(tool_version)
        self._key_prefix = "\0".join(
            ("concadvise", str(_FORMAT), _MODEL_SHAPE, tool_version, config_key, "")
        ).encode()
        self._enabled = _prepare(self._version_dir)

    @property
    def enabled(self) -> bool:
        """False when the cache directory could not be created; every get is then a miss."""
        return self._enabled

    def get(self, path: str, content: bytes) -> CachedResult | None:
        """The cached result for a file with this content, reported at ``path``; None on a miss."""
        if not self._enabled:
            return None
        try:
            entry = json.loads(self._entry(content).read_bytes())
            if entry["format"] != _FORMAT:
                return None
            depends_on = _still_the_same(path, entry["depends_on"])
            if depends_on is None:
                return None
            return CachedResult(
                findings=tuple(
                    _decode({**item, "path": path}, Finding) for item in entry["findings"]
                ),
                errors=tuple(
                    _decode({**item, "path": path}, ErrorEntry) for item in entry["errors"]
                ),
                depends_on=depends_on,
            )
        except (OSError, ValueError, TypeError, KeyError, RecursionError, _Corrupt):
            return None  # unreadable, truncated or not ours: analyse the file again

    def put(self, path: str, content: bytes, result: CachedResult) -> None:
        """Remember ``result`` for this content; every finding and error must be about ``path``."""
        others = {item.path for item in (*result.findings, *result.errors)} - {path}
        if others:  # dropping another file's path would attach its findings to this one
            raise ValueError(f"result for {path} holds entries for {sorted(others)}")
        if not self._enabled:
            return
        entry = {
            "format": _FORMAT,
            "findings": [_encode(f) for f in result.findings],
            "errors": [_encode(e) for e in result.errors],
            # relative to the file's folder: a copied project keeps its entries
            "depends_on": [
                [os.path.relpath(read, os.path.dirname(os.path.abspath(path))), digest]
                for read, digest in result.depends_on
            ],
        }
        data = json.dumps(entry, separators=(",", ":")).encode()
        target = self._entry(content)
        with contextlib.suppress(OSError):  # a cache that cannot be written is just slower
            target.parent.mkdir(exist_ok=True)
            _write_atomically(target, data)

    def clear(self) -> None:
        """Remove every entry of every tool version under the cache directory."""
        with contextlib.suppress(OSError):
            for child in self._directory.iterdir():
                if (child / _TAG_NAME).is_file():
                    shutil.rmtree(child, ignore_errors=True)
        self._enabled = _prepare(self._version_dir)

    def _entry(self, content: bytes) -> Path:
        key = hashlib.sha256(self._key_prefix + content).hexdigest()
        return self._version_dir / key[:2] / f"{key}.json"


def _still_the_same(path: str, depends_on: list[list[str]]) -> tuple[tuple[str, str], ...] | None:
    """The modules an entry relied on, as they are now; None when any changed or is gone."""
    folder = os.path.dirname(os.path.abspath(path))
    now = []
    # concadvise: ignore[CA101]: the few modules one file's analysis read, hashed on a cache hit
    for relative, digest in depends_on:
        read = os.path.normpath(os.path.join(folder, relative))
        try:
            if hashlib.sha256(Path(read).read_bytes()).hexdigest() != digest:
                return None
        except OSError:
            return None
        now.append((read, digest))
    return tuple(now)


def _prepare(version_dir: Path) -> bool:
    try:
        version_dir.mkdir(parents=True, exist_ok=True)
        tag = version_dir / _TAG_NAME
        if not tag.is_file():
            _write_atomically(tag, _TAG)
    except OSError:
        return False
    return True


def _write_atomically(target: Path, data: bytes) -> None:
    handle, temporary = tempfile.mkstemp(dir=target.parent, prefix=".tmp-", suffix=".json")
    try:
        with os.fdopen(handle, "wb") as stream:
            stream.write(data)
        os.replace(temporary, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise


def _safe_name(version: str) -> str:
    return re.sub(r"[^A-Za-z0-9._+-]", "_", version) or "unknown"


# ----------------------------------------------------------------------------- (de)serialising


class _Corrupt(Exception):
    """An entry's JSON does not fit the model classes."""


def _encode(item: Finding | ErrorEntry) -> dict[str, Any]:
    """The entry's fields as JSON values, without the path (the caller's key to the entry)."""
    fields = dataclasses.asdict(item)  # nested dataclasses become dicts, tuples stay tuples
    del fields["path"]
    return fields


def _decode(value: Any, hint: Any) -> Any:
    """``value`` from JSON checked against the type ``hint`` and rebuilt (tuples, dataclasses)."""
    origin = get_origin(hint)
    if origin is Union or origin is types.UnionType:
        for option in get_args(hint):
            try:
                return _decode(value, option)
            except _Corrupt:
                continue
        raise _Corrupt(hint)
    if origin is Literal:
        if any(type(value) is type(allowed) and value == allowed for allowed in get_args(hint)):
            return value
        raise _Corrupt(hint)
    if origin is tuple:
        if not isinstance(value, list):
            raise _Corrupt(hint)
        args = get_args(hint)
        if len(args) == 2 and args[1] is Ellipsis:
            return tuple(_decode(v, args[0]) for v in value)
        if len(args) != len(value):
            raise _Corrupt(hint)
        return tuple(_decode(v, a) for v, a in zip(value, args, strict=True))
    if dataclasses.is_dataclass(hint):
        if not isinstance(value, dict):
            raise _Corrupt(hint)
        hints = get_type_hints(hint)
        names = {f.name for f in dataclasses.fields(hint)}
        if set(value) != names:
            raise _Corrupt(hint)
        return hint(**{name: _decode(value[name], hints[name]) for name in names})
    if hint is float and type(value) in (int, float):
        return float(value)
    if hint is type(None) and value is None:
        return None
    if hint in (str, int, bool) and type(value) is hint:
        return value
    raise _Corrupt(hint)


def _model_shape(*classes: type) -> str:
    """A digest of the field names and types of the cached classes and the ones they nest."""
    shapes: dict[str, list[tuple[str, str]]] = {}
    pending = list(classes)
    while pending:
        cls = pending.pop()
        if cls.__name__ in shapes:
            continue
        hints = get_type_hints(cls)
        shapes[cls.__name__] = [(name, str(hint)) for name, hint in hints.items()]
        pending.extend(
            arg
            for hint in hints.values()
            for arg in (hint, *get_args(hint))
            if dataclasses.is_dataclass(arg) and isinstance(arg, type)
        )
    return hashlib.sha256(repr(sorted(shapes.items())).encode()).hexdigest()


# Changing a model class changes this, so entries written for the old shape become misses.
_MODEL_SHAPE = _model_shape(Finding, ErrorEntry)
