r"""``[tool.concadvise]`` of pyproject.toml, parsed once into a frozen :class:`Config`.

Like ruff and black, the configuration is the nearest pyproject.toml (walking up from the
checked path) that has a ``[tool.concadvise]`` table; a pyproject without one is skipped so a
monorepo's inner packages inherit the top-level settings. Every mistake in the file is a
one-line :class:`UsageError` naming the file and the key, never a traceback.

Keys (kebab-case; the snake_case spelling is accepted too)::

    [tool.concadvise]
    select = ["CA1", "CA301"]      # codes or prefixes; default: every rule ("CA" or "ALL")
    ignore = ["CA104"]             # ignore wins over select
    exclude = ["build", "tests/fixtures/*", "*.pyi"]
    min-share = 0.05               # loops under this share of the run are not reported
    min-speedup = 1.1              # suggestions must promise at least this whole-run speedup
    max-io-workers = 64            # cap on suggested I/O threads
    ignore-output = ['\d+\.\d+ segundos', '0x[0-9a-f]+']  # output that may differ run to run

    [tool.concadvise.per-file-ignores]
    "tests/*" = ["CA101"]

Glob patterns (``exclude`` and ``per-file-ignores``) are gitignore-like: a pattern without a
slash matches any path component (``build``, ``*.pyi``); a pattern with a slash matches the path
relative to the configuration's directory or one of its parent directories
(``tests/fixtures/*``); a trailing slash matches directories only. ``*`` also crosses slashes.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import math
import os
import re
import tomllib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from fnmatch import fnmatchcase
from pathlib import Path
from typing import Any

from advisor.errors import UsageError

# The defaults of the advice's thresholds, which [tool.concadvise] may change. They live here,
# below the advice, so that reading a configuration never loads the advice.

# Loops under this share of the run cannot buy a visible gain; 5% caps Amdahl at 1.05x.
MIN_SHARE_OF_RUN = 0.05
# A suggestion must promise at least this whole-run speedup to be worth a code change.
MIN_SPEEDUP = 1.1
# An hour of a loop's time left even with a process per core: the point where users reach for a
# cluster rather than wait (CA401).
DASK_THRESHOLD_S = 3600.0
# A cap on suggested I/O threads. ThreadPoolExecutor's default, min(32, cores + 4), is sized for
# work of unknown kind; a loop the profile measured waiting most of its time gains a whole round
# per extra batch of items (40 downloads: one round on 40 threads, two on 32), and 64 threads
# cost ~30 ms to start here (advisor/advice/calibration.py). HTTP clients cap a client at about
# this many connections (httpx and aiohttp: 100). Users lower it with `max-io-workers`.
MAX_IO_WORKERS = 64

ALL_RULES = "CA"  # the prefix every rule code shares: selecting it selects everything
_RULE_CODE = re.compile(r"CA[0-9]{0,3}")
_CODES_EXPECTED = 'a list of rule codes (like "CA101", or a prefix like "CA1")'
_GLOBS_EXPECTED = "a list of glob patterns (strings)"


@dataclass(frozen=True, slots=True)
class Config:
    """Which rules run where, and the thresholds of the advice; immutable once loaded."""

    select: tuple[str, ...] = (ALL_RULES,)
    ignore: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()
    per_file_ignores: tuple[tuple[str, tuple[str, ...]], ...] = ()
    min_share: float = MIN_SHARE_OF_RUN
    min_speedup: float = MIN_SPEEDUP
    max_io_workers: int = MAX_IO_WORKERS
    # regular expressions of the program's own noise, not compared by `--apply` and `bench`
    ignore_output: tuple[str, ...] = ()
    root: str = field(default_factory=os.getcwd)  # directory that relative globs start from
    source: str | None = None  # the pyproject.toml these settings came from; None = defaults

    def is_rule_enabled(self, code: str, path: str) -> bool:
        """Selected by prefix, not ignored (ignore wins), and not ignored for this file."""
        if not _has_prefix(code, self.select) or _has_prefix(code, self.ignore):
            return False
        return not any(
            _has_prefix(code, codes) and _glob_matches(pattern, path, self.root)
            for pattern, codes in self.per_file_ignores
        )

    def is_excluded(self, path: str) -> bool:
        """Whether ``path`` (a file or directory, relative to the cwd or absolute) is excluded."""
        return any(_glob_matches(pattern, path, self.root) for pattern in self.exclude)

    def with_overrides(
        self,
        *,
        select: Sequence[str] | None = None,
        ignore: Sequence[str] = (),
        exclude: Sequence[str] = (),
    ) -> Config:
        """Command-line options on top of the file: ``--select`` replaces, the others extend.

        Codes may be given one per option or comma-separated (``--select CA1,CA301``).
        """
        changes: dict[str, Any] = {}
        if select is not None:
            changes["select"] = _cli_codes("--select", select)
        if ignore:
            changes["ignore"] = self.ignore + _cli_codes("--ignore", ignore)
        if exclude:
            changes["exclude"] = self.exclude + tuple(exclude)
        return dataclasses.replace(self, **changes)

    def cache_key(self) -> str:
        """A stable hash of the settings that change a file's findings.

        ``exclude``, ``root`` and ``source`` only choose files or locate the config, so they are
        left out: moving the project or adding an exclude keeps the cache warm.
        """
        settings = {
            "format": 1,
            "select": sorted(set(self.select)),
            "ignore": sorted(set(self.ignore)),
            "per_file_ignores": sorted([p, sorted(set(c))] for p, c in self.per_file_ignores),
            "min_share": self.min_share,
            "min_speedup": self.min_speedup,
            "max_io_workers": self.max_io_workers,
        }
        encoded = json.dumps(settings, sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(encoded.encode()).hexdigest()


def find_config(start: str | Path) -> Config:
    """The config of the nearest pyproject.toml with a ``[tool.concadvise]`` table above ``start``.

    ``start`` is a file or a directory; without such a pyproject the defaults apply, rooted at
    the current directory.
    """
    here = Path(os.path.abspath(start))  # not resolve(): search the parents the user sees
    if here.is_file():
        here = here.parent
    # concadvise: ignore[CA102]: a search up the tree, stops at the first match
    for directory in (here, *here.parents):
        candidate = directory / "pyproject.toml"
        if candidate.is_file():
            table = _concadvise_table(candidate, _read_toml(candidate))
            if table is not None:
                return _config_from_table(candidate, table)
    return Config()


def load_config(pyproject: Path) -> Config:
    """The config of one pyproject.toml; defaults (rooted at its directory) if it has no table."""
    table = _concadvise_table(pyproject, _read_toml(pyproject))
    return _config_from_table(pyproject, table or {})


# ----------------------------------------------------------------------------- parsing


def _read_toml(pyproject: Path) -> dict[str, Any]:
    try:
        with pyproject.open("rb") as handle:
            return tomllib.load(handle)
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise UsageError(f"{pyproject}: invalid TOML: {exc}") from None
    except OSError as exc:
        raise UsageError(f"{pyproject}: cannot read: {_reason(exc)}") from None


def _concadvise_table(pyproject: Path, data: dict[str, Any]) -> dict[str, Any] | None:
    tool = data.get("tool")
    if not isinstance(tool, dict) or "concadvise" not in tool:
        return None
    table = tool["concadvise"]
    if not isinstance(table, dict):
        raise UsageError(f"{pyproject}: [tool.concadvise] must be a table")
    return table


def _config_from_table(pyproject: Path, table: Mapping[str, Any]) -> Config:
    values = _canonical_keys(pyproject, table)
    config: dict[str, Any] = {
        "root": str(Path(os.path.abspath(pyproject)).parent),
        "source": str(pyproject),
    }
    for key, value in values.items():
        name, parse = _KEYS[key]
        config[name] = parse(pyproject, key, value)
    return Config(**config)


def _canonical_keys(pyproject: Path, table: Mapping[str, Any]) -> dict[str, Any]:
    """Keys in kebab-case; snake_case is accepted as people type both."""
    canonical: dict[str, Any] = {}
    spelled: dict[str, str] = {}
    for key, value in table.items():
        name = key.replace("_", "-")
        if name not in _KEYS:
            known = ", ".join(sorted(_KEYS))
            raise UsageError(
                f"{pyproject}: [tool.concadvise] unknown key {key!r} (known keys: {known})"
            )
        if name in canonical:
            raise UsageError(
                f"{pyproject}: [tool.concadvise] {spelled[name]} and {key} are the same key"
            )
        canonical[name] = value
        spelled[name] = key
    return canonical


def _fail(pyproject: Path, key: str, expected: str) -> UsageError:
    return UsageError(f"{pyproject}: [tool.concadvise] {key} must be {expected}")


def _codes(pyproject: Path, key: str, value: Any) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise _fail(pyproject, key, _CODES_EXPECTED)
    try:
        return tuple(_rule_code(v) for v in value)
    except ValueError:
        raise _fail(pyproject, key, _CODES_EXPECTED) from None


def _globs(pyproject: Path, key: str, value: Any) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
        raise _fail(pyproject, key, _GLOBS_EXPECTED)
    return tuple(value)


def _per_file_ignores(
    pyproject: Path, key: str, value: Any
) -> tuple[tuple[str, tuple[str, ...]], ...]:
    if not isinstance(value, dict):
        raise _fail(pyproject, key, "a table of glob pattern = list of rule codes")
    return tuple(
        (pattern, _codes(pyproject, f"{key} {pattern!r}", codes))
        for pattern, codes in value.items()
    )


def _number(low: float, high: float = math.inf) -> Callable[[Path, str, Any], float]:
    bounds = f"between {low:g} and {high:g}" if math.isfinite(high) else f">= {low:g}"

    def parse(pyproject: Path, key: str, value: Any) -> float:
        # bool is an int to Python, never a threshold to a user.
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise _fail(pyproject, key, f"a number {bounds}")
        if not low <= value <= high:  # also rejects nan
            raise _fail(pyproject, key, f"a number {bounds}")
        return float(value)

    return parse


def output_masks_for(script: str, given: Sequence[str] = ()) -> tuple[str, ...]:
    """The output masks of the script's `[tool.concadvise]` (``ignore-output``), then those given
    on the command line (``--ignore-output``); each must compile, a one-line UsageError if not."""
    folder = Path(script).parent
    config = find_config(folder if folder.exists() else Path.cwd())
    for pattern in given:
        error = _regex_error(pattern)
        if error is not None:
            raise UsageError(f"--ignore-output {pattern!r} is not a regular expression: {error}")
    return tuple(dict.fromkeys((*config.ignore_output, *given)))


def _regex_error(pattern: str) -> str | None:
    try:
        re.compile(pattern)
    except re.error as exc:
        return str(exc)
    return None


def _regexes(pyproject: Path, key: str, value: Any) -> tuple[str, ...]:
    expected = "a list of regular expressions"
    if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
        raise _fail(pyproject, key, expected)
    for pattern in value:
        error = _regex_error(pattern)
        if error is not None:
            raise _fail(pyproject, key, f"{expected} ({pattern!r}: {error})")
    return tuple(value)


def _positive_int(pyproject: Path, key: str, value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise _fail(pyproject, key, "a whole number >= 1")
    return value


# canonical key -> (Config field, parser)
_KEYS: Mapping[str, tuple[str, Callable[[Path, str, Any], Any]]] = {
    "select": ("select", _codes),
    "ignore": ("ignore", _codes),
    "exclude": ("exclude", _globs),
    "per-file-ignores": ("per_file_ignores", _per_file_ignores),
    "min-share": ("min_share", _number(0.0, 1.0)),
    "min-speedup": ("min_speedup", _number(1.0)),
    "max-io-workers": ("max_io_workers", _positive_int),
    "ignore-output": ("ignore_output", _regexes),
}


def _rule_code(text: str) -> str:
    if text == "ALL":
        return ALL_RULES
    if not _RULE_CODE.fullmatch(text):
        raise ValueError(text)
    return text


def _cli_codes(option: str, values: Sequence[str]) -> tuple[str, ...]:
    codes = [part.strip() for value in values for part in value.split(",") if part.strip()]
    try:
        return tuple(_rule_code(code) for code in codes)
    except ValueError as exc:
        raise UsageError(
            f'{option}: {exc.args[0]!r} is not a rule code (like "CA101", or a prefix like "CA1")'
        ) from None


def _reason(exc: OSError) -> str:
    return (exc.strerror or str(exc)).lower()


# ----------------------------------------------------------------------------- matching


def _has_prefix(code: str, prefixes: Sequence[str]) -> bool:
    return any(code.startswith(prefix) for prefix in prefixes)


def _relative_parts(path: str, root: str) -> tuple[list[str], bool]:
    """The components of ``path`` relative to ``root``, and whether it lies under ``root``."""
    absolute = os.path.abspath(path)
    try:
        relative = os.path.relpath(absolute, root)
    except ValueError:  # another drive on Windows
        return [os.path.basename(absolute)], False
    if relative == os.curdir:
        return [], True
    parts = relative.split(os.sep)
    if parts[0] == os.pardir:
        return [os.path.basename(absolute)], False
    return parts, True


def _glob_matches(pattern: str, path: str, root: str) -> bool:
    """gitignore-like matching; see the module docstring."""
    directory_only = pattern.endswith("/")
    glob = pattern.strip("/")
    globs = [glob]
    if glob.startswith("**/"):  # "**/x" also matches "x" at the top
        globs = [glob, glob[3:]] if "/" in glob[3:] else [glob[3:]]
    anchored = "/" in globs[-1] or pattern.startswith("/")
    parts, inside = _relative_parts(path, root)
    if anchored and not inside:
        return False  # a path pattern is relative to the config's directory
    for index, part in enumerate(parts):
        candidate = "/".join(parts[: index + 1]) if anchored else part
        if any(fnmatchcase(candidate, g) for g in globs):
            is_last = index == len(parts) - 1
            # Earlier components are directories by construction; only the last needs a look.
            if not (directory_only and is_last) or os.path.isdir(path):
                return True
    return False
