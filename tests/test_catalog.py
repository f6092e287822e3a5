"""The rule catalog: every rule file loads, is complete and typed, its examples compile, and the
generated docs page is up to date."""

from __future__ import annotations

import copy
import tomllib
from dataclasses import fields
from pathlib import Path
from typing import Any, get_args

import pytest
from rich.console import Console

from advisor.advice.findings import AdviceSettings
from advisor.catalog import (
    DOCS_BASE,
    PROFILE_SETTINGS,
    Rule,
    get_rule,
    help_uri,
    load_catalog,
    rule_from_toml,
)
from advisor.errors import UsageError
from advisor.model import Suggestion
from advisor.report.rules_doc import (
    REGENERATE,
    catalog_markdown,
    render_rule,
    render_rule_list,
    rule_markdown,
)

ROOT = Path(__file__).resolve().parent.parent
RULE_FILES = sorted((ROOT / "rules").glob("CA*.toml"))
# DESIGN.md's catalog: every rule it lists has a file
DESIGNED = [f"CA10{n}" for n in range(1, 5)] + [f"CA20{n}" for n in range(1, 9)]
DESIGNED += [f"CA30{n}" for n in range(1, 5)] + ["CA401"]
PROFILE_ONLY = {"CA203", "CA204", "CA401"}
STRING_KEYS = (
    "id",
    "name",
    "summary",
    "suggestion",
    "applies_to",
    "what_it_does",
    "why_it_matters",
    "fix_safety",
    "known_problems",
)
BOOL_KEYS = ("fixable", "static")
EXAMPLE_KEYS = {"code", "line", "message", "safety", "fixed"}  # [example], of every rule


def all_examples() -> list[tuple[str, str, str]]:
    """Every piece of code in the catalog: examples, their fixed versions, counter-examples."""
    out = []
    for rule in load_catalog().values():
        for where, example in [("example", rule.example)] + [
            (f"must_flag[{i}]", example) for i, example in enumerate(rule.must_flag)
        ]:
            out.append((rule.id, where, example.code))
            if example.fixed is not None:
                out.append((rule.id, f"{where}.fixed", example.fixed))
        out += [
            (rule.id, f"must_not_flag[{i}]", ex.code) for i, ex in enumerate(rule.must_not_flag)
        ]
    return out


def test_the_catalog_has_every_designed_rule_in_id_order() -> None:
    catalog = load_catalog()
    assert list(catalog) == sorted(catalog)
    assert set(DESIGNED) <= set(catalog)
    assert [path.stem for path in RULE_FILES] == list(catalog)


@pytest.mark.parametrize("path", RULE_FILES, ids=lambda p: p.stem)
def test_every_rule_file_has_every_key_with_its_type(path: Path) -> None:
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    assert data["id"] == path.stem
    assert set(data) - {"must_flag", "must_not_flag"} == {*STRING_KEYS, *BOOL_KEYS, "example"}
    for key in STRING_KEYS:
        assert isinstance(data[key], str), key
        assert key == "known_problems" or data[key].strip(), f"{key} is empty"
    for key in BOOL_KEYS:
        assert isinstance(data[key], bool), key
    assert data["suggestion"] in get_args(Suggestion)
    assert data["applies_to"] in ("sync", "async", "pools")
    assert set(data["example"]) >= EXAMPLE_KEYS
    for table in (data["example"], *data.get("must_flag", []), *data.get("must_not_flag", [])):
        assert isinstance(table["code"], str) and table["code"].strip()
        assert ("profile" in table) == (not data["static"])


@pytest.mark.parametrize("rule", list(load_catalog().values()), ids=lambda r: r.id)
def test_static_rules_carry_examples_and_profile_rules_say_so(rule: Rule) -> None:
    assert rule.static == (rule.id not in PROFILE_ONLY)
    if rule.static:
        assert rule.must_flag and rule.must_not_flag
    assert rule.example_flagged != rule.example_fixed
    for example in (rule.example, *rule.must_flag, *rule.must_not_flag):
        assert (example.profile is None) == rule.static
        assert example.code.endswith("\n") and not example.code.startswith("\n")


def test_the_examples_state_lines_messages_and_fixes() -> None:
    """Fixit's full habit: every flagged example says where, what, and what its fix makes."""
    catalog = load_catalog()
    flagged = [ex for rule in catalog.values() for ex in (rule.example, *rule.must_flag)]
    assert all(ex.line >= 1 and ex.message for ex in flagged)
    fixable = [
        ex for rule in catalog.values() if rule.fixable for ex in (rule.example, *rule.must_flag)
    ]
    assert all((ex.fixed is None) != (ex.no_fix is None) for ex in fixable)


@pytest.mark.parametrize(("rule", "where", "code"), all_examples())
def test_every_example_is_a_module_that_compiles(rule: str, where: str, code: str) -> None:
    compile(code, f"<{rule} {where}>", "exec")


def test_a_malformed_rule_file_is_reported_with_its_name() -> None:
    good = tomllib.loads((ROOT / "rules" / "CA101.toml").read_text(encoding="utf-8"))
    with pytest.raises(ValueError, match=r"rules/CA999\.toml: `id`"):
        rule_from_toml("CA999.toml", good)
    with pytest.raises(ValueError, match="`suggestion`"):
        rule_from_toml("CA101.toml", {**good, "suggestion": "threads"})
    with pytest.raises(ValueError, match="`fixable`"):
        rule_from_toml("CA101.toml", {**good, "fixable": "yes"})
    with pytest.raises(ValueError, match="unknown keys"):
        rule_from_toml("CA101.toml", {**good, "sumary": "typo"})


