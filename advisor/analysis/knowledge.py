"""Call knowledge loaded from ``rules/knowledge/*.toml``: which qualified names block, which print.

Knowledge is data so that teaching concadvise a new blocking call is a one-line TOML change.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from importlib import resources


@dataclass(frozen=True, slots=True)
class CallSet:
    """A set of qualified call names: exact names, name prefixes, and exact exceptions."""

    calls: frozenset[str]
    prefixes: tuple[str, ...]
    exceptions: frozenset[str]

    def matches(self, qualified_name: str) -> bool:
        if qualified_name in self.exceptions:
            return False
        if qualified_name in self.calls:
            return True
        return qualified_name.startswith(self.prefixes)


@dataclass(frozen=True, slots=True)
class CallKnowledge:
    blocking_io: CallSet
    ordered_output: CallSet


def _call_set(table: dict) -> CallSet:
    return CallSet(
        calls=frozenset(table.get("calls", ())),
        prefixes=tuple(table.get("prefixes", ())),
        exceptions=frozenset(table.get("exceptions", ())),
    )


def load_knowledge() -> CallKnowledge:
    """Merge every knowledge file shipped in the ``advisor.rules`` package."""
    tables: dict[str, dict] = {}
    folder = resources.files("advisor.rules").joinpath("knowledge")
    for entry in sorted(folder.iterdir(), key=lambda e: e.name):
        if not entry.name.endswith(".toml"):
            continue
        for section, table in tomllib.loads(entry.read_text(encoding="utf-8")).items():
            merged = tables.setdefault(section, {"calls": [], "prefixes": [], "exceptions": []})
            for key in merged:
                merged[key].extend(table.get(key, ()))
    return CallKnowledge(
        blocking_io=_call_set(tables.get("blocking_io", {})),
        ordered_output=_call_set(tables.get("ordered_output", {})),
    )
