"""The rule catalog: one TOML file per rule in ``rules/`` (installed as ``advisor.rules``).

A rule's id, name, rationale, examples and fix safety live in its own file, so the docs
(``concadvise rules``, ``docs/rules.md``) and the example tests read the same data and cannot drift.

Its examples are tests (tests/test_rules_catalog.py), in three kinds of table::

    [example]              # the one the docs show; `fixed` is their "Use instead"
    code = '''...'''       # a complete module
    line = 4               # the line its one finding of the rule is reported at
    message = "..."        # a part of that finding's message (all of it, or a stable part)
    safety = "safe"        # the finding's fix safety: safe, unsafe or none
    fixed = '''...'''      # exactly what the rule's fixer returns for it

    [[must_flag]]          # more code to report, as [example]; for a fixable rule either
    ...                    # `fixed`, or `no_fix = "..."`: a part of why it is not rewritten

    [[must_not_flag]]      # code the rule must leave alone
    code = '''...'''

The examples of a profile-only rule (``static = false``) also name ``profile``, a run of their
code as example.py recorded under ``rules/`` (tests/record_profiles.py records them), and may
set advice thresholds for it (``settings = { dask_threshold_s = 0.5 }``).
"""

from __future__ import annotations

import functools
import re
import textwrap
import tomllib
from dataclasses import dataclass
from importlib import resources
from typing import Any, Literal, get_args

from advisor.errors import UsageError
from advisor.model import FixSafety, Suggestion

DOCS_BASE = "https://concadvise.readthedocs.io/en/latest/rules/"

AppliesTo = Literal["sync", "async", "pools"]

_RULE_FILE = re.compile(r"CA\d{3}\.toml")
_KEBAB_CASE = re.compile(r"[a-z][a-z0-9]*(-[a-z0-9]+)*")
_PROSE_KEYS = ("summary", "what_it_does", "why_it_matters", "fix_safety")
_FLAGS = ("fixable", "static")
_EXAMPLE_KEYS = ("example", "must_flag", "must_not_flag")
_KEYS = frozenset(
    {"id", "name", "suggestion", "applies_to", "known_problems", *_PROSE_KEYS, *_FLAGS}
).union(_EXAMPLE_KEYS)
_FLAGGED_KEYS = frozenset(
    {"code", "line", "message", "safety", "fixed", "no_fix", "profile", "settings"}
)
_UNFLAGGED_KEYS = frozenset({"code", "profile", "settings"})
# The advice thresholds an example run on a recorded profile may set (AdviceSettings fields):
# a recording is seconds long, so CA401's hour is out of its reach without a lower threshold.
PROFILE_SETTINGS = ("min_share", "min_speedup", "max_io_workers", "dask_threshold_s")


@dataclass(frozen=True, slots=True)
class FlaggedExample:
    """Code the rule must report: at which line, saying what, how safe its fix is, and what the
    rule's fixer makes of it. Each is a test (tests/test_rules_catalog.py), like Fixit's
    ``Invalid`` cases with their ``expected_replacement``."""

    code: str  # a complete module
    line: int  # the line the one finding of the rule is reported at
    message: str  # a part of that finding's message (all of it, or a stable part)
    safety: FixSafety  # the finding's fix_safety
    fixed: str | None = None  # what the rule's fixer returns (fixable rules)
    no_fix: str | None = None  # else: a part of why it is not rewritten (the fixer's refusal)
    profile: str | None = None  # a run of ``code`` as example.py, recorded under rules/
    settings: tuple[tuple[str, float], ...] = ()  # advice thresholds for the recorded run


@dataclass(frozen=True, slots=True)
class UnflaggedExample:
    """Code the rule must leave alone (Fixit's ``Valid`` cases)."""

    code: str
    profile: str | None = None  # a run of ``code`` as example.py, recorded under rules/
    settings: tuple[tuple[str, float], ...] = ()


