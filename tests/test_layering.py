"""No package imports a higher one, and the CLI starts without libcst.

The layers, lowest first: a module may import its own layer and the layers below it, never one
above, whether the import is at the top of the module or inside a function. An import under
``if TYPE_CHECKING:`` names a type for annotations only; it never runs, so it is not a
dependency of the running code and is not counted.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "advisor"

LAYERS: tuple[frozenset[str], ...] = (
    # plain data, the errors everyone raises, how a signal interrupts us, and the package itself
    # (its version only)
    frozenset({"model", "errors", "display", "interruption", "__init__"}),
    frozenset({"syntax"}),  # source, scopes and bindings, loop shapes, the edit toolkit
    # settings, the rule catalog, and what is derived from files alone: findings fingerprints,
    # the findings cache key
    frozenset({"config", "catalog", "fingerprint", "cache_key", "saved_json"}),
    frozenset({"analysis"}),
    frozenset({"profiling"}),
    frozenset({"advice"}),
    frozenset({"codemods"}),
    frozenset({"verify"}),
    frozenset({"report"}),
    frozenset({"check", "fix", "pipeline", "cli", "registry", "__main__"}),  # commands
)
RANK = {name: index for index, layer in enumerate(LAYERS) for name in layer}
# The syntax layer stands on these alone (and on the standard library and libcst).
SYNTAX_MAY_IMPORT = frozenset({"syntax", "model", "errors"})


def _modules() -> list[Path]:
    return sorted(PACKAGE.rglob("*.py"))


def _unit(path: Path) -> str:
    """The layer unit of a module: its package under advisor/, or its own name."""
    return path.relative_to(PACKAGE).parts[0].removesuffix(".py")


def _dotted(path: Path) -> list[str]:
    parts = ["advisor", *path.relative_to(PACKAGE).with_suffix("").parts]
    return parts[:-1] if parts[-1] == "__init__" else parts


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def imported_units(path: Path) -> list[tuple[int, str]]:
    """(line, unit of advisor/ imported) for every import of ``path`` that runs: top-level and
    function-level alike, relative ones resolved."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    package = _dotted(path) if path.is_relative_to(PACKAGE) else ["advisor"]
    if path.name != "__init__.py":
        package = package[:-1]
    found: list[tuple[int, str]] = []
    stack: list[ast.AST] = [tree]
    while stack:
        node = stack.pop()
        if isinstance(node, ast.If) and _is_type_checking(node.test):
            stack.extend(node.orelse)
            continue
        names: list[str] = []
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package[: len(package) - node.level + 1]
                names = [".".join([*base, *([node.module] if node.module else [])])]
            else:
                names = [node.module or ""]
            if names == ["advisor"]:  # `from advisor import x`: x, if it is a module
                names = [
                    f"advisor.{alias.name if alias.name in RANK else '__init__'}"
                    for alias in node.names
                ]
        for name in names:
            parts = name.split(".")
            if parts[0] == "advisor" and len(parts) > 1:
                found.append((node.lineno, parts[1]))  # type: ignore[attr-defined]
        stack.extend(ast.iter_child_nodes(node))
    return found


def test_every_module_belongs_to_a_layer() -> None:
    units = {_unit(path) for path in _modules()}
    assert units - RANK.keys() == set(), "place the new module or package in LAYERS"


def test_no_module_imports_a_higher_layer() -> None:
    upward = [
        f"{path.relative_to(PACKAGE.parent)}:{line} imports advisor.{unit}"
        for path in _modules()
        for line, unit in imported_units(path)
        if RANK.get(unit, len(LAYERS)) > RANK[_unit(path)]
    ]
    assert upward == []


def test_the_syntax_layer_stands_on_model_and_errors_only() -> None:
    found = [
        f"{path.relative_to(PACKAGE.parent)}:{line} imports advisor.{unit}"
        for path in sorted((PACKAGE / "syntax").rglob("*.py"))
        for line, unit in imported_units(path)
        if unit not in SYNTAX_MAY_IMPORT
    ]
    assert found == []


def test_the_check_finds_an_upward_import_at_any_depth(tmp_path: Path) -> None:
    module = tmp_path / "m.py"
    module.write_text(
        "from typing import TYPE_CHECKING\n"
        "import advisor.model\n"
        "if TYPE_CHECKING:\n"
        "    from advisor.fix import FixReport\n"
        "def f():\n"
        "    from advisor.codemods import fixers\n"
        "    import advisor.cli\n"
    )
    assert sorted(imported_units(module)) == [(2, "model"), (6, "codemods"), (7, "cli")]


def _loaded_by(argv: list[str], packages: str) -> str:
    """The CLI run in a fresh interpreter with ``argv``; the first modules it loaded for which
    ``packages`` (a Python expression of ``m``, a module name) holds, as a printed list."""
    code = (
        "import sys\n"
        f"sys.argv = ['concadvise', *{argv!r}]\n"
        "from advisor.cli import main\n"
        "try:\n"
        "    main()\n"
        "except SystemExit:\n"
        "    pass\n"
        f"loaded = sorted(m for m in sys.modules if {packages})\n"
        "print('LOADED', loaded[:3])\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    return result.stdout.splitlines()[-1]


@pytest.mark.parametrize("argv", [["--help"], ["check", "--help"], ["--version"]])
def test_the_cli_starts_without_libcst(argv: list[str]) -> None:
    """libcst costs ~0.1 s to import: only a rewrite, or a loop shape, needs it."""
    assert _loaded_by(argv, "m.split('.')[0] == 'libcst'") == "LOADED []"


@pytest.mark.parametrize("argv", [["--help"], ["profile", "--help"], ["--version"], ["rules"]])
def test_help_version_and_rules_load_no_engine(argv: list[str]) -> None:
    """Start-up (benchmarks/startup.py): the commands that only print load none of the engine's
    packages; each command imports what it needs when it runs."""
    engine = "('analysis', 'codemods', 'profiling', 'advice', 'verify', 'syntax')"
    packages = f"m.startswith('advisor.') and m.split('.')[1] in {engine}"
    assert _loaded_by(argv, packages) == "LOADED []"