def _with(data: dict[str, Any], where: str, **changes: Any) -> dict[str, Any]:
    """The rule file's data with ``changes`` to the table at ``where`` ("example", "must_flag[0]",
    "must_not_flag[1]"); a change to None removes the key."""
    key, _, index = where.partition("[")
    data = copy.deepcopy(data)
    table = data[key] if not index else data[key][int(index.rstrip("]"))]
    for name, value in changes.items():
        if value is None:
            del table[name]
        else:
            table[name] = value
    return data


@pytest.mark.parametrize(
    ("where", "changes", "problem"),
    [
        ("example", {"lines": 4}, r"unknown keys example\.lines"),
        ("example", {"line": "4"}, r"`example\.line` must be a line number"),
        ("example", {"line": 0}, r"`example\.line` must be a line number"),
        ("must_flag[1]", {"message": None}, r"`must_flag\[1\]\.message` must be a string"),
        ("must_flag[0]", {"safety": "maybe"}, r"`must_flag\[0\]\.safety` 'maybe' is not one of"),
        ("must_flag[2]", {"fixed": None}, r"`must_flag\[2\]` of a fixable rule needs one of"),
        ("must_flag[2]", {"no_fix": "why"}, r"`must_flag\[2\]` of a fixable rule needs one of"),
        ("example", {"fixed": None, "no_fix": "x"}, r"`example\.fixed` is the docs"),
        ("example", {"profile": "p.json"}, r"`example\.profile`: a static rule's examples"),
        ("must_not_flag[0]", {"line": 3}, r"unknown keys must_not_flag\[0\]\.line"),
        ("must_not_flag[0]", {"code": 3}, r"`must_not_flag\[0\]\.code` must be a string"),
    ],
)
def test_a_malformed_example_is_reported_with_its_place(
    where: str, changes: dict[str, Any], problem: str
) -> None:
    good = tomllib.loads((ROOT / "rules" / "CA101.toml").read_text(encoding="utf-8"))
    with pytest.raises(ValueError, match=rf"rules/CA101\.toml: {problem}"):
        rule_from_toml("CA101.toml", _with(good, where, **changes))


@pytest.mark.parametrize(
    ("where", "changes", "problem"),
    [
        ("example", {"profile": None}, r"`example\.profile` must be a string"),
        ("example", {"settings": {"cores": 8}}, r"`example\.settings` must be a table of numbers"),
        ("example", {"settings": {"dask_threshold_s": "1"}}, r"`example\.settings` must be"),
        ("must_not_flag[0]", {"profile": None}, r"`must_not_flag\[0\]\.profile` must be a"),
    ],
)
def test_every_example_of_a_profile_rule_names_its_recorded_run(
    where: str, changes: dict[str, Any], problem: str
) -> None:
    good = tomllib.loads((ROOT / "rules" / "CA401.toml").read_text(encoding="utf-8"))
    with pytest.raises(ValueError, match=rf"rules/CA401\.toml: {problem}"):
        rule_from_toml("CA401.toml", _with(good, where, **changes))


def test_the_example_settings_are_advice_settings() -> None:
    assert set(PROFILE_SETTINGS) <= {f.name for f in fields(AdviceSettings)}


def test_get_rule_finds_a_rule_in_any_case_and_rejects_unknown_codes() -> None:
    assert get_rule("ca301").name == "blocking-call-in-async"
    with pytest.raises(UsageError, match=r"unknown rule CA999; run `concadvise rules`"):
        get_rule("CA999")


def test_help_uri_is_stable() -> None:
    assert help_uri(get_rule("CA101")) == DOCS_BASE + "CA101"


def test_committed_docs_page_is_up_to_date() -> None:
    committed = (ROOT / "docs" / "rules.md").read_text(encoding="utf-8")
    assert committed == catalog_markdown(load_catalog()), f"docs/rules.md is stale: {REGENERATE}"


def test_rule_markdown_has_the_sections_in_order() -> None:
    text = rule_markdown(get_rule("CA101"))
    headings = [line for line in text.splitlines() if line.startswith("#")]
    assert headings == [
        "# CA101 serial-io-loop",
        "## What it does",
        "## Why is this bad?",
        "## Example",
        "## Use instead",
        "## Fix safety",
        "## Known problems",
        "## Detected",
    ]
    assert "```python\nimport urllib.request\n" in text


def test_a_rule_without_known_problems_has_no_such_section() -> None:
    rule = get_rule("CA101")
    bare = rule_from_toml(
        "CA101.toml",
        {
            **tomllib.loads((ROOT / "rules" / "CA101.toml").read_text(encoding="utf-8")),
            "known_problems": "",
        },
    )
    assert "Known problems" in rule_markdown(rule)
    assert "Known problems" not in rule_markdown(bare)


def recorded() -> Console:
    return Console(record=True, width=100, color_system=None)


@pytest.mark.parametrize("code", ["CA101", "CA401"])
def test_render_rule_prints_every_section(code: str) -> None:
    console = recorded()
    rule = get_rule(code)
    render_rule(rule, console)
    text = console.export_text()
    assert text.startswith(f"{code} {rule.name}")
    for section in (
        "What it does",
        "Why is this bad?",
        "Example",
        "Use instead",
        "Fix safety",
        "Known problems",
        "Detected",
    ):
        assert f"\n{section}\n" in text
    assert rule.example_flagged.splitlines()[0] in text
    assert ("Statically" in text) == rule.static
    assert ("Only with a profile" in text) == (not rule.static)


def test_render_rule_list_has_a_row_per_rule() -> None:
    console = recorded()
    catalog = load_catalog()
    render_rule_list(catalog, console)
    text = console.export_text()
    for header in ("Code", "Name", "Summary", "Fix", "Detected"):
        assert header in text
    for rule in catalog.values():
        assert f"{rule.id} │ {rule.name}" in text
    assert "profile" in text and "static" in text
