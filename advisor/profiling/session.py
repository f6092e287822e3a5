"""A profiled run saved as JSON and read back: ``profile --save-profile`` / ``--load-profile``.

The file holds a ProfileSession: the profile, the machine it was measured on (cores, the cores
other programs left free, the pools' measured overheads) and a hash of every source its lines
refer to. Advising from it again gives the findings of the run it recorded without running
anything (the pyinstrument habit), so the path from samples to findings is tested on recorded
profiles. Paths are stored relative to the folder that holds the script and every measured
source, so a profile recorded in one checkout replays in another. Loading checks that every
source is still the one measured, since a finding is a line of it.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from advisor import __version__
from advisor.display import display_path
from advisor.errors import UsageError
from advisor.model import PlainDataError, ProfileSession, SourceDigest, from_plain, plain
from advisor.saved_json import read_saved_json

FORMAT = "concadvise-profile"
FORMAT_VERSION = 1


def source_digests(paths: Iterable[str]) -> tuple[SourceDigest, ...]:
    """The hash of each readable file (one that cannot be read has no findings to protect)."""
    digests = []
    # concadvise: ignore[CA101]: the few source files a profile measured, each read once
    for path in paths:
        try:
            content = Path(path).read_bytes()
        except OSError:
            continue
        digests.append(SourceDigest(path, hashlib.sha256(content).hexdigest()))
    return tuple(digests)


def _with_paths(session: ProfileSession, move: Callable[[str], str]) -> ProfileSession:
    """The session with every path it holds passed through ``move``."""
    profile = session.profile
    stacks = tuple(
        dataclasses.replace(stack, frames=tuple((move(path), line) for path, line in stack.frames))
        for stack in profile.stacks
    )
    counts = tuple(dataclasses.replace(c, path=move(c.path)) for c in profile.loop_counts)
    return dataclasses.replace(
        session,
        profile=dataclasses.replace(
            profile,
            script=move(profile.script),
            stacks=stacks,
            loop_counts=counts,
            uncounted=tuple(dataclasses.replace(u, path=move(u.path)) for u in profile.uncounted),
            started=tuple(dataclasses.replace(w, path=move(w.path)) for w in profile.started or ())
            or None,
        ),
        sources=tuple(dataclasses.replace(s, path=move(s.path)) for s in session.sources),
    )


def session_to_text(session: ProfileSession) -> str:
    """The session as the JSON a profile file holds (floats exact: they are computed with)."""
    paths = [session.profile.script, *(source.path for source in session.sources)]
    root = Path(os.path.commonpath([Path(path).parent for path in paths]))

    def relative(path: str) -> str:
        return Path(path).relative_to(root).as_posix() if Path(path).is_relative_to(root) else path

    data = {
        "format": FORMAT,
        "version": FORMAT_VERSION,
        "tool": {"name": "concadvise", "version": __version__},
        **plain(_with_paths(session, relative), exact=True),
    }
    return _json(data) + "\n"


def _json(value: Any, indent: str = "") -> str:
    """JSON with each object of a list on one line (a stack, a loop count): short, and a
    re-recorded profile's diff shows the stacks that changed."""
    inner = indent + " "
    if isinstance(value, dict) and any(isinstance(v, (dict, list)) for v in value.values()):
        items = [f"{inner}{json.dumps(key)}: {_json(v, inner)}" for key, v in value.items()]
        return "{\n" + ",\n".join(items) + "\n" + indent + "}"
    if isinstance(value, list) and value and all(isinstance(v, dict) for v in value):
        return "[\n" + ",\n".join(inner + json.dumps(v) for v in value) + "\n" + indent + "]"
    return json.dumps(value)


def _session(data: Any, script: Path) -> ProfileSession:
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise PlainDataError("", f'not a concadvise profile (no "format": "{FORMAT}")')
    if data.get("version") != FORMAT_VERSION:
        raise PlainDataError(
            "", f"profile version {data.get('version')!r}; this concadvise reads {FORMAT_VERSION}"
        )
    session = from_plain(ProfileSession, data)
    recorded = Path(session.profile.script)
    depth = len(recorded.parts)
    if recorded.is_absolute() or script.parts[-depth:] != recorded.parts:
        raise PlainDataError("", f"recorded of {recorded.as_posix()}, not of {script}")
    root = script.parents[depth - 1]
    return _with_paths(session, lambda path: str(root / path))


def _check_sources(session: ProfileSession) -> None:
    """Every source the profile measured is still the same file (findings are its lines)."""
    # concadvise: ignore[CA101]: the few source files a profile measured, each read once
    for source in session.sources:
        try:
            content = Path(source.path).read_bytes()
        except OSError:
            raise PlainDataError(
                "", f"{display_path(source.path)} was profiled but is missing"
            ) from None
        if hashlib.sha256(content).hexdigest() != source.sha256:
            raise PlainDataError(
                "", f"{display_path(source.path)} changed since it was profiled; profile it again"
            )


def load_session(path: str | Path, script: str | Path) -> ProfileSession:
    """The session saved in ``path``, recorded of ``script`` (whose folder its relative paths are
    under); every problem with the file is a one-line UsageError."""
    data = read_saved_json(path, "a concadvise profile")
    try:
        session = _session(data, Path(script).resolve())
        _check_sources(session)
    except PlainDataError as exc:
        raise UsageError(f"{path}: {exc}") from None
    return session
