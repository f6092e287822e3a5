"""The rule registry: each rule's TOML, the detector that reports it and the fixer that rewrites it.

A rule file says whether its rule is found statically (``static``) and whether it has a rewrite
(``fixable``); the detectors' and fixers' tables say what the code does. They are checked against
each other when this module is imported, so a rule whose file and code disagree fails every command
that analyses code, not only the test suite: before this check, a static rule missing from the
detectors silently lost its example tests. The tables are imported here, not by the catalog, so
``concadvise --help`` and ``concadvise rules`` never pay for the analysis code.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping

from advisor.analysis.checks import RuleCheck, rule_checks
from advisor.analysis.detectors import implemented_rules
from advisor.catalog import Rule, load_catalog
from advisor.codemods.fixers import FIXERS

_DETECTORS = "advisor/analysis/checks/ (or detectors.py LOOP_RULES)"
_FIXERS = "advisor/codemods/fixers.py FIXERS"


class RegistryError(Exception):
    """The rule files and the code disagree about which rules are detected or fixed."""


def registry_problems(
    catalog: Mapping[str, Rule], detected: Collection[str], fixers: Collection[str]
) -> list[str]:
    """Every way the rule files disagree with the detected and fixed rules, one line each."""
    problems = []
    for rule in catalog.values():
        where = f"rules/{rule.id}.toml says"
        if rule.static and rule.id not in detected:
            problems.append(f"{where} static = true, but no detector in {_DETECTORS} reports it")
        if not rule.static and rule.id in detected:
            problems.append(f"{where} static = false, but a detector in {_DETECTORS} reports it")
        if rule.fixable and rule.id not in fixers:
            problems.append(f"{where} fixable = true, but {_FIXERS} has no fixer for it")
        if not rule.fixable and rule.id in fixers:
            problems.append(f"{where} fixable = false, but {_FIXERS} has a fixer for it")
    for code in sorted(set(detected) - set(catalog)):
        problems.append(f"{_DETECTORS} reports {code}, which has no rules/{code}.toml")
    for code in sorted(set(fixers) - set(catalog)):
        problems.append(f"{_FIXERS} fixes {code}, which has no rules/{code}.toml")
    return problems


def module_problems(catalog: Mapping[str, Rule], checks: Collection[RuleCheck]) -> list[str]:
    """Rule modules not named after their rule, or more than one module for a rule."""
    problems = []
    seen: dict[str, str] = {}
    for check in checks:
        where = f"advisor/analysis/checks/{check.module}.py"
        rule = catalog.get(check.rule)
        expected = rule.name.replace("-", "_") if rule is not None else None
        if expected is not None and check.module != expected:
            problems.append(f"{where} reports {check.rule}, so it must be named {expected}.py")
        if check.rule in seen:
            problems.append(f"{where} and {seen[check.rule]} both report {check.rule}")
        seen[check.rule] = where
    return problems


def check_registry() -> None:
    """Raise RegistryError naming every disagreement between the rule files and the code."""
    catalog = load_catalog()
    problems = registry_problems(catalog, implemented_rules(), FIXERS)
    problems += module_problems(catalog, rule_checks())
    if problems:
        raise RegistryError("the rule registry is inconsistent: " + "; ".join(problems))


check_registry()
