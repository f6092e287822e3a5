"""Every rule file carries code it must flag and code it must leave alone; run them through the
static engine for every rule it implements (the catalog's own shape is tested in test_catalog)."""

from __future__ import annotations

import textwrap
import tomllib
from pathlib import Path

import pytest

from advisor.analysis.detectors import analyse_content, implemented_rules
from advisor.analysis.knowledge import load_knowledge

RULES = sorted((Path(__file__).parent.parent / "rules").glob("CA*.toml"))


def rule_codes(code: str) -> list[str]:
    content = textwrap.dedent(code).encode()
    result = analyse_content("example.py", content, load_knowledge())
    assert result.errors == ()
    return [f.rule for f in result.findings]


def examples(kind: str) -> list[tuple[str, str]]:
    out = []
    for path in RULES:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
        if data["id"] in implemented_rules():
            out += [(data["id"], code) for code in data[kind]]
    return out


@pytest.mark.parametrize(("rule", "code"), examples("must_flag"))
def test_rule_flags_its_examples(rule: str, code: str) -> None:
    assert rule in rule_codes(code)


@pytest.mark.parametrize(("rule", "code"), examples("must_not_flag"))
def test_rule_leaves_its_counter_examples_alone(rule: str, code: str) -> None:
    assert rule not in rule_codes(code)


@pytest.mark.parametrize("rule", sorted(implemented_rules()))
def test_the_flagged_example_is_flagged(rule: str) -> None:
    data = tomllib.loads((Path(__file__).parent.parent / "rules" / f"{rule}.toml").read_text())
    assert rule in rule_codes(data["example_flagged"])
    assert rule not in rule_codes(data["example_fixed"])
