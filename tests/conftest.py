"""Shared test helpers: paths, a CLI runner in a real subprocess, a latency server."""

from __future__ import annotations

import dataclasses
import os
import shutil
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import settings

from advisor.analysis.detectors import analyse_content
from advisor.analysis.knowledge import load_knowledge
from advisor.catalog import Rule, get_rule
from advisor.codemods.errors import RewriteError
from advisor.codemods.fixers import FIXERS
from advisor.model import Finding

# Fuzz tests (tests/test_fuzz.py) run this many programs in CI; `--hypothesis-profile=fuzz-long`
# runs a long fuzz on demand.
settings.register_profile("default", max_examples=100)
settings.register_profile("fuzz-long", max_examples=5000)

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "fixtures"
# a recorded report (profile + apply on checksum_files.py, plus hand-added cases) for renderers
RECORDED = Path(__file__).parent / "data" / "report_profile.json"
sys.path.insert(0, str(FIXTURES))
# The tests run as a user whose virtual environment is active (.ci/run activates it; a bare
# `.venv/bin/python -m pytest` does not): the programs concadvise runs get this Python, with
# scalene, not whichever python is first on PATH.
if sys.prefix != sys.base_prefix:
    os.environ["VIRTUAL_ENV"] = sys.prefix
    os.environ["PATH"] = os.pathsep.join([str(Path(sys.prefix, "bin")), os.environ["PATH"]])

from latency_server import start_server  # noqa: E402

SAMPLE_DIFF = """\
--- a/checksum_files.py
+++ b/checksum_files.py
@@ -31,3 +31,4 @@
     paths = sorted(entry.path for entry in os.scandir(directory) if entry.is_file())
-    checksums = {path: checksum(path) for path in paths}
+    with ThreadPoolExecutor(max_workers=19) as executor:
+        checksums = dict(executor.map(lambda path: (path, checksum(path)), paths))
     for path, (crc, size) in checksums.items():
"""


def run_cli(
    *args: str,
    cwd: Path | None = None,
    timeout: float = 300,
    environ: dict[str, str] | None = None,
    input: str | None = None,
) -> subprocess.CompletedProcess:
    """Run the installed CLI the way a user does, as a real process (in ``environ``, else in
    this environment), with ``input`` on its stdin if given."""
    env = dict(os.environ if environ is None else environ, COLUMNS="200")
    return subprocess.run(
        [sys.executable, "-m", "advisor.cli", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=timeout,
        env=env,
        input=input,
    )


def rule_findings(source: str, rule: str) -> list[Finding]:
    """The static findings of ``rule`` in ``source``, which must analyse without errors."""
    result = analyse_content("m.py", source.encode(), load_knowledge())
    assert not result.errors, result.errors
    return [f for f in result.findings if f.rule == rule]


def fixed_once(before: str, rule: str, **changes: object) -> str:
    """The fix (the fixer table's, by rule) of the one finding of ``rule`` in ``before``, dedented,
    with ``changes`` to the finding (``workers=3``); it compiles, and re-analysis finds no
    finding of that rule left."""
    source = textwrap.dedent(before)
    (finding,) = rule_findings(source, rule)
    finding = dataclasses.replace(finding, **changes)  # type: ignore[arg-type]
    fixed = FIXERS[rule](source, finding)
    compile(fixed, "<fixed>", "exec", dont_inherit=True)
    assert rule_findings(fixed, rule) == []
    return fixed


def refusal(before: str, rule: str) -> str:
    """Why the fixer of ``rule`` refuses the one finding of that rule in ``before`` (whatever its
    fix_safety: the fixer itself must refuse what it cannot rewrite)."""
    source = textwrap.dedent(before)
    (finding,) = rule_findings(source, rule)
    with pytest.raises(RewriteError) as error:
        FIXERS[rule](source, finding)
    return str(error.value)


def rule_examples(rule: str) -> Rule:
    """The rule as its file states it (example_flagged, example_fixed, must_flag, ...)."""
    return get_rule(rule)


def script_stdout(source: str, tmp_path: Path, name: str) -> str:
    """Write ``source`` as a script, run it with this Python and return its stdout (exit 0)."""
    script = tmp_path / name
    script.write_text(source, encoding="utf-8")
    done = subprocess.run(
        [sys.executable, str(script)], capture_output=True, text=True, timeout=120, check=False
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


@pytest.fixture(autouse=True, scope="session")
def private_cache_dir(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """Tests (and the CLI processes they start) never write to the user's cache."""
    previous = os.environ.get("CONCADVISE_CACHE_DIR")
    os.environ["CONCADVISE_CACHE_DIR"] = str(tmp_path_factory.mktemp("cache"))
    yield
    if previous is None:
        del os.environ["CONCADVISE_CACHE_DIR"]
    else:
        os.environ["CONCADVISE_CACHE_DIR"] = previous


@pytest.fixture
def fixture_copy(tmp_path: Path):
    """Copy fixture scripts into a temporary directory so rewrites never touch the repository."""

    def copy(*names: str) -> Path:
        for name in (*names, "latency_server.py"):
            shutil.copy(FIXTURES / name, tmp_path / name)
        return tmp_path / names[0]

    return copy


@pytest.fixture(scope="session")
def pages_server() -> Iterator[str]:
    server, url = start_server(latency=0.1)
    yield url
    server.shutdown()
    server.server_close()


# ----------------------------------------------------------------------------- a fixer with a bug

CRASHING_FIXER_MARKER = "# this file makes the CA101 fixer raise"
SAFE_IO_LOOP = """\
import urllib.request


def fetch_all(urls):
    pages = []
    for url in urls:
        pages.append(urllib.request.urlopen(url).read())
    return pages
"""


class FixerBug(Exception):
    """The deliberate bug of the fixer that ``crash_tree`` installs."""


@pytest.fixture
def crash_tree(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A tree of two files with the same safe CA101 loop, and CA101's entry of the real fixer
    table swapped for one that raises FixerBug on ``crashes.py`` (it holds the marker) and
    rewrites ``fixes.py`` as the real fixer does. The working directory is the tree."""
    real = FIXERS["CA101"]

    def fixer(source: str, finding: Finding, **options: Any) -> str:
        if CRASHING_FIXER_MARKER in source:
            raise FixerBug("a deliberate bug")
        return real(source, finding, **options)

    monkeypatch.setitem(FIXERS, "CA101", fixer)
    tree = tmp_path / "tree"
    tree.mkdir()
    (tree / "crashes.py").write_text(SAFE_IO_LOOP + CRASHING_FIXER_MARKER + "\n")
    (tree / "fixes.py").write_text(SAFE_IO_LOOP)
    monkeypatch.chdir(tree)
    return tree
