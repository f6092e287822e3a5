"""Objects whose methods block (``rules/knowledge/objects.toml``), expanded into call names.

The analysis spells a method call on an object it can follow as ``TYPE().method``
(``requests.Session().get``, ``sqlite3.Cursor().execute`` for ``sqlite3.connect(p).cursor()
.execute``): the resolver is given what each maker makes (:func:`instance_types`), and the call
sets stay exact-name lookups.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Literal

Use = Literal["concurrent", "sequential"]


@dataclass(frozen=True, slots=True)
class ObjectType:
    type: str
    made_by: tuple[str, ...]
    returned_by: tuple[str, ...]  # "OtherType.method"
    blocking: tuple[str, ...]  # ("*",): every method but not_blocking
    not_blocking: tuple[str, ...]
    releases_gil: tuple[str, ...]  # methods that run C code without the GIL (hash.update)
    use: Use
    source: str


@dataclass(frozen=True, slots=True)
class ObjectCalls:
    """What the types expand to: exact method names that block or release the GIL, which of
    them are one conversation's (sequential types), and the prefixes of every instance (whose
    other methods are known not to block)."""

    blocking: frozenset[str]
    releases_gil: frozenset[str]
    one_at_a_time: frozenset[str]  # the methods of sequential types among those
    every_method: tuple[str, ...]  # instance prefixes of "*" types: every method blocks...
    not_blocking: frozenset[str]  # ...except these
    instances: tuple[str, ...]  # "requests.Session()." for each instance spelling


def object_type(entry: dict[str, Any]) -> ObjectType:
    use = entry.get("use")
    if use not in ("concurrent", "sequential"):
        raise ValueError(f"object type {entry.get('type')!r}: use must be concurrent or sequential")
    return ObjectType(
        type=entry["type"],
        made_by=tuple(entry.get("made_by", ())),
        returned_by=tuple(entry.get("returned_by", ())),
        blocking=tuple(entry.get("blocking", ())),
        not_blocking=tuple(entry.get("not_blocking", ())),
        releases_gil=tuple(entry.get("releases_gil", ())),
        use=use,
        source=entry.get("source", ""),
    )


def instance_types(types: Iterable[ObjectType]) -> dict[str, str]:
    """What each call that makes an object makes: ``sqlite3.connect()`` and
    ``sqlite3.Connection().execute()`` are both a ``sqlite3.Connection()``/``sqlite3.Cursor()``,
    so a resolver that spells every instance by its type needs one knowledge entry per method."""
    made: dict[str, str] = {}
    for t in types:
        made.update({f"{maker}()": f"{t.type}()" for maker in t.made_by})
        for returned in t.returned_by:
            owner, _, method = returned.rpartition(".")
            made[f"{owner}().{method}()"] = f"{t.type}()"
    return made


def object_calls(types: Iterable[ObjectType]) -> ObjectCalls:
    blocking: set[str] = set()
    releases_gil: set[str] = set()
    one_at_a_time: set[str] = set()
    every_method: list[str] = []
    not_blocking: set[str] = set()
    instances: list[str] = []
    for t in types:
        spelling = f"{t.type}()"
        if t.blocking == ("*",):
            every_method.append(f"{spelling}.")
            not_blocking.update(f"{spelling}.{m}" for m in t.not_blocking)
            continue
        instances.append(f"{spelling}.")
        waits = {f"{spelling}.{m}" for m in t.blocking}
        native = {f"{spelling}.{m}" for m in t.releases_gil}
        blocking |= waits
        releases_gil |= native
        if t.use == "sequential":
            one_at_a_time.update(waits | native)
    return ObjectCalls(
        blocking=frozenset(blocking),
        releases_gil=frozenset(releases_gil),
        one_at_a_time=frozenset(one_at_a_time),
        every_method=tuple(every_method),
        not_blocking=frozenset(not_blocking),
        instances=tuple(instances),
    )
