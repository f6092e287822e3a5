"""Is the rewritten program's output the original's? Same exit code, same standard output and
standard error, and the same files written, where durations the program prints about itself do
not count.

Scripts often report their own run time ("took 1.23 s", "Elapsed: 0:00:01.2"); a faster rewrite
changes exactly those figures, so comparing bytes would reject every correct rewrite of such a
script. The rule below masks durations and nothing else, so a changed result is still caught:

1. a number directly followed by a time unit (``1.23 s``, ``350ms``, ``2.1s``, ``5 min``, ``1h``;
   units: ns us µs ms s sec secs second(s) min mins minute(s) h hr hrs hour(s)),
2. a clock-style duration: ``H:MM:SS`` with optional fraction (``0:00:01.2``, as ``timedelta``
   prints it) or ``M:SS.f`` (``1:02.5``); ``3:2`` or ``12:30`` are left alone,
3. a bare number right after a time keyword (elapsed, took, taken, time, timing, duration,
   runtime, wall), optionally after ``:``/``=`` and a unit in brackets, and only when nothing
   but the line's end or a separator (``,`` ``;`` ``)`` ``]`` ``|``) follows it: ``time: 2.1``
   and ``Elapsed 3.2, pages 20`` mask 2.1 and 3.2, never 20; ``took 42 tries`` masks nothing.

Each masked figure becomes ``<duration>``; every other character is compared exactly. A result
that is itself a duration ("total video length 30 s") is masked too: compare exactly then.

The program's own noise that no rule can know (durations in another language, "3.2 segundos", a
bare ``print(end - start)``, an object's ``0x7f...`` address) is the user's to name: each regular
expression of ``OutputRule.ignore`` (``--ignore-output``, ``ignore-output`` in
``[tool.concadvise]``) is replaced by ``<ignored>`` wherever it matches, in stdout, stderr and
files alike, whatever else the rule does.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Protocol

from advisor.profiling.exits import killed_by
from advisor.verify.file_changes import FileEffect, changed_files

DURATION_MASK = "<duration>"
IGNORED_MASK = "<ignored>"

# not part of a longer number or word: "v2.1s" and "x1s" are not durations
_NUMBER = r"(?<![\w.])\d+(?:\.\d+)?(?:[eE][-+]?\d+)?"
_UNIT = (
    r"(?:ns|us|µs|μs|ms|s|secs?|seconds?|mins?|minutes?|h|hrs?|hours?)"
    r"(?![\w])"  # "5 sheep" and "3 minimum" are not durations
)
_WITH_UNIT = re.compile(rf"{_NUMBER}\s?{_UNIT}")
_CLOCK = re.compile(r"(?<![\w.:])\d+:\d{2}(?::\d{2}(?:\.\d+)?|\.\d+)(?![\w:])")
_AFTER_KEYWORD = re.compile(
    r"(?P<keyword>\b(?:elapsed|took|taken|time|timing|duration|runtime|wall)\b"
    r"\s*(?:\((?:s|ms|sec|secs|seconds)\)|\[(?:s|ms|sec|secs|seconds)\])?\s*[:=]?\s*)"
    rf"{_NUMBER}(?=\s*(?:$|[,;)\]|]))",
    re.IGNORECASE,
)


@dataclass(frozen=True, slots=True)
class OutputRule:
    """How two runs' standard output is compared."""

    # compare the multiset of lines: for scripts that print results in completion order
    unordered: bool = False
    # mask self-reported durations (the module's rule); False compares byte for byte
    mask_durations: bool = True
    # the user's regular expressions of noise, each match replaced by IGNORED_MASK
    ignore: tuple[str, ...] = ()
    # whole lines left out, by regular expression (matched at the line's start): what a cluster
    # the rewrite runs on says about itself (Ray's "Started a local Ray instance", its raylet's
    # notes), which is not the program's output
    drop_lines: tuple[str, ...] = ()


# exact order, durations masked: what `profile --apply` and `bench` use unless told otherwise
DEFAULT_RULE = OutputRule()


class RunOutput(Protocol):
    @property
    def stdout(self) -> bytes: ...

    @property
    def exit_code(self) -> int: ...


def mask_durations(line: str) -> str:
    """The line with every duration of the module's rule replaced by ``<duration>``."""
    line = _CLOCK.sub(DURATION_MASK, line)
    line = _WITH_UNIT.sub(DURATION_MASK, line)
    return _AFTER_KEYWORD.sub(lambda m: m["keyword"] + DURATION_MASK, line)


