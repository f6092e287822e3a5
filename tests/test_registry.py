"""The rule registry: every rule file's `static` and `fixable` agree with the detectors and fixers,
checked when the registry is imported (by every analysing command), and never at start-up."""

from __future__ import annotations

import dataclasses
import subprocess
import sys

from advisor.analysis.checks import RuleCheck, rule_checks
from advisor.analysis.detectors import implemented_rules
from advisor.catalog import load_catalog
from advisor.codemods.fixers import FIXERS
from advisor.registry import check_registry, module_problems, registry_problems


def test_the_shipped_rules_agree_with_the_code() -> None:
    assert registry_problems(load_catalog(), implemented_rules(), FIXERS) == []
    check_registry()


def test_a_static_rule_without_a_detector_is_named() -> None:
    detected = implemented_rules() - {"CA205"}
    assert registry_problems(load_catalog(), detected, FIXERS) == [
        "rules/CA205.toml says static = true, but no detector in "
        "advisor/analysis/checks/ (or detectors.py LOOP_RULES) reports it"
    ]


def test_a_profile_rule_with_a_detector_is_named() -> None:
    assert registry_problems(load_catalog(), implemented_rules() | {"CA203"}, FIXERS) == [
        "rules/CA203.toml says static = false, but a detector in "
        "advisor/analysis/checks/ (or detectors.py LOOP_RULES) reports it"
    ]


def test_fixable_must_match_the_fixer_table() -> None:
    catalog = load_catalog()
    catalog["CA208"] = dataclasses.replace(catalog["CA208"], fixable=False)
    fixers = set(FIXERS) - {"CA304"}
    assert registry_problems(catalog, implemented_rules(), fixers) == [
        "rules/CA208.toml says fixable = false, but advisor/codemods/fixers.py FIXERS has a "
        "fixer for it",
        "rules/CA304.toml says fixable = true, but advisor/codemods/fixers.py FIXERS has no "
        "fixer for it",
    ]


def test_code_for_a_rule_without_a_file_is_named() -> None:
    problems = registry_problems(
        load_catalog(), implemented_rules() | {"CA999"}, set(FIXERS) | {"CA998"}
    )
    assert problems == [
        "advisor/analysis/checks/ (or detectors.py LOOP_RULES) reports CA999, which has no "
        "rules/CA999.toml",
        "advisor/codemods/fixers.py FIXERS fixes CA998, which has no rules/CA998.toml",
    ]


def test_every_rule_module_is_named_after_its_rule_and_has_hooks() -> None:
    catalog = load_catalog()
    checks = rule_checks()
    assert module_problems(catalog, checks) == []
    # every static rule outside the loop family is one module, found without being listed
    assert {c.rule for c in checks} == {rule.id for rule in catalog.values() if rule.static} - {
        "CA101",
        "CA102",
        "CA103",
    }
    assert all(check.hooks for check in checks)


def test_a_misnamed_or_repeated_rule_module_is_named() -> None:
    checks = [
        RuleCheck("CA206", "pool_in_loop", ()),
        RuleCheck("CA206", "pool_created_in_loop", ()),
    ]
    assert module_problems(load_catalog(), checks) == [
        "advisor/analysis/checks/pool_in_loop.py reports CA206, so it must be named "
        "pool_created_in_loop.py",
        "advisor/analysis/checks/pool_created_in_loop.py and "
        "advisor/analysis/checks/pool_in_loop.py both report CA206",
    ]


def test_help_does_not_load_the_registry() -> None:
    code = (
        "import sys, runpy\n"
        "sys.argv = ['concadvise', '--help']\n"
        "try:\n"
        "    runpy.run_module('advisor.cli', run_name='__main__')\n"
        "except SystemExit:\n"
        "    pass\n"
        "print('advisor.registry' in sys.modules)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    assert done.stdout.splitlines()[-1] == "False"
