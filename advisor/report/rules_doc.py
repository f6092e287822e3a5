"""The rule catalog as docs: rich for `concadvise rules [CODE]`, Markdown for docs/rules.md.

Each rule is rendered in Ruff's doc shape (What it does / Why is this bad? / Example / Use instead /
Fix safety / Known problems) straight from its TOML, so the docs cannot drift from the rules.
Regenerate the committed page with ``python -m advisor.report.rules_doc docs/rules.md``.
"""

from __future__ import annotations

import sys
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from rich.console import Console, Group, RenderableType
from rich.markdown import Markdown
from rich.padding import Padding
from rich.syntax import Syntax
from rich.table import Table
from rich.text import Text

from advisor.catalog import Rule, load_catalog

REGENERATE = "python -m advisor.report.rules_doc docs/rules.md"

_APPLIES_TO = {
    "sync": "synchronous code",
    "async": "`async def` code",
    "pools": "threads, processes and pools",
}


@dataclass(frozen=True, slots=True)
class _Section:
    heading: str
    form: Literal["prose", "code"]
    body: str


def _detected(rule: Rule) -> str:
    if rule.static:
        return "Statically, from the source alone: `concadvise check` reports it."
    return (
        "Only with a profile: `concadvise profile` reports it from measured time; "
        "`concadvise check` cannot."
    )


def _facts(rule: Rule) -> str:
    fix = "available" if rule.fixable else "none"
    return f"Fix: {fix} · Applies to: {_APPLIES_TO[rule.applies_to]}"


def _sections(rule: Rule) -> list[_Section]:
    """The doc's sections in order; the one list both renderers walk."""
    sections = [
        _Section("What it does", "prose", rule.what_it_does),
        _Section("Why is this bad?", "prose", rule.why_it_matters),
        _Section("Example", "code", rule.example_flagged),
        _Section("Use instead", "code", rule.example_fixed),
        _Section("Fix safety", "prose", rule.fix_safety),
    ]
    if rule.known_problems:
        sections.append(_Section("Known problems", "prose", rule.known_problems))
    sections.append(_Section("Detected", "prose", _detected(rule)))
    return sections


def render_rule_list(catalog: Mapping[str, Rule], console: Console) -> None:
    """One line per rule: code, name, summary, whether a fix exists, how it is detected."""
    table = Table(title="Rules", title_justify="left")
    table.add_column("Code", no_wrap=True)
    table.add_column("Name", no_wrap=True)
    table.add_column("Summary", overflow="fold", ratio=1)
    table.add_column("Fix", no_wrap=True)
    table.add_column("Detected", no_wrap=True)
    for rule in catalog.values():
        table.add_row(
            Text(rule.id, style="bold"),
            Text(rule.name),
            Text(rule.summary),
            Text("yes", style="green") if rule.fixable else Text("no", style="dim"),
            Text("static") if rule.static else Text("profile", style="yellow"),
        )
    console.print(table)
    console.print("Run `concadvise rules CODE` for a rule's rationale and examples.", markup=False)


def _renderable(section: _Section) -> RenderableType:
    if section.form == "code":
        code = section.body.rstrip("\n")
        return Syntax(code, "python", theme="ansi_dark", background_color="default")
    return Markdown(section.body)


def render_rule(rule: Rule, console: Console) -> None:
    """The full doc of one rule, as `concadvise rules CODE` prints it."""
    parts: list[RenderableType] = [
        Text(rule.title, style="bold"),
        Markdown(rule.summary),
        Markdown(_facts(rule), style="dim"),
    ]
    for section in _sections(rule):
        parts.append(Text(""))
        parts.append(Text(section.heading, style="bold cyan"))
        parts.append(Padding(_renderable(section), (0, 0, 0, 2)))
    console.print(Group(*parts))


def rule_markdown(rule: Rule, level: int = 1) -> str:
    """One rule's doc in Markdown; ``level`` is the heading level of its title."""
    title = "#" * level
    heading = "#" * (level + 1)
    blocks = [f"{title} {rule.title}", rule.summary, _facts(rule)]
    for section in _sections(rule):
        blocks.append(f"{heading} {section.heading}")
        if section.form == "code":
            blocks.append(f"```python\n{section.body.rstrip()}\n```")
        else:
            blocks.append(section.body)
    return "\n\n".join(blocks) + "\n"


def _anchor(rule: Rule) -> str:
    """The anchor GitHub and MkDocs give the heading ``CA101 serial-io-loop``."""
    return f"#{rule.id.lower()}-{rule.name}"


def catalog_markdown(catalog: Mapping[str, Rule]) -> str:
    """The whole catalog as one Markdown page: an index table, then every rule."""
    lines = [
        "# Rules",
        "",
        f"<!-- Generated from rules/*.toml by `{REGENERATE}`; do not edit by hand. -->",
        "",
        "| Code | Name | Summary | Fix | Detected |",
        "|---|---|---|---|---|",
    ]
    for rule in catalog.values():
        summary = rule.summary.replace("|", "\\|")
        fix = "yes" if rule.fixable else "no"
        detected = "static" if rule.static else "profile"
        lines.append(
            f"| [{rule.id}]({_anchor(rule)}) | {rule.name} | {summary} | {fix} | {detected} |"
        )
    page = "\n".join(lines) + "\n"
    for rule in catalog.values():
        page += "\n" + rule_markdown(rule, level=2)
    return page


def main(argv: list[str]) -> None:
    """Write the catalog page to the path given, or print it."""
    page = catalog_markdown(load_catalog())
    if argv:
        Path(argv[0]).write_text(page, encoding="utf-8", newline="\n")
    else:
        sys.stdout.write(page)


if __name__ == "__main__":
    main(sys.argv[1:])
