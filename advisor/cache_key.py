"""What the findings cache is keyed on besides a file's bytes: the configuration, the rule
knowledge, and the code that decides the findings.

A cached entry is only as good as the code that produced it: after a detector changes (a
developer's checkout, an editable install), an entry keyed on the tool version alone would show
the old detector's findings. So the key hashes the source of every module that can decide what a
file's findings are, and the rule files, once per process.
"""

from __future__ import annotations

import functools
import hashlib
from importlib import resources
from pathlib import Path

import advisor
from advisor.config import Config

# Parts of the package that run, measure or render but never decide a file's static findings:
# editing them must not throw the cache away. Everything else counts, so a new package that
# decides findings is keyed without anyone remembering to list it. (``rules`` is data, hashed by
# rules_digest; an editable install keeps it outside the package directory.)
_NOT_DECIDING = frozenset(
    {"report", "verify", "profiling", "rules", "cli.py", "check.py", "fix.py", "pipeline.py"}
)


@functools.cache
def rules_digest() -> str:
    """A hash of the rule catalog and call knowledge: editing either invalidates the cache."""
    digest = hashlib.sha256()
    root = resources.files("advisor.rules")
    for folder in (root, root.joinpath("knowledge")):
        for entry in sorted(folder.iterdir(), key=lambda e: e.name):
            if entry.name.endswith(".toml"):
                digest.update(entry.name.encode() + b"\0" + entry.read_bytes())
    return digest.hexdigest()[:16]


def source_digest(package: Path) -> str:
    """A hash of the source of every module under ``package`` that decides findings (all but
    ``_NOT_DECIDING``)."""
    digest = hashlib.sha256()
    for path in sorted(package.rglob("*.py"), key=lambda p: p.relative_to(package).as_posix()):
        relative = path.relative_to(package)
        if relative.parts[0] in _NOT_DECIDING or "__pycache__" in relative.parts:
            continue
        digest.update(relative.as_posix().encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()[:16]


@functools.cache
def code_digest() -> str:
    """:func:`source_digest` of this installation, once per process (about 3 ms: 60 modules)."""
    return source_digest(Path(advisor.__file__).parent)


def findings_cache_key(config: Config) -> str:
    """Everything besides a file's bytes and the tool version that its findings depend on."""
    return f"{config.cache_key()}-{rules_digest()}-{code_digest()}"
