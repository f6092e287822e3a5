"""Does `concadvise fix` (safe fixes only) break real libraries? Their own tests say (issue 20).

    python benchmarks/library_safety.py [--work DIR] [--only scipy,trio] [--json PATH]
                                        [--stdlib | --no-stdlib]

For each library below, at its pinned version: install it in a scratch virtual environment (made
once under --work, reused while the pins are unchanged), copy the installed package to a scratch
folder, run the chosen test modules against the copy, apply `concadvise fix` (safe fixes only, the
default) to the copy, and run the same tests again. The table shows, per library, the files fixed,
the fixes applied, the tests run, the failures before and after, and the new failures by name.
Tests are run by pytest with a JUnit report; a test that errors counts as a failure.

The tests: trio's whole suite (15 s, less one test that hangs now and then by itself); for scipy,
networkx and sympy, whose full suites take an hour or more on 2 cores, the test modules that
exercise the files today's `fix` rewrites (the fixed test modules themselves, and the test modules
of the fixed library modules), listed with each library. A future engine that rewrites other files
should extend them.

Also counts how many findings `check` calls `safe` over the standard library, by rule (the
before/after figure of issue 20 for the README), unless --no-stdlib.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
import subprocess
import sys
import sysconfig
import time
import xml.etree.ElementTree as ElementTree
from collections import Counter
from dataclasses import asdict, dataclass
from pathlib import Path

BIN = Path(sys.executable).parent
RESULTS = Path(__file__).resolve().parent / "results" / "library_safety.json"
# pytest and the plugins the chosen test modules import; pinned so runs compare
TEST_TOOLS = ("pytest==8.3.5", "hypothesis==6.170.17", "trustme==1.2.1", "pytest-timeout==2.4.0")
# one test that hangs after a rewrite (a pool deadlock) must not hang the benchmark
TEST_TIMEOUT_S = 120


@dataclass(frozen=True, slots=True)
class Library:
    name: str  # the import name, also the folder copied
    requirement: str  # pinned
    tests: tuple[str, ...]  # test modules or folders, relative to the package folder ("" all)
    pytest_args: tuple[str, ...] = ()  # what the library's own pytest configuration adds


LIBRARIES = (
    Library(
        "scipy",
        "scipy==1.17.1",
        (
            "fft/_pocketfft/tests/test_basic.py",
            "fftpack/tests/test_basic.py",
            "integrate/tests/test_bvp.py",
            "integrate/tests/test_banded_ode_solvers.py",
            "linalg/tests/test_matfuncs.py",
            "linalg/tests/test_decomp.py",
            "optimize/tests/test_nonlin.py",
            "optimize/tests/test_cobyla.py",
            "signal/tests/test_ltisys.py",
            "stats/tests/test_kdeoth.py",
            "stats/tests/test_morestats.py",
            "stats/tests/test_mstats_extras.py",
            "stats/tests/test_multivariate.py",
        ),
    ),
    Library(
        "trio",
        "trio==0.22.2",
        ("",),  # the whole suite: about 15 s
        (
            "-p",
            "trio._tests.pytest_plugin",  # trio's pyproject adds its test runner this way
            # hangs now and then on a loaded machine, before any fix (a signal race in the test)
            "--deselect",
            "trio/_core/_tests/test_ki.py::test_ki_protection_works",
        ),
    ),
    Library(
        "networkx",
        "networkx==3.6.1",
        ("algorithms/tests/test_graph_hashing.py",),
    ),
    Library(
        "sympy",
        "sympy==1.14.0",
        (
            "physics/quantum/tests/test_represent.py",
            "utilities/_compilation/tests/test_compilation.py",
            "core/tests/test_parameters.py",
        ),
    ),
)


@dataclass(frozen=True, slots=True)
class TestRun:
    ran: int
    failed: tuple[str, ...]  # test ids that failed or errored
    seconds: float
    exit_code: int


@dataclass(frozen=True, slots=True)
class LibraryResult:
    library: str
    requirement: str
    tests: tuple[str, ...]
    files_fixed: int
    fixes_applied: int
    tests_run: int
    failures_before: int
    failures_after: int
    new_failures: tuple[str, ...]
    fixed_files: tuple[str, ...]
    seconds_before: float
    seconds_after: float


def scratch_venv(work: Path, libraries: tuple[Library, ...]) -> Path:
    """A virtual environment with the pinned libraries, rebuilt only when the pins change."""
    pins = sorted([lib.requirement for lib in libraries] + list(TEST_TOOLS))
    venv = work / "venv"
    marker = venv / "pins.txt"
    python = venv / "bin" / "python"
    if marker.is_file() and marker.read_text() == "\n".join(pins):
        return python
    if venv.exists():
        shutil.rmtree(venv)
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    subprocess.run([str(python), "-m", "pip", "install", "-q", *pins], check=True)
    marker.write_text("\n".join(pins))
    return python


def installed_folder(python: Path, package: str) -> Path:
    code = f"import {package}, pathlib; print(pathlib.Path({package}.__file__).parent)"
    done = subprocess.run([str(python), "-c", code], capture_output=True, text=True, check=True)
    return Path(done.stdout.strip())


def file_digests(folder: Path) -> dict[str, str]:
    return {
        str(path.relative_to(folder)): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted(folder.rglob("*.py"))
    }


def run_tests(python: Path, root: Path, library: Library, report: Path) -> TestRun:
    """Run the library's chosen tests against the copy under ``root`` (first on sys.path)."""
    paths = [
        str(root / library.name / test) if test else str(root / library.name)
        for test in library.tests
    ]
    env = dict(os.environ, PYTHONPATH=str(root), PYTHONDONTWRITEBYTECODE="1")
    started = time.perf_counter()
    done = subprocess.run(
        [
            str(python),
            "-m",
            "pytest",
            "-q",
            "-p",
            "no:cacheprovider",
            f"--timeout={TEST_TIMEOUT_S}",
            f"--junitxml={report}",
            "--continue-on-collection-errors",  # an optional dependency missing in one module
            *library.pytest_args,
            "--rootdir",
            str(root),
            *paths,
        ],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
    )
    seconds = time.perf_counter() - started
    ran, failed = junit_results(report)
    if ran == 0:
        raise SystemExit(f"no {library.name} test ran: {(done.stdout + done.stderr)[-800:]}")
    return TestRun(ran, tuple(sorted(failed)), seconds, done.returncode)


