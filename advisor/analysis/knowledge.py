"""Call knowledge loaded from ``rules/knowledge/*.toml``: which qualified names block, print,
release the GIL or burn Python CPU, what replaces a blocking call inside ``async def``, and
which classes make threads, processes and pools (and which objects pickle refuses).

Knowledge is data so that teaching concadvise a new call is a one-line TOML change.
"""

from __future__ import annotations

import functools
import tomllib
from dataclasses import dataclass, field
from importlib import resources
from typing import Any

from advisor.analysis.object_types import (
    ObjectCalls,
    ObjectType,
    instance_types,
    object_calls,
    object_type,
)

_CALL_SET_KEYS = ("calls", "prefixes", "exceptions")


@dataclass(frozen=True, slots=True)
class CallSet:
    """A set of qualified call names: exact names, name prefixes, and exact exceptions."""

    calls: frozenset[str] = frozenset()
    prefixes: tuple[str, ...] = ()
    exceptions: frozenset[str] = frozenset()
    # names under these match only when listed in `calls` (an object's other methods)
    exception_prefixes: tuple[str, ...] = ()
    # every public method of these objects matches (`boto3.client().` + `get_object`), not an
    # attribute chain (`client.meta.region_name`)
    instance_prefixes: tuple[str, ...] = ()

    def matches(self, qualified_name: str) -> bool:
        if qualified_name in self.exceptions:
            return False
        if qualified_name in self.calls:
            return True
        if self.instance_prefixes and qualified_name.startswith(self.instance_prefixes):
            method = qualified_name.rpartition("().")[2]
            return method.isidentifier() and not method.startswith("_")
        if not self.prefixes or (
            self.exception_prefixes and qualified_name.startswith(self.exception_prefixes)
        ):
            return False
        return qualified_name.startswith(self.prefixes)


@dataclass(frozen=True, slots=True)
class AsyncReplacement:
    call: str
    replacement: str
    suggestion: str

    @property
    def switches_client(self) -> bool:
        """async.toml names the real fix first; another library there (an async HTTP client)
        means the fix is a design change, not a mechanical rewrite."""
        first = self.replacement.split(",")[0].split()[0].strip("`")
        return first.split(".")[0] not in ("asyncio", "loop")


# What a blocking call without an entry of its own gets (async.toml's `default` table).
_TO_THREAD = AsyncReplacement("", "asyncio.to_thread", "to_thread")


@dataclass(frozen=True, slots=True)
class PoolKnowledge:
    """The qualified names of what starts threads, processes and pools (pools.toml)."""

    threads: frozenset[str] = frozenset()
    processes: frozenset[str] = frozenset()
    process_executors: frozenset[str] = frozenset()
    other_executors: frozenset[str] = frozenset()
    mp_process_pools: frozenset[str] = frozenset()
    mp_thread_pools: frozenset[str] = frozenset()
    unpicklable_objects: frozenset[str] = frozenset()
    min_iterations: int = 4  # fewer make a pool per iteration not worth restructuring (CA206)

    @property
    def executors(self) -> frozenset[str]:
        return self.process_executors | self.other_executors

    @property
    def mp_pools(self) -> frozenset[str]:
        return self.mp_process_pools | self.mp_thread_pools

    @property
    def pools(self) -> frozenset[str]:
        return self.executors | self.mp_pools

    @property
    def process_pools(self) -> frozenset[str]:
        """The pools that pickle every task they are given."""
        return self.process_executors | self.mp_process_pools

    @property
    def unpicklable(self) -> frozenset[str]:
        """What pickle refuses: the objects named so, and every pool."""
        return self.unpicklable_objects | self.pools


