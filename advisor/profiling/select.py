"""Which profiler measures the run: the one asked for, or with `auto` the default, else the other.

`auto` falls back only when the first profiler cannot run here (not installed, no permission to
read the process, a Python it does not understand), never because the script failed: a failing
script would fail the same way under the other profiler.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Literal, Protocol

from advisor.errors import ProfilerUnavailable
from advisor.model import ProfileResult
from advisor.profiling import pyspy_adapter, scalene_adapter
from advisor.profiling.runner import CompletedRun
from advisor.profiling.target import Target

ProfilerChoice = Literal["scalene", "py-spy", "auto"]
PROFILER_CHOICES: tuple[ProfilerChoice, ...] = ("scalene", "py-spy", "auto")
# py-spy first: it added 7% to checksum_files.py's wall where scalene added 29%, and it tells
# GIL-releasing native code from GIL-holding Python: on hash_blocks.py py-spy says "native",
# scalene "cpu" (it counts sha256 without the GIL as Python time).
DEFAULT_PROFILER: Literal["scalene", "py-spy"] = "py-spy"


class _Profile(Protocol):
    def __call__(
        self, target: Target, *, timeout: float | None
    ) -> tuple[ProfileResult | None, CompletedRun]: ...


_PROFILERS: dict[str, _Profile] = {
    scalene_adapter.NAME: scalene_adapter.profile_with_scalene,
    pyspy_adapter.NAME: pyspy_adapter.profile_with_pyspy,
}


def profile_script_with(
    profiler: ProfilerChoice,
    target: Target,
    *,
    timeout: float | None,
    on_notice: Callable[[str], None],
) -> tuple[ProfileResult | None, CompletedRun]:
    """Profile ``script`` with ``profiler``; ``ProfileResult.profiler`` names the one that measured.

    Scalene runs inside the program's Python: chosen where that Python lacks it, py-spy
    measures instead, and ``on_notice`` says so. Raises ProfilerUnavailable when the chosen
    profiler (with `auto`: both) cannot run.
    """
    if profiler == scalene_adapter.NAME and not target.interpreter.has_scalene:
        on_notice(f"{scalene_adapter.not_installed(target)}; profiling with py-spy instead")
        profiler = pyspy_adapter.NAME
    if profiler != "auto":
        return _PROFILERS[profiler](target, timeout=timeout)
    first = DEFAULT_PROFILER
    second = next(name for name in _PROFILERS if name != first)
    try:
        profile, run = _PROFILERS[first](target, timeout=timeout)
    except ProfilerUnavailable as exc:
        reason = str(exc)
    else:
        reason = _could_not_profile(first, profile, run)
        if reason is None:
            return profile, run
    on_notice(f"{first} cannot run here ({reason}); profiling with {second} instead")
    try:
        return _PROFILERS[second](target, timeout=timeout)
    except ProfilerUnavailable as exc:
        raise ProfilerUnavailable(f"no profiler can run here: {reason}; {exc}") from exc


# How each adapter recognises, in a finished run's stderr, that the profiler itself was refused.
_REFUSALS: dict[str, Callable[[bytes], str | None]] = {
    pyspy_adapter.NAME: pyspy_adapter.refusal_in,
}


def _could_not_profile(name: str, profile: ProfileResult | None, run: CompletedRun) -> str | None:
    """Why the profiler itself failed on a run it had started, if that is what happened.

    py-spy checks its access before the script starts, but its samplers can still be refused
    during the run (a script that makes itself unreadable); then the script has run once already.
    """
    if profile is not None or run.timed_out or name not in _REFUSALS:
        return None
    return _REFUSALS[name](run.stderr)
