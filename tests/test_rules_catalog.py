"""Every example in a rule file is a test (Fixit's habit): code it must flag is reported at the
stated line with the stated message and fix safety, and the rule's fixer, taken from the fixer
table as `fix` takes it, turns it into exactly the stated source, which compiles and is left
alone by a second fix; code it must leave alone gets no finding of the rule. Static rules are
checked on the source, profile-only rules on a run recorded from it (rules/profiles/, recorded by
tests/record_profiles.py). The catalog's own shape is tested in test_catalog."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from advisor.advice.findings import AdviceSettings
from advisor.analysis.knowledge import load_knowledge
from advisor.catalog import FlaggedExample, Rule, UnflaggedExample, load_catalog
from advisor.codemods.errors import RewriteError
from advisor.codemods.fixers import fixer_for
from advisor.codemods.judgement import analyse_and_confirm
from advisor.model import Finding
from advisor.pipeline import advise_profile
from advisor.profiling.session import load_session

RULES = Path(__file__).resolve().parent.parent / "rules"
CATALOG = load_catalog()
Example = FlaggedExample | UnflaggedExample


def case(rule: Rule, where: str, example: Example) -> pytest.ParameterSet:
    """One example, named by its rule and its place in the file: CA101-must_flag[2]."""
    return pytest.param(rule, where, example, id=f"{rule.id}-{where}")


def flagged_examples() -> list[pytest.ParameterSet]:
    out = []
    for rule in CATALOG.values():
        out.append(case(rule, "example", rule.example))
        out += [case(rule, f"must_flag[{i}]", example) for i, example in enumerate(rule.must_flag)]
    return out


def unflagged_examples() -> list[pytest.ParameterSet]:
    return [
        case(rule, f"must_not_flag[{i}]", example)
        for rule in CATALOG.values()
        for i, example in enumerate(rule.must_not_flag)
    ]


def findings_of(rule: Rule, example: Example, tmp_path: Path) -> list[Finding]:
    """The rule's findings in the example: from its source, or from the run recorded of it."""
    if rule.static:
        result = analyse_and_confirm("example.py", example.code.encode(), load_knowledge())
        assert result.errors == ()
        findings = result.findings
    else:
        assert example.profile is not None
        script = tmp_path / "example.py"
        script.write_text(example.code, encoding="utf-8")
        session = load_session(RULES / example.profile, script)
        findings = advise_profile(session, AdviceSettings(**dict(example.settings))).findings
    return [f for f in findings if f.rule == rule.id]


@pytest.mark.parametrize(("rule", "where", "example"), flagged_examples())
def test_a_flagged_example_is_reported_at_its_line(
    rule: Rule, where: str, example: FlaggedExample, tmp_path: Path
) -> None:
    [finding] = findings_of(rule, example, tmp_path)
    assert finding.line == example.line
    assert example.message in finding.message
    assert finding.fix_safety == example.safety


@pytest.mark.parametrize(("rule", "where", "example"), flagged_examples())
def test_a_flagged_example_is_fixed_as_stated(
    rule: Rule, where: str, example: FlaggedExample, tmp_path: Path
) -> None:
    if not rule.fixable:
        pytest.skip("the rule has no fix; its example's `fixed` is advice for the docs")
    [finding] = findings_of(rule, example, tmp_path)
    fixer = fixer_for(finding)
    if example.no_fix is not None:
        if fixer is None:  # fix_safety none: the finding says why
            assert any(example.no_fix in reason for reason in finding.reasons), finding.reasons
        else:
            with pytest.raises(RewriteError) as refusal:
                fixer(example.code, finding)
            assert example.no_fix in str(refusal.value)
        return
    assert fixer is not None, f"{rule.id} {where}: no fixer for a finding of safety {finding}"
    fixed = fixer(example.code, finding)
    assert fixed == example.fixed
    compile(fixed, f"<{rule.id} {where} fixed>", "exec", dont_inherit=True)
    assert fixed_again(rule, example, fixed, finding, tmp_path) == fixed


def fixed_again(
    rule: Rule, example: FlaggedExample, fixed: str, finding: Finding, tmp_path: Path
) -> str:
    """What a second fix makes of the fixed source: statically, the rule no longer flags it;
    from a profile (which the fixed code has not had), the fixer no longer finds its target."""
    if rule.static:
        again = dataclasses.replace(example, code=fixed)
        assert findings_of(rule, again, tmp_path) == []
        return fixed
    fixer = fixer_for(finding)
    assert fixer is not None
    try:
        return fixer(fixed, finding)
    except RewriteError:
        return fixed


@pytest.mark.parametrize(("rule", "where", "example"), unflagged_examples())
def test_an_unflagged_example_is_left_alone(
    rule: Rule, where: str, example: UnflaggedExample, tmp_path: Path
) -> None:
    assert findings_of(rule, example, tmp_path) == []


@pytest.mark.parametrize("rule", list(CATALOG.values()), ids=lambda rule: rule.id)
def test_the_documented_fix_is_left_alone(rule: Rule, tmp_path: Path) -> None:
    if not rule.static:
        pytest.skip("a profile-only rule would need a run of the fixed code")
    fixed = UnflaggedExample(code=rule.example_fixed)
    assert findings_of(rule, fixed, tmp_path) == []


def test_every_recorded_profile_belongs_to_an_example() -> None:
    named = {
        example.profile
        for rule in CATALOG.values()
        for example in (rule.example, *rule.must_flag, *rule.must_not_flag)
        if example.profile is not None
    }
    recorded = {f"profiles/{path.name}" for path in (RULES / "profiles").glob("*.json")}
    assert named == recorded