@dataclass(frozen=True, slots=True)
class Rule:
    """One rule of the catalog, as its TOML file states it (prose stripped, code dedented)."""

    id: str
    name: str  # kebab-case, e.g. "serial-io-loop"
    summary: str
    suggestion: Suggestion
    applies_to: AppliesTo
    what_it_does: str  # Markdown
    why_it_matters: str  # Markdown
    fix_safety: str  # Markdown
    known_problems: str  # Markdown, may be empty
    example: FlaggedExample  # the one the docs show, with its ``fixed`` as "Use instead"
    must_flag: tuple[FlaggedExample, ...]
    must_not_flag: tuple[UnflaggedExample, ...]
    fixable: bool  # a rewrite exists in principle (its safety is per finding)
    static: bool  # detected from source alone; False: needs a measured profile

    @property
    def title(self) -> str:
        return f"{self.id} {self.name}"

    @property
    def example_flagged(self) -> str:
        """The documented module the rule reports."""
        return self.example.code

    @property
    def example_fixed(self) -> str:
        """The documented module rewritten, which the rule leaves alone."""
        assert self.example.fixed is not None  # rule_from_toml requires it
        return self.example.fixed


def _code(text: str) -> str:
    """Example code without the blank lines TOML's multi-line strings leave around it."""
    return textwrap.dedent(text).strip("\n") + "\n"


class _RuleFile:
    """The checks of one rule file's values; each failure is a ValueError naming the file."""

    def __init__(self, filename: str) -> None:
        self.filename = filename

    def fail(self, problem: str) -> ValueError:
        return ValueError(f"rules/{self.filename}: {problem}")

    def text(self, data: dict[str, Any], key: str, where: str = "", empty: bool = False) -> str:
        value = data.get(key)
        if not isinstance(value, str):
            raise self.fail(f"`{where}{key}` must be a string")
        if not value.strip() and not empty:
            raise self.fail(f"`{where}{key}` is empty")
        return value

    def optional_code(self, data: dict[str, Any], key: str, where: str) -> str | None:
        return _code(self.text(data, key, where)) if key in data else None

    def keys(self, data: Any, allowed: frozenset[str], where: str) -> dict[str, Any]:
        if not isinstance(data, dict):
            raise self.fail(f"`{where.rstrip('.')}` must be a table")
        unknown = sorted(set(data) - allowed)
        if unknown:
            raise self.fail(f"unknown keys {', '.join(where + key for key in unknown)}")
        return data

    def run_of(self, data: dict[str, Any], where: str, static: bool) -> dict[str, Any]:
        """The ``profile`` and ``settings`` of an example: every one of a profile-only rule
        has a recorded run, no example of a static rule has one."""
        if static:
            for key in ("profile", "settings"):
                if key in data:
                    raise self.fail(f"`{where}{key}`: a static rule's examples are not profiled")
            return {}
        profile = self.text(data, "profile", where)
        settings = data.get("settings", {})
        if not isinstance(settings, dict) or not all(
            key in PROFILE_SETTINGS and isinstance(v, (int, float)) and not isinstance(v, bool)
            for key, v in settings.items()
        ):
            raise self.fail(
                f"`{where}settings` must be a table of numbers among {', '.join(PROFILE_SETTINGS)}"
            )
        return {"profile": profile, "settings": tuple(sorted(settings.items()))}

    def flagged(self, data: Any, where: str, static: bool, fixable: bool) -> FlaggedExample:
        data = self.keys(data, _FLAGGED_KEYS, where)
        line = data.get("line")
        if isinstance(line, bool) or not isinstance(line, int) or line < 1:
            raise self.fail(f"`{where}line` must be a line number")
        safety = self.text(data, "safety", where)
        if safety not in get_args(FixSafety):
            raise self.fail(f"`{where}safety` {safety!r} is not one of safe, unsafe, none")
        fixed = self.optional_code(data, "fixed", where)
        no_fix = self.text(data, "no_fix", where).strip() if "no_fix" in data else None
        if fixable and (fixed is None) == (no_fix is None):
            raise self.fail(
                f"`{where.rstrip('.')}` of a fixable rule needs one of `fixed` and `no_fix`"
            )
        if not fixable and no_fix is not None:
            raise self.fail(f"`{where}no_fix`: the rule has no fix")
        return FlaggedExample(
            code=_code(self.text(data, "code", where)),
            line=line,
            message=self.text(data, "message", where).strip(),
            safety=safety,  # type: ignore[arg-type]  # checked against FixSafety above
            fixed=fixed,
            no_fix=no_fix,
            **self.run_of(data, where, static),
        )

    def unflagged(self, data: Any, where: str, static: bool) -> UnflaggedExample:
        data = self.keys(data, _UNFLAGGED_KEYS, where)
        code = _code(self.text(data, "code", where))
        return UnflaggedExample(code=code, **self.run_of(data, where, static))

    def tables(self, data: dict[str, Any], key: str) -> list[Any]:
        value = data.get(key, [])
        if not isinstance(value, list):
            raise self.fail(f"`{key}` must be tables ([[{key}]])")
        return value