def _lines(stdout: bytes, rule: OutputRule) -> list[str]:
    # surrogateescape: undecodable bytes still compare exactly, never raise
    lines = stdout.decode("utf-8", "surrogateescape").splitlines(keepends=True)
    if rule.drop_lines:
        dropped = [re.compile(pattern) for pattern in rule.drop_lines]
        lines = [line for line in lines if not any(d.match(line) for d in dropped)]
    if rule.mask_durations:
        lines = [mask_durations(line) for line in lines]
    for pattern in rule.ignore:  # checked when given (advisor/config.py, output_masks_for)
        mask = re.compile(pattern)
        lines = [mask.sub(IGNORED_MASK, line) for line in lines]
    return lines


def _shown(line: str) -> str:
    text = line.rstrip("\n")
    return repr(text if len(text) <= 60 else text[:57] + "...")


def _ordered_difference(expected: list[str], actual: list[str]) -> str:
    for number, (want, got) in enumerate(zip(expected, actual, strict=False), start=1):
        if want != got:
            return f"line {number} was {_shown(want)}, is {_shown(got)}"
    if len(expected) > len(actual):
        return f"{len(expected) - len(actual)} line(s) missing from line {len(actual) + 1}"
    return f"{len(actual) - len(expected)} extra line(s) from line {len(expected) + 1}"


def _unordered_difference(expected: list[str], actual: list[str]) -> str:
    missing = Counter(expected) - Counter(actual)
    extra = Counter(actual) - Counter(expected)
    if missing:
        return f"line {_shown(next(iter(missing)))} missing"
    return f"extra line {_shown(next(iter(extra)))}"


def _ending(exit_code: int) -> str:
    return killed_by(-exit_code) if exit_code < 0 else f"exit code {exit_code}"


def output_difference(
    expected: RunOutput, actual: RunOutput, rule: OutputRule = DEFAULT_RULE
) -> str | None:
    """None when the two runs count as the same output, else the first difference in a phrase."""
    if expected.exit_code != actual.exit_code:
        if expected.exit_code < 0 or actual.exit_code < 0:
            return f"{_ending(actual.exit_code)} instead of {_ending(expected.exit_code)}"
        return f"exit code changed from {expected.exit_code} to {actual.exit_code}"
    return _text_difference("standard output", expected.stdout, actual.stdout, rule)


def _text_difference(what: str, expected: bytes, actual: bytes, rule: OutputRule) -> str | None:
    if expected == actual:
        return None
    want, got = _lines(expected, rule), _lines(actual, rule)
    if rule.unordered:
        if Counter(want) == Counter(got):
            return None
        return f"{what} changed ({_unordered_difference(want, got)})"
    if want == got:
        return None
    return f"{what} changed ({_ordered_difference(want, got)})"


@dataclass(frozen=True, slots=True)
class RunRecord:
    """All that two runs of a program are compared by."""

    exit_code: int
    stdout: bytes
    stderr: bytes = b""
    # what the run did to the files it could reach, by path (advisor/verify/file_changes.py)
    files: Mapping[str, FileEffect] = field(default_factory=dict)


def run_difference(
    expected: RunRecord, actual: RunRecord, rule: OutputRule = DEFAULT_RULE
) -> str | None:
    """None when the two runs behaved the same, else the first difference in a phrase: the exit
    code, stdout, stderr (durations masked alike), then the files, each named with its first
    differing line."""
    return (
        output_difference(expected, actual, rule)
        or _text_difference("standard error", expected.stderr, actual.stderr, rule)
        or _files_difference(expected.files, actual.files, rule)
    )


_DONE = {"written": "written", "appended": "appended to", "deleted": "deleted"}


def _files_difference(
    expected: Mapping[str, FileEffect], actual: Mapping[str, FileEffect], rule: OutputRule
) -> str | None:
    for path in changed_files(expected, actual):
        want, got = expected.get(path), actual.get(path)
        if got is None:
            return f"file {path} is no longer {_DONE[want.state]}"  # type: ignore[union-attr]
        if want is None:
            return f"file {path} is {_DONE[got.state]} now"
        if want.state != got.state:
            return f"file {path} was {_DONE[want.state]}, is {_DONE[got.state]}"
        if want.digest or got.digest:
            sizes = f"{want.size} bytes before, {got.size} after"
            return f"file {path} changed ({sizes}; contents differ)"
        difference = _text_difference(f"file {path}", want.content, got.content, rule)
        if difference is not None:
            return difference
    return None
