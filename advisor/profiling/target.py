"""What the profiler runs: the user's program, exactly as the user would start it.

`python SCRIPT ARGS` or `python -m MODULE ARGS` with the user's Python (advisor/profiling/
interpreter.py), in the user's working directory, with the user's environment, and stdin closed
unless asked for (a profiled run must not wait on a terminal nobody watches).
"""

from __future__ import annotations

import contextlib
import os
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from advisor.errors import UsageError
from advisor.profiling.interpreter import Interpreter, running_interpreter


@dataclass(frozen=True, slots=True)
class Target:
    path: str  # the script, or the module's source file (its __main__.py for a package)
    args: tuple[str, ...] = ()
    module: str | None = None  # run as `python -m module`
    cwd: str | None = None  # None: the working directory concadvise runs in
    pass_stdin: bool = False  # hand concadvise's stdin to the program instead of closing it
    # a file every run of the program reads from its start (`profile --stdin --apply`: the
    # profiled run and the timed ones read the same bytes); wins over ``pass_stdin``
    stdin_path: str | None = None
    user_dir: str = ""  # the user's code is under it; "" = the script's directory
    # the Python that runs the program (concadvise's own unless the caller found the user's)
    interpreter: Interpreter = field(default_factory=running_interpreter)

    def command(self) -> list[str]:
        """The user's own command line: `python SCRIPT ARGS` or `python -m MODULE ARGS`."""
        return [self.interpreter.executable, *self.python_args()]

    def python_args(self) -> list[str]:
        """The arguments after `python`."""
        if self.module is not None:
            return ["-m", self.module, *self.args]
        return [self.path, *self.args]

    @property
    def code_dir(self) -> str:
        return os.path.realpath(self.user_dir or os.path.dirname(os.path.realpath(self.path)))

    @property
    def shown(self) -> str:
        return f"-m {self.module}" if self.module is not None else self.path


def module_target(
    module: str,
    args: tuple[str, ...] = (),
    *,
    cwd: str | None = None,
    pass_stdin: bool = False,
    stdin_path: str | None = None,
    interpreter: Interpreter | None = None,
) -> Target:
    """``python -m module``'s target, found without importing anything (importing a package
    would run the user's code in concadvise's own process).

    Looked for as Python would: the working directory first, then the interpreter's sys.path.
    """
    interpreter = interpreter or running_interpreter()
    root_dirs = [cwd or os.getcwd(), *interpreter.module_path]
    parts = module.split(".")
    if not all(part.isidentifier() for part in parts):
        raise UsageError(f"not a module name: {module}")
    for root in root_dirs:
        base = Path(root, *parts)
        for candidate in (base / "__main__.py", base.with_suffix(".py")):
            if candidate.is_file():
                return Target(
                    path=str(candidate),
                    args=args,
                    module=module,
                    cwd=cwd,
                    pass_stdin=pass_stdin,
                    stdin_path=stdin_path,
                    user_dir=os.path.realpath(root),
                    interpreter=interpreter,
                )
        if (base / "__init__.py").is_file():
            raise UsageError(f"{module} is a package without a __main__.py: it cannot be run")
    raise UsageError(f"no module named {module} (looked in {root_dirs[0]} and sys.path)")


@contextlib.contextmanager
def program_stdin(target: Target) -> Iterator[int | None]:
    """The stdin a run of ``target`` gets, for ``subprocess``: its file from the start, or
    concadvise's own (None: inherited), or nothing (DEVNULL)."""
    if target.stdin_path is not None:
        with open(target.stdin_path, "rb") as given:
            yield given.fileno()
    else:
        yield None if target.pass_stdin else subprocess.DEVNULL
