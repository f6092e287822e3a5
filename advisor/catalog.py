"""The rule catalog: one TOML file per rule in ``rules/`` (installed as ``advisor.rules``).

A rule's id, name, rationale, examples and fix safety live in its own file, so the docs
(``concadvise rules``, ``docs/rules.md``) and the example tests read the same data and cannot drift.
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
from advisor.model import Suggestion

DOCS_BASE = "https://concadvise.readthedocs.io/en/latest/rules/"

AppliesTo = Literal["sync", "async", "pools"]

_RULE_FILE = re.compile(r"CA\d{3}\.toml")
_KEBAB_CASE = re.compile(r"[a-z][a-z0-9]*(-[a-z0-9]+)*")
_PROSE_KEYS = ("summary", "what_it_does", "why_it_matters", "fix_safety")
_CODE_KEYS = ("example_flagged", "example_fixed")
_EXAMPLE_LISTS = ("must_flag", "must_not_flag")
_FLAGS = ("fixable", "static")


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
    example_flagged: str  # a complete module the rule reports
    example_fixed: str  # the same module rewritten, which the rule leaves alone
    must_flag: tuple[str, ...]  # modules the rule must report (empty for profile-only rules)
    must_not_flag: tuple[str, ...]  # modules the rule must leave alone
    fixable: bool  # a rewrite exists in principle (its safety is per finding)
    static: bool  # detected from source alone; False: needs a measured profile

    @property
    def title(self) -> str:
        return f"{self.id} {self.name}"


def _code(text: str) -> str:
    """Example code without the blank lines TOML's multi-line strings leave around it."""
    return textwrap.dedent(text).strip("\n") + "\n"


def rule_from_toml(filename: str, data: dict[str, Any]) -> Rule:
    """Check one rule file's keys and types and build its Rule; ValueError names what is wrong."""

    def fail(problem: str) -> ValueError:
        return ValueError(f"rules/{filename}: {problem}")

    def text(key: str, *, may_be_empty: bool = False) -> str:
        value = data.get(key)
        if not isinstance(value, str):
            raise fail(f"`{key}` must be a string")
        if not value.strip() and not may_be_empty:
            raise fail(f"`{key}` is empty")
        return value

    unknown = sorted(set(data) - set(Rule.__slots__))
    if unknown:
        raise fail(f"unknown keys {', '.join(unknown)}")
    rule_id = text("id")
    if f"{rule_id}.toml" != filename:
        raise fail(f"`id` is {rule_id!r}, the file name says {filename.removesuffix('.toml')!r}")
    name = text("name")
    if not _KEBAB_CASE.fullmatch(name):
        raise fail(f"`name` {name!r} is not kebab-case")
    suggestion = text("suggestion")
    if suggestion not in get_args(Suggestion):
        raise fail(f"`suggestion` {suggestion!r} is not one of {', '.join(get_args(Suggestion))}")
    applies_to = text("applies_to")
    if applies_to not in get_args(AppliesTo):
        raise fail(f"`applies_to` {applies_to!r} is not one of {', '.join(get_args(AppliesTo))}")
    flags = {}
    for key in _FLAGS:
        if not isinstance(data.get(key), bool):
            raise fail(f"`{key}` must be true or false")
        flags[key] = data[key]
    examples = {}
    for key in _EXAMPLE_LISTS:
        value = data.get(key)
        if not isinstance(value, list) or not all(isinstance(code, str) for code in value):
            raise fail(f"`{key}` must be a list of code strings")
        examples[key] = tuple(_code(code) for code in value)
    if flags["static"] and not (examples["must_flag"] and examples["must_not_flag"]):
        raise fail("a static rule needs `must_flag` and `must_not_flag` examples")
    return Rule(
        id=rule_id,
        name=name,
        suggestion=suggestion,  # type: ignore[arg-type]  # checked against Suggestion above
        applies_to=applies_to,  # type: ignore[arg-type]  # checked against AppliesTo above
        **{key: text(key).strip() for key in _PROSE_KEYS},
        known_problems=text("known_problems", may_be_empty=True).strip(),
        **{key: _code(text(key)) for key in _CODE_KEYS},
        **examples,
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
