"""What `profile` runs: a script, or a module found as `python -m` would find it."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from advisor.errors import UsageError
from advisor.profiling.target import Target, module_target


def test_a_script_runs_with_its_arguments() -> None:
    target = Target("tools/run.py", ("--fast", "x"))
    assert target.python_args() == ["tools/run.py", "--fast", "x"]
    assert target.code_dir == os.path.realpath("tools")


def test_modules_are_found_in_the_working_directory_first(tmp_path: Path) -> None:
    (tmp_path / "pkg" / "tool").mkdir(parents=True)
    (tmp_path / "pkg" / "__init__.py").write_text("")
    (tmp_path / "pkg" / "tool" / "__init__.py").write_text("")
    (tmp_path / "pkg" / "tool" / "__main__.py").write_text("print('tool')\n")
    (tmp_path / "pkg" / "single.py").write_text("print('single')\n")
    tool = module_target("pkg.tool", ("a",), cwd=str(tmp_path), pass_stdin=True)
    assert tool.path == str(tmp_path / "pkg" / "tool" / "__main__.py")
    assert tool.python_args() == ["-m", "pkg.tool", "a"]
    assert (tool.code_dir, tool.cwd, tool.pass_stdin) == (str(tmp_path), str(tmp_path), True)
    single = module_target("pkg.single", cwd=str(tmp_path))
    assert single.path == str(tmp_path / "pkg" / "single.py")


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("pkg", "pkg is a package without a __main__.py: it cannot be run"),
        ("nothing_here", "no module named nothing_here"),
        ("not a-name", "not a module name: not a-name"),
    ],
)
def test_modules_that_cannot_run_are_usage_errors(tmp_path: Path, name: str, message: str) -> None:
    (tmp_path / "pkg").mkdir()
    (tmp_path / "pkg" / "__init__.py").write_text("")
    with pytest.raises(UsageError, match=message):
        module_target(name, cwd=str(tmp_path))