def rule_from_toml(filename: str, data: dict[str, Any]) -> Rule:
    """Check one rule file's keys and types and build its Rule; ValueError names what is wrong."""
    check = _RuleFile(filename)
    unknown = sorted(set(data) - _KEYS)
    if unknown:
        raise check.fail(f"unknown keys {', '.join(unknown)}")
    rule_id = check.text(data, "id")
    if f"{rule_id}.toml" != filename:
        raise check.fail(
            f"`id` is {rule_id!r}, the file name says {filename.removesuffix('.toml')!r}"
        )
    name = check.text(data, "name")
    if not _KEBAB_CASE.fullmatch(name):
        raise check.fail(f"`name` {name!r} is not kebab-case")
    suggestion = check.text(data, "suggestion")
    if suggestion not in get_args(Suggestion):
        raise check.fail(
            f"`suggestion` {suggestion!r} is not one of {', '.join(get_args(Suggestion))}"
        )
    applies_to = check.text(data, "applies_to")
    if applies_to not in get_args(AppliesTo):
        raise check.fail(
            f"`applies_to` {applies_to!r} is not one of {', '.join(get_args(AppliesTo))}"
        )
    flags = {}
    for key in _FLAGS:
        if not isinstance(data.get(key), bool):
            raise check.fail(f"`{key}` must be true or false")
        flags[key] = data[key]
    static, fixable = flags["static"], flags["fixable"]
    example = check.flagged(data.get("example"), "example.", static, fixable)
    if example.fixed is None:
        raise check.fail('`example.fixed` is the docs\' "Use instead": every rule needs it')
    must_flag = tuple(
        check.flagged(table, f"must_flag[{i}].", static, fixable)
        for i, table in enumerate(check.tables(data, "must_flag"))
    )
    must_not_flag = tuple(
        check.unflagged(table, f"must_not_flag[{i}].", static)
        for i, table in enumerate(check.tables(data, "must_not_flag"))
    )
    if static and not (must_flag and must_not_flag):
        raise check.fail("a static rule needs `must_flag` and `must_not_flag` examples")
    return Rule(
        id=rule_id,
        name=name,
        suggestion=suggestion,  # type: ignore[arg-type]  # checked against Suggestion above
        applies_to=applies_to,  # type: ignore[arg-type]  # checked against AppliesTo above
        **{key: check.text(data, key).strip() for key in _PROSE_KEYS},
        known_problems=check.text(data, "known_problems", empty=True).strip(),
        example=example,
        must_flag=must_flag,
        must_not_flag=must_not_flag,
        **flags,
    )


@functools.cache
def _load_rules() -> tuple[Rule, ...]:
    folder = resources.files("advisor.rules")
    # concadvise: ignore[CA102]: 17 small files, once per process (~2 ms)
    rules = [
        rule_from_toml(entry.name, tomllib.loads(entry.read_text(encoding="utf-8")))
        for entry in folder.iterdir()
        if _RULE_FILE.fullmatch(entry.name)
    ]
    return tuple(sorted(rules, key=lambda rule: rule.id))


def load_catalog() -> dict[str, Rule]:
    """Every rule shipped in ``advisor.rules``, by id, in id order (a fresh dict per call)."""
    return {rule.id: rule for rule in _load_rules()}


def get_rule(code: str) -> Rule:
    """The rule with this id (case-insensitive), or a UsageError naming how to list them."""
    rule = load_catalog().get(code.strip().upper())
    if rule is None:
        raise UsageError(f"unknown rule {code}; run `concadvise rules` to list them")
    return rule


def help_uri(rule: Rule) -> str:
    """A stable documentation URL for the rule (SARIF ``helpUri``, links in reports)."""
    return f"{DOCS_BASE}{rule.id}"
