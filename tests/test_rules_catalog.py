"""Every rule file carries code it must flag and code it must leave alone; run them all."""

from __future__ import annotations

import textwrap
import tomllib
from pathlib import Path

import pytest

from advisor.advice.findings import static_findings
from advisor.analysis.knowledge import load_knowledge
from advisor.analysis.loops import find_loop_sites
from advisor.analysis.source import parse_source

RULES = sorted((Path(__file__).parent.parent / "rules").glob("CA*.toml"))


def rule_codes(code: str) -> list[str]:
    source = parse_source("example.py", textwrap.dedent(code))
    return [f.rule for f in static_findings(find_loop_sites(source, load_knowledge()))]


def examples(kind: str) -> list[tuple[str, str]]:
    out = []
    for path in RULES:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
        out += [(data["id"], code) for code in data[kind]]
    return out


def test_every_rule_file_has_the_documented_fields() -> None:
    assert RULES, "no rule files found"
    for path in RULES:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
        assert data["id"] == path.stem
        for key in (
            "name",
            "summary",
            "what_it_does",
            "why_it_matters",
            "fix_safety",
            "example_flagged",
            "example_fixed",
            "must_flag",
            "must_not_flag",
        ):
            assert data[key], f"{path.name} lacks {key}"


@pytest.mark.parametrize(("rule", "code"), examples("must_flag"))
def test_rule_flags_its_examples(rule: str, code: str) -> None:
    assert rule in rule_codes(code)


@pytest.mark.parametrize(("rule", "code"), examples("must_not_flag"))
def test_rule_leaves_its_counter_examples_alone(rule: str, code: str) -> None:
    assert rule not in rule_codes(code)


@pytest.mark.parametrize("rule", [p.stem for p in RULES])
def test_the_flagged_example_is_flagged(rule: str) -> None:
    data = tomllib.loads((Path(__file__).parent.parent / "rules" / f"{rule}.toml").read_text())
    assert rule in rule_codes(data["example_flagged"])
    assert rule not in rule_codes(data["example_fixed"])