def junit_results(report: Path) -> tuple[int, set[str]]:
    """Tests run (not skipped) and the ids of those that failed or errored."""
    if not report.is_file():
        return 0, {"<no test report: pytest did not run>"}
    ran, failed = 0, set()
    for case in ElementTree.parse(report).getroot().iter("testcase"):
        outcomes = {child.tag for child in case}
        if "skipped" in outcomes:
            continue
        ran += 1
        if outcomes & {"failure", "error"}:
            failed.add(f"{case.get('classname')}::{case.get('name')}")
    return ran, failed


def apply_fix(folder: Path) -> int:
    """`concadvise fix` (safe fixes only) over the copy; returns the number of fixes applied."""
    done = subprocess.run(
        [str(BIN / "concadvise"), "fix", str(folder)], capture_output=True, text=True
    )
    if done.returncode not in (0, 1):
        raise SystemExit(f"concadvise fix failed on {folder}: {done.stderr.strip()[-500:]}")
    return sum(" fixed: " in line for line in done.stdout.splitlines())


def check_library(python: Path, work: Path, library: Library) -> LibraryResult:
    root = work / "copies" / library.name
    if root.exists():
        shutil.rmtree(root)
    root.mkdir(parents=True)
    installed = installed_folder(python, library.name)
    shutil.copytree(installed, root / library.name, ignore=shutil.ignore_patterns("__pycache__"))
    # wheels repaired by auditwheel load their bundled shared libraries from ../<name>.libs
    bundled = installed.parent / f"{library.name}.libs"
    if bundled.is_dir():
        shutil.copytree(bundled, root / bundled.name)
    before = run_tests(python, root, library, work / f"{library.name}-before.xml")
    digests = file_digests(root / library.name)
    fixes = apply_fix(root / library.name)
    changed = sorted(
        name
        for name, digest in file_digests(root / library.name).items()
        if digests[name] != digest
    )
    after = run_tests(python, root, library, work / f"{library.name}-after.xml")
    return LibraryResult(
        library=library.name,
        requirement=library.requirement,
        tests=library.tests,
        files_fixed=len(changed),
        fixes_applied=fixes,
        tests_run=after.ran,
        failures_before=len(before.failed),
        failures_after=len(after.failed),
        new_failures=tuple(sorted(set(after.failed) - set(before.failed))),
        fixed_files=tuple(changed),
        seconds_before=round(before.seconds, 1),
        seconds_after=round(after.seconds, 1),
    )


def stdlib_safe_findings() -> dict[str, object]:
    """How many findings `check` calls `safe` (and fixable at all) over the standard library."""
    stdlib = sysconfig.get_paths()["stdlib"]
    done = subprocess.run(
        [str(BIN / "concadvise"), "check", stdlib, "--format", "json"],
        capture_output=True,
        text=True,
    )
    findings = json.loads(done.stdout)["findings"]
    safe = Counter(f["rule"] for f in findings if f.get("fix_safety") == "safe")
    return {
        "path": stdlib,
        "findings": len(findings),
        "safe": sum(safe.values()),
        "unsafe": sum(f.get("fix_safety") == "unsafe" for f in findings),
        "safe_by_rule": dict(sorted(safe.items())),
    }


def print_table(results: list[LibraryResult]) -> None:
    header = ("library", "files fixed", "fixes", "tests run", "fail before", "fail after", "new")
    print(" | ".join(header))
    print(" | ".join("---" for _ in header))
    for r in results:
        row = (
            r.requirement,
            r.files_fixed,
            r.fixes_applied,
            r.tests_run,
            r.failures_before,
            r.failures_after,
            len(r.new_failures),
        )
        print(" | ".join(str(cell) for cell in row))
    for r in results:
        for name in r.new_failures:
            print(f"new failure in {r.library}: {name}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--work", type=Path, default=Path("/tmp/concadvise-library-safety"))
    parser.add_argument("--only", default="", help="comma-separated library names")
    parser.add_argument("--json", type=Path, default=RESULTS)
    parser.add_argument("--no-stdlib", action="store_true", help="skip the stdlib safe count")
    options = parser.parse_args()
    chosen = tuple(
        lib for lib in LIBRARIES if not options.only or lib.name in options.only.split(",")
    )
    options.work.mkdir(parents=True, exist_ok=True)
    python = scratch_venv(options.work, LIBRARIES)
    results = [check_library(python, options.work, library) for library in chosen]
    print_table(results)
    payload: dict[str, object] = {"libraries": [asdict(r) for r in results]}
    if not options.no_stdlib:
        payload["stdlib"] = stdlib_safe_findings()
        print(f"stdlib: {payload['stdlib']}")
    options.json.parent.mkdir(parents=True, exist_ok=True)
    options.json.write_text(json.dumps(payload, indent=2) + "\n")


if __name__ == "__main__":
    main()