@dataclass(frozen=True, slots=True)
class CallKnowledge:
    blocking_io: CallSet = field(default_factory=CallSet)
    # methods of an object that is one conversation (a socket, a cursor, a hash): they block or
    # release the GIL, but a loop of them on one shared object cannot overlap (objects.toml,
    # use = "sequential")
    one_at_a_time: CallSet = field(default_factory=CallSet)
    ordered_output: CallSet = field(default_factory=CallSet)
    interactive: CallSet = field(default_factory=CallSet)  # waits for a person at the terminal
    progress_bars: CallSet = field(default_factory=CallSet)  # wrap an iterable, show progress
    releases_gil: CallSet = field(default_factory=CallSet)
    # of those, the calls that keep the GIL for small data (hashlib under 2048 bytes)
    small_data_keeps_gil: CallSet = field(default_factory=CallSet)
    cpu_bound: CallSet = field(default_factory=CallSet)
    blocks_event_loop: CallSet = field(default_factory=CallSet)
    async_replacements: tuple[AsyncReplacement, ...] = ()
    default_replacement: AsyncReplacement = _TO_THREAD
    pools: PoolKnowledge = field(default_factory=PoolKnowledge)
    # what each maker call returns, by type (objects.toml):
    # "sqlite3.connect()" -> "sqlite3.Connection()"
    instance_types: dict[str, str] = field(default_factory=dict)
    # the instances objects.toml knows, spelled as the resolver does: "requests.Session()"
    object_types: frozenset[str] = frozenset()

    def blocks_in_async(self, qualified_name: str) -> bool:
        """Would this call stall an event loop? Waiting calls, and the brief fork/exec ones."""
        return self.blocking_io.matches(qualified_name) or self.blocks_event_loop.matches(
            qualified_name
        )

    def on_blocking_result(self, qualified_name: str) -> bool:
        """``requests.get(u).json()`` (or ``r.json()`` after ``r = requests.get(u)``): a method of
        what a blocking call returned, which is that call's finding, not one of its own, unless
        objects.toml says the method waits itself (``socket.create_connection().recv``)."""
        receiver, _, _ = qualified_name.rpartition("()")
        if not receiver or not self.blocks_in_async(receiver):
            return False
        return qualified_name not in self.blocking_io.calls

    def replacement_in_async(self, qualified_name: str) -> AsyncReplacement:
        """What replaces this blocking call inside ``async def``: its entry, else the default."""
        return self.async_replacement(qualified_name) or self.default_replacement

    def async_replacement(self, qualified_name: str) -> AsyncReplacement | None:
        """The most specific replacement whose call is this name or a prefix of it."""
        best: AsyncReplacement | None = None
        for entry in self.async_replacements:
            exact = qualified_name == entry.call
            prefix = entry.call.endswith(".") and qualified_name.startswith(entry.call)
            if (exact or prefix) and (best is None or len(entry.call) > len(best.call)):
                best = entry
        return best


def _call_set(table: dict[str, list[str]]) -> CallSet:
    return CallSet(
        calls=frozenset(table.get("calls", ())),
        prefixes=tuple(table.get("prefixes", ())),
        exceptions=frozenset(table.get("exceptions", ())),
    )


def _with_objects(blocking: CallSet, objects: ObjectCalls) -> CallSet:
    """The blocking calls with the objects' methods that wait (and of an object, no other)."""
    return CallSet(
        calls=blocking.calls | objects.blocking,
        prefixes=blocking.prefixes,
        exceptions=blocking.exceptions | objects.not_blocking,
        exception_prefixes=objects.instances,
        instance_prefixes=objects.every_method,
    )


def _with_native(native: CallSet, objects: ObjectCalls) -> CallSet:
    return CallSet(native.calls | objects.releases_gil, native.prefixes, native.exceptions)


@functools.cache
def load_knowledge() -> CallKnowledge:
    """Merge every knowledge file shipped in the ``advisor.rules`` package (read once: it is
    immutable data)."""
    sets: dict[str, dict[str, list[str]]] = {}
    replacements: list[AsyncReplacement] = []
    default = _TO_THREAD
    pools: dict[str, list[str]] = {}
    objects: list[ObjectType] = []
    min_iterations = PoolKnowledge.min_iterations
    folder = resources.files("advisor.rules").joinpath("knowledge")
    # concadvise: ignore[CA102]: a few small files, once per process (~1 ms)
    for entry in sorted(folder.iterdir(), key=lambda e: e.name):
        if not entry.name.endswith(".toml"):
            continue
        data: dict[str, Any] = tomllib.loads(entry.read_text(encoding="utf-8"))
        for section, table in data.items():
            if section == "pools":
                for key, value in table.items():
                    if key == "min_iterations":
                        min_iterations = value
                    else:
                        pools.setdefault(key, []).extend(value)
                continue
            if section == "object_types":
                objects += [object_type(entry) for entry in table]
                continue
            if section == "async_replacements":
                replacements += [AsyncReplacement(**item) for item in table.get("map", ())]
                if "default" in table:
                    default = AsyncReplacement("", **table["default"])
                continue
            merged = sets.setdefault(section, {key: [] for key in _CALL_SET_KEYS})
            for key in _CALL_SET_KEYS:
                merged[key].extend(table.get(key, ()))
    calls = object_calls(objects)
    return CallKnowledge(
        blocking_io=_with_objects(_call_set(sets.get("blocking_io", {})), calls),
        one_at_a_time=CallSet(calls=calls.one_at_a_time),
        ordered_output=_call_set(sets.get("ordered_output", {})),
        interactive=_call_set(sets.get("interactive", {})),
        progress_bars=_call_set(sets.get("progress_bars", {})),
        releases_gil=_with_native(_call_set(sets.get("releases_gil", {})), calls),
        small_data_keeps_gil=_call_set(sets.get("small_data_keeps_gil", {})),
        cpu_bound=_call_set(sets.get("cpu_bound", {})),
        blocks_event_loop=_call_set(sets.get("blocks_event_loop", {})),
        async_replacements=tuple(replacements),
        default_replacement=default,
        pools=PoolKnowledge(
            **{
                ("unpicklable_objects" if key == "unpicklable" else key): frozenset(names)
                for key, names in pools.items()
            },
            min_iterations=min_iterations,
        ),
        instance_types=instance_types(objects),
        object_types=frozenset(f"{t.type}()" for t in objects),
    )
