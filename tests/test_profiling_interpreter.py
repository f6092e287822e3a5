"""Which Python runs the user's program, and what it says it is (real interpreters, asked in a
subprocess)."""

from __future__ import annotations

import os
import stat
import sys
import sysconfig
from dataclasses import replace
from pathlib import Path

import pytest

from advisor.errors import UsageError
from advisor.profiling.interpreter import (
    default_python,
    describe_interpreter,
    find_interpreter,
    running_interpreter,
)


def _executable(path: Path, text: str = "#!/bin/sh\nexit 0\n") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    path.chmod(path.stat().st_mode | stat.S_IXUSR)
    return path


def test_the_active_virtual_environment_comes_first(tmp_path: Path) -> None:
    venv_python = _executable(tmp_path / "venv" / "bin" / "python")
    on_path = _executable(tmp_path / "bin" / "python")
    environ = {"VIRTUAL_ENV": str(tmp_path / "venv"), "PATH": str(tmp_path / "bin")}
    assert default_python(environ) == str(venv_python)
    assert default_python({"PATH": str(tmp_path / "bin")}) == str(on_path)


def test_python3_serves_when_there_is_no_python(tmp_path: Path) -> None:
    python3 = _executable(tmp_path / "bin" / "python3")
    assert default_python({"PATH": str(tmp_path / "bin")}) == str(python3)


@pytest.mark.parametrize(
    ("environ", "message"),
    [
        ({"PATH": ""}, "no python on PATH and no active virtual environment"),
        ({"VIRTUAL_ENV": "/no/such/venv", "PATH": ""}, "has no bin/python (VIRTUAL_ENV=/no/"),
    ],
)
def test_no_interpreter_to_be_found_is_a_usage_error(environ: dict, message: str) -> None:
    with pytest.raises(UsageError, match=message.replace("(", r"\(")):
        default_python(environ)


def test_a_real_interpreter_describes_itself() -> None:
    described = describe_interpreter(sys.executable)
    # the same but for sys.path, which pytest has changed in this process
    assert replace(described, module_path=()) == replace(running_interpreter(), module_path=())
    assert sysconfig.get_path("stdlib") in described.module_path
    assert described.version == tuple(sys.version_info[:3])
    assert described.has_scalene  # the test environment has it
    chosen = find_interpreter(
        os.path.basename(sys.executable), {"PATH": str(Path(sys.executable).parent)}
    )
    assert chosen.executable == sys.executable


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda d: d / "missing", "no such interpreter: {path}"),
        (
            lambda d: _executable(d / "ls", "#!/bin/sh\necho not python >&2\nexit 3\n"),
            "{path} does not run as Python: not python",
        ),
        (
            lambda d: _executable(d / "silent", "#!/bin/sh\nexit 3\n"),
            "{path} does not run as Python (exit code 3)",
        ),
    ],
)
def test_what_is_not_a_python_is_said_in_one_line(tmp_path: Path, make, message: str) -> None:
    path = str(make(tmp_path))
    with pytest.raises(UsageError) as raised:
        describe_interpreter(path)
    assert str(raised.value) == message.format(path=path)


def test_a_file_that_cannot_be_executed_is_not_an_interpreter(tmp_path: Path) -> None:
    path = tmp_path / "python"
    path.write_text("")
    with pytest.raises(UsageError, match="not an executable interpreter"):
        describe_interpreter(str(path))
