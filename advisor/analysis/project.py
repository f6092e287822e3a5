"""The project a file belongs to: its own modules, analysed where they live.

A loop that calls ``helper.fetch(i)`` blocks if ``helper.fetch`` does, and prints if it prints:
the callee's effects are those of its module, found on disk as Python would find it for a
script (the file's own folder) or a project (the folder of the nearest ``pyproject.toml``,
``setup.py`` or ``setup.cfg``, and its ``src/``). Installed code (the standard library,
site-packages) is never "the project": its callees stay unseen, as before.

What was read is kept with a hash of its bytes, so a cached result can tell when a module it
relied on has changed.
"""

from __future__ import annotations

import hashlib
import sysconfig
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from advisor.analysis.knowledge import CallKnowledge
from advisor.errors import SourceError
from advisor.syntax.source import Source

if TYPE_CHECKING:
    from advisor.analysis.facts import ModuleFacts

_PROJECT_MARKERS = ("pyproject.toml", "setup.py", "setup.cfg")
_MAX_MODULES = 64  # a file's analysis reads at most this many of its project's modules


@dataclass
class ProjectModules:
    roots: tuple[Path, ...]  # where module names start, in Python's order
    knowledge: CallKnowledge
    # module name -> its facts (None: not a module of the project, or unreadable)
    _facts: dict[str, ModuleFacts | None] = field(default_factory=dict)
    read: dict[str, str] = field(default_factory=dict)  # path -> sha256 of its bytes

    @classmethod
    def around(cls, path: str, knowledge: CallKnowledge) -> ProjectModules | None:
        """The project of the file at ``path``; None for installed code or a file not on disk."""
        try:
            file = Path(path).resolve()
        except (OSError, RuntimeError):
            return None
        if not file.is_file() or _installed(file):
            return None
        roots = [file.parent, _above_packages(file)]
        for folder in file.parents:
            if any((folder / marker).is_file() for marker in _PROJECT_MARKERS):
                roots += [folder, folder / "src"]
                break
        return cls(tuple(dict.fromkeys(roots)), knowledge)

    def package_of(self, path: str) -> str | None:
        """The dotted package of the module at ``path`` (its folders up to the first without an
        ``__init__.py``): where its relative imports start; None for a script."""
        try:
            file = Path(path).resolve()
        except (OSError, RuntimeError):
            return None
        top = _above_packages(file)
        parts = file.parent.relative_to(top).parts
        if file.name == "__init__.py" and not parts:
            return None
        return ".".join(parts) or None

    def function(self, qualified: str) -> tuple[ModuleFacts, str] | None:
        """The module facts and function name of ``qualified`` (``helper.fetch``), when it is a
        top-level function of one of the project's modules."""
        module, _, name = qualified.rpartition(".")
        if not module or "()" in qualified:
            return None
        facts = self.module(module)
        if facts is None or name not in facts.effects.functions:
            return None
        return facts, name

    def module(self, name: str) -> ModuleFacts | None:
        if name in self._facts:
            return self._facts[name]
        self._facts[name] = None  # also guards a module that reaches itself
        if len(self._facts) > _MAX_MODULES:
            return None
        path = self._find(name)
        if path is None:
            return None
        from advisor.analysis.facts import module_facts  # facts build on this module

        try:
            data = path.read_bytes()
            source = Source.decode(str(path), data).parsed()
        except (OSError, SourceError, RecursionError):
            return None
        self.read[str(path)] = hashlib.sha256(data).hexdigest()
        facts = self._facts[name] = module_facts(source, self.knowledge, self)
        return facts

    def _find(self, name: str) -> Path | None:
        relative = Path(*name.split("."))
        for root in self.roots:
            for candidate in (root / relative.with_suffix(".py"), root / relative / "__init__.py"):
                if candidate.is_file():
                    return candidate
        return None


def _above_packages(file: Path) -> Path:
    """The folder above the file's outermost package: where its package's name starts."""
    folder = file.parent
    while (folder / "__init__.py").is_file() and folder.parent != folder:
        folder = folder.parent
    return folder


def _installed(file: Path) -> bool:
    """Is the file part of an installed distribution (the standard library, site-packages)?"""
    paths = sysconfig.get_paths()
    for key in ("stdlib", "platstdlib", "purelib", "platlib"):
        folder = paths.get(key)
        if folder and file.is_relative_to(Path(folder).resolve()):
            return True
    return "site-packages" in file.parts or "dist-packages" in file.parts
