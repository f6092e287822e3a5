"""What may run concurrently, read from ``rules/knowledge/thread_safety.toml``: the allowlist the
independence proof stands on, and the hazards it names when a call is not on it.

Every group of the file has a reason; a call's verdict carries the reason of the first group that
matches it, in the order of :data:`SECTIONS` (a hazard wins over a vouching group, so a name listed
on both sides, like ``builtins.next``, is a hazard).
"""

from __future__ import annotations

import ast
import functools
import tomllib
from dataclasses import dataclass, field
from importlib import resources
from typing import Any, Literal

from advisor.analysis.knowledge import CallSet

Level = Literal["safe", "checkable", "unsafe"]

# Section → what a match means for a fix, in the order they are consulted.
SECTIONS: tuple[tuple[str, Level], ...] = (
    ("order_dependent", "unsafe"),
    ("not_thread_safe", "unsafe"),
    ("thread_bound", "unsafe"),
    ("thread_local", "unsafe"),
    ("process_wide", "unsafe"),
    ("coordination", "unsafe"),
    ("output", "unsafe"),
    ("external_effects", "checkable"),
    ("runs_callable", "safe"),
    ("concurrency_safe", "safe"),
    ("independent_io", "safe"),
)
# open() is a read or a write by its mode: the proof reads the mode before asking here.
MODE_DECIDES = frozenset({"builtins.open", "io.open", "pathlib.Path().open", "pathlib.Path.open"})
_FILE = "thread_safety.toml"


@dataclass(frozen=True, slots=True)
class CallGroup:
    section: str
    level: Level
    reason: str
    calls: CallSet


@dataclass(frozen=True, slots=True)
class Verdict:
    """What the knowledge says of one call: its level and the reason to print."""

    level: Level
    section: str
    reason: str


@dataclass(frozen=True, slots=True)
class EventLoop:
    """An event-loop library: the calls that run it, its own sleep and its thread offload."""

    library: str  # "asyncio", "trio", "anyio", "curio"
    runners: frozenset[str]
    sleep: str
    to_thread: str
    frameworks: frozenset[str] = frozenset()  # libraries that run on it (aiohttp on asyncio)


@dataclass(frozen=True, slots=True)
class ConcurrencyKnowledge:
    groups: tuple[CallGroup, ...] = ()
    # method names that are pure on built-in values (str, bytes, tuples, numbers): trusted on a
    # value of unknown type only when no class of the module defines a method of that name
    value_methods: frozenset[str] = frozenset()
    # also trusted on the loop's own item or a value passed into a function (dict and path reads)
    item_methods: frozenset[str] = frozenset()
    # calls that return an object every caller shares (a logger, the running event loop)
    shared_getters: CallSet = field(default_factory=CallSet)
    event_loops: tuple[EventLoop, ...] = ()

    def event_loop(self, library: str) -> EventLoop | None:
        return next((loop for loop in self.event_loops if loop.library == library), None)

    def event_loop_of(self, tree: ast.Module) -> EventLoop | str:
        """The event-loop library a module's coroutines run on, by what it imports: anyio when
        it is imported (it runs on asyncio and trio alike), else the one library it imports, or
        asyncio for a module of a framework that runs on it; why it cannot be told, else."""
        imported = {
            name.split(".")[0]
            for node in ast.walk(tree)
            if isinstance(node, ast.Import | ast.ImportFrom)
            for name in (
                [a.name for a in node.names]
                if isinstance(node, ast.Import)
                else [node.module or ""]
            )
        }
        libraries = {loop.library for loop in self.event_loops} & imported
        if "anyio" in libraries:
            libraries = {"anyio"}
        if not libraries:
            libraries = {loop.library for loop in self.event_loops if loop.frameworks & imported}
        if len(libraries) == 1:
            found = self.event_loop(libraries.pop())
            if found is not None:
                return found
        if not libraries:
            return (
                "the module imports no event-loop library, so asyncio is assumed: a coroutine "
                "run by trio or driven by hand would break on the new `await` (a run shows it)"
            )
        return (
            f"the module imports {', '.join(sorted(libraries))}: which one runs the coroutine "
            "is assumed to be asyncio (a run shows it)"
        )

    def verdict(self, qualified: str) -> Verdict | None:
        """The first group that lists ``qualified`` (hazards first), or None: not known."""
        for group in self.groups:
            if group.calls.matches(qualified):
                return Verdict(group.level, group.section, group.reason)
        return None

    def opens_for_reading(self, qualified: str) -> bool:
        return qualified in MODE_DECIDES


def _groups(data: dict[str, Any]) -> tuple[CallGroup, ...]:
    groups = []
    for section, level in SECTIONS:
        for group in data.get(section, {}).get("group", ()):
            calls = CallSet(
                calls=frozenset(group.get("calls", ())),
                prefixes=tuple(group.get("prefixes", ())),
                exceptions=frozenset(group.get("exceptions", ())),
            )
            # a group may say a run settles it where its section cannot (`checkable`)
            checked = group.get("checkable", False)
            groups.append(
                CallGroup(section, "checkable" if checked else level, group["reason"], calls)
            )
    return tuple(groups)


@functools.cache
def load_concurrency_knowledge() -> ConcurrencyKnowledge:
    """The shipped thread_safety.toml, read once per process (it is immutable data)."""
    entry = resources.files("advisor.rules").joinpath("knowledge", _FILE)
    data = tomllib.loads(entry.read_text(encoding="utf-8"))
    return ConcurrencyKnowledge(
        groups=_groups(data),
        value_methods=frozenset(data.get("value_methods", {}).get("names", ())),
        item_methods=frozenset(data.get("value_methods", {}).get("item_names", ())),
        event_loops=tuple(
            EventLoop(
                library=group["calls"][0].split(".")[0],
                runners=frozenset(group["calls"]),
                sleep=group["sleep"],
                to_thread=group["to_thread"],
                frameworks=frozenset(group.get("frameworks", ())),
            )
            for group in data.get("event_loops", {}).get("group", ())
        ),
        shared_getters=CallSet(
            calls=frozenset(
                name
                for group in data.get("shared_getters", {}).get("group", ())
                for name in group.get("calls", ())
            )
        ),
    )


__all__ = [
    "MODE_DECIDES",
    "SECTIONS",
    "CallGroup",
    "ConcurrencyKnowledge",
    "EventLoop",
    "Level",
    "Verdict",
    "load_concurrency_knowledge",
]
