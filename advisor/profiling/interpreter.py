"""Which Python runs the user's program: the one the user would have run it with.

By default the `python` of the active virtual environment (``$VIRTUAL_ENV/bin/python``), else the
first `python` (then `python3`) on PATH, not the Python concadvise itself is installed in: a
concadvise installed once (pipx) profiles a project whose virtual environment holds the script's
dependencies. ``--python PATH`` chooses another. The interpreter is asked once, in a subprocess,
what it is: its version (the bootstrap that counts loops runs inside it and needs 3.11), whether
it has scalene (scalene must run inside the profiled Python), its GIL, its library directories
(frames there are library code, not the user's) and its module search path (for `-m MODULE`).
"""

from __future__ import annotations

import functools
import importlib.util
import json
import os
import shutil
import subprocess
import sys
import sysconfig
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from advisor.errors import UsageError

MIN_VERSION = (3, 11)
_LIBRARY_PATHS = ("stdlib", "platstdlib", "purelib", "platlib")
# Asks the interpreter what it is; written to run on any Python (2.7 included) far enough to
# say its version. The working directory is dropped from sys.path first: a json.py of the
# user's must not answer for the standard library's.
_PROBE = """\
import sys
if sys.path and sys.path[0] in ("", "."):
    del sys.path[0]
info = {"version": list(sys.version_info[:3]), "executable": sys.executable}
if sys.version_info >= (3, 11):
    import importlib.util, sysconfig
    info["scalene"] = importlib.util.find_spec("scalene") is not None
    info["gil"] = bool(getattr(sys, "_is_gil_enabled", lambda: True)())
    info["library"] = [sysconfig.get_path(name) for name in LIBRARY_PATHS]
    info["path"] = [entry for entry in sys.path if entry]
import json
sys.stdout.write(json.dumps(info))
""".replace("LIBRARY_PATHS", repr(_LIBRARY_PATHS))
_PROBE_TIMEOUT_S = 60.0  # a cold interpreter on a slow disk, or a pyenv shim


@dataclass(frozen=True, slots=True)
class Interpreter:
    """A Python that runs the user's program, as it described itself."""

    executable: str  # what is run: the interpreter's own sys.executable (a venv's, not its base)
    version: tuple[int, int, int]
    has_scalene: bool
    gil_enabled: bool = True
    library_dirs: tuple[str, ...] = ()  # standard library and site-packages
    module_path: tuple[str, ...] = ()  # sys.path after the script's own directory

    @property
    def version_text(self) -> str:
        return ".".join(str(part) for part in self.version)


@functools.cache
def running_interpreter() -> Interpreter:
    """The Python concadvise runs in, described without a subprocess."""
    return Interpreter(
        executable=sys.executable,
        version=(sys.version_info.major, sys.version_info.minor, sys.version_info.micro),
        has_scalene=importlib.util.find_spec("scalene") is not None,
        gil_enabled=bool(getattr(sys, "_is_gil_enabled", lambda: True)()),
        library_dirs=tuple(sysconfig.get_path(name) for name in _LIBRARY_PATHS),
        module_path=tuple(entry for entry in sys.path[1:] if entry),
    )


def default_python(environ: Mapping[str, str]) -> str:
    """The active virtual environment's python, else the first python (python3) on PATH."""
    venv = environ.get("VIRTUAL_ENV")
    if venv:
        candidate = Path(venv, "bin", "python")
        if os.access(candidate, os.X_OK):
            return str(candidate)
        raise UsageError(
            f"the active virtual environment has no bin/python (VIRTUAL_ENV={venv}): "
            "activate another, or choose the interpreter with --python PATH"
        )
    search = environ.get("PATH", os.defpath)
    found = shutil.which("python", path=search) or shutil.which("python3", path=search)
    if found is None:
        raise UsageError(
            "no python on PATH and no active virtual environment: "
            "choose the interpreter with --python PATH"
        )
    return found


def find_interpreter(python: str | None, environ: Mapping[str, str] = os.environ) -> Interpreter:
    """The interpreter ``--python`` names (a path, or a name on PATH), else the default."""
    if python is None:
        return describe_interpreter(default_python(environ))
    named = python if os.sep in python else shutil.which(python, path=environ.get("PATH"))
    return describe_interpreter(named or python)


@functools.lru_cache(maxsize=8)
def describe_interpreter(path: str) -> Interpreter:
    """Ask ``path`` what it is. UsageError when it does not run, is not Python, or is older
    than the Pythons the bootstrap supports (3.11)."""
    try:
        probe = subprocess.run(
            [path, "-c", _PROBE],
            stdin=subprocess.DEVNULL,
            capture_output=True,
            timeout=_PROBE_TIMEOUT_S,
        )
    except FileNotFoundError:
        raise UsageError(f"no such interpreter: {path}") from None
    except PermissionError:
        raise UsageError(f"not an executable interpreter: {path}") from None
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise UsageError(f"{path} does not run as Python: {exc}") from None
    try:
        info = json.loads(probe.stdout)
        version = tuple(int(part) for part in info["version"])
    except (ValueError, KeyError, TypeError):
        said = probe.stderr.decode("utf-8", "replace").strip().splitlines()
        last = said[-1].strip() if said else ""
        last = last if len(last) <= 100 else last[:97] + "..."
        detail = f": {last}" if last else f" (exit code {probe.returncode})"
        raise UsageError(f"{path} does not run as Python{detail}") from None
    shown = ".".join(str(part) for part in version)
    if version < MIN_VERSION:
        raise UsageError(
            f"{path} is Python {shown}; concadvise runs programs on Python "
            f"{'.'.join(map(str, MIN_VERSION))} or newer: choose another with --python PATH"
        )
    return Interpreter(
        executable=str(info.get("executable") or path),
        version=(version[0], version[1], version[2]),
        has_scalene=bool(info.get("scalene")),
        gil_enabled=bool(info.get("gil", True)),
        library_dirs=tuple(str(entry) for entry in info.get("library", ()) if entry),
        module_path=tuple(str(entry) for entry in info.get("path", ())),
    )
