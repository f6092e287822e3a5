"""The safety corpus (issue 20): `concadvise fix` (safe fixes only) must never change what a program
does.

Every case in tests/safety_corpus/ is a small script (or a package directory with a `main.py`)
whose loop, comprehension, coroutine or pool use looks independent; most of them are not, and the
`# Class: independent` ones truly are. Each case is copied three times into a temporary directory;
`fix` rewrites one copy; every copy runs in a real subprocess (a local HTTP server stands in for
the network), and the exit code, stdout, stderr (traceback frames and line numbers masked, since
a rewrite moves lines) and the files left in the working directory of the fixed copy are compared
with an unfixed one's. The other unfixed copy is compared too, so a script that is not
deterministic by itself is caught as such.

The cases that today's engine breaks are listed in BROKEN_TODAY, each marked strictly xfail: when
the engine is fixed they XPASS, and the strict mark forces their removal from the table. The
independent cases must also stay rewritten (a fix that refuses everything is not a fix).
`python tests/test_safety_corpus.py` prints, per case, whether `fix` rewrote it and whether its
behaviour changed.
"""

from __future__ import annotations

import importlib.util
import os
import re
import shutil
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import pytest

from conftest import run_cli, start_server

CORPUS = Path(__file__).resolve().parent / "safety_corpus"
# a case runs in well under a second; one that deadlocks after the rewrite is stopped here
RUN_TIMEOUT_S = 20.0
# the corpus runs mostly sleep or wait on the local server, so more runs than cores overlap well
PARALLEL_RUNS = 8
# every case runs its per-item "network" against this server, with a short real latency
SERVER_LATENCY_S = 0.01
HEADER_FIELD = re.compile(r"^# (Class|Hazard|Independent|Prints|Requires): ?(.*)$")

# the classes of issue 20 a case declares in its `# Class:` header
CLASSES = {
    "accumulator",
    "hidden-state",
    "thread-bound",
    "external-effects",
    "exceptions",
    "coordination",
    "output-order",
    "async-blocking",
    "import-time",
    "independent",
}

# The cases that today's `fix` breaks, by the class of issue 20 they belong to. Each is a strict
# xfail: the engine change that makes one pass must remove it from this table.
BROKEN_TODAY: dict[str, str] = {}


@dataclass(frozen=True, slots=True)
class Case:
    """One corpus entry: a script file or a package directory whose entry point is main.py."""

    name: str
    source: Path
    entry: str
    hazard_class: str
    requires: tuple[str, ...]

    def missing_requirements(self) -> list[str]:
        return [module for module in self.requires if importlib.util.find_spec(module) is None]


@dataclass(frozen=True, slots=True)
class Behaviour:
    """What one run of a case did, in a form two runs of different copies can be compared by."""

    exit_code: int | str
    stdout: str
    stderr: str
    files: tuple[tuple[str, bytes], ...]


@dataclass(frozen=True, slots=True)
class Outcome:
    before: Behaviour
    before_again: Behaviour
    after: Behaviour
    fixed: bool


def _header(script: Path) -> dict[str, str]:
    """The `# Field: value` lines at the top of a script (continuation lines are not fields)."""
    fields: dict[str, str] = {}
    for line in script.read_text(encoding="utf-8").splitlines():
        if not line.startswith("#"):
            break
        if match := HEADER_FIELD.match(line):
            fields[match[1]] = match[2].strip()
    return fields


def _load_case(entry: Path) -> Case | None:
    if entry.name.startswith(("_", ".")):
        return None
    if entry.is_file() and entry.suffix == ".py":
        script, name = entry, entry.stem
    elif entry.is_dir() and (entry / "main.py").is_file():
        script, name = entry / "main.py", entry.name
    else:
        return None
    fields = _header(script)
    requires = tuple(r.strip() for r in fields.get("Requires", "").split(",") if r.strip())
    return Case(name, entry, script.name, fields.get("Class", ""), requires)


def corpus_cases() -> list[Case]:
    cases = (_load_case(entry) for entry in sorted(CORPUS.iterdir()))
    return [case for case in cases if case is not None]


CASES = corpus_cases()
CASES_BY_NAME = {case.name: case for case in CASES}


def _copy_case(case: Case, into: Path) -> Path:
    """Copy the case to ``into/<name>`` and return that directory, the script's working dir."""
    home = into / case.name
    if case.source.is_dir():
        shutil.copytree(case.source, home, ignore=shutil.ignore_patterns("__pycache__"))
    else:
        home.mkdir(parents=True)
        shutil.copy2(case.source, home / case.source.name)
    return home


def _sources(home: Path) -> dict[str, bytes]:
    return {
        str(path.relative_to(home)): path.read_bytes()
        for path in sorted(home.rglob("*"))
        if path.is_file() and "__pycache__" not in path.parts
    }


def comparable_text(text: str, home: Path) -> str:
    """The text with the copy's own directory masked (the two copies live in different ones)."""
    return text.replace(str(home), "<case>")


def comparable_stderr(text: str, home: Path) -> str:
    """stderr without what a rewrite moves by design: traceback frames, the source lines echoed
    under them and warnings, and line numbers. The exception lines and warning messages, and
    their order, stay."""
    kept = [line for line in comparable_text(text, home).splitlines() if not line[:1].isspace()]
    masked = (re.sub(r"(:\d+:)|(\bline \d+)", "<line>", line) for line in kept)
    return "\n".join(masked)


def run_case(case: Case, home: Path, base_url: str) -> Behaviour:
    """Run the case's entry point in its copy, as a user would, and record what it did."""
    sources = set(_sources(home))
    env = dict(
        os.environ,
        CORPUS_BASE_URL=base_url,
        PYTHONHASHSEED="0",
        PYTHONDONTWRITEBYTECODE="1",
    )
    try:
        done = subprocess.run(
            [sys.executable, case.entry],
            cwd=home,
            env=env,
            capture_output=True,
            text=True,
            timeout=RUN_TIMEOUT_S,
            stdin=subprocess.DEVNULL,
        )
        exit_code: int | str = done.returncode
        stdout, stderr = done.stdout, done.stderr
    except subprocess.TimeoutExpired as expired:
        exit_code = f"timed out after {RUN_TIMEOUT_S:.0f} s"
        partial = expired.stdout or b""  # bytes, even with text=True
        stdout = partial.decode(errors="replace") if isinstance(partial, bytes) else partial
        stderr = ""
    written = tuple(
        (name, content) for name, content in _sources(home).items() if name not in sources
    )
    return Behaviour(
        exit_code,
        comparable_text(stdout, home),
        comparable_stderr(stderr, home),
        written,
    )


def collect_outcomes(root: Path) -> dict[str, Outcome]:
    """Copy every runnable case three times under ``root``, `fix` one copy, run all copies."""
    runnable = [case for case in CASES if not case.missing_requirements()]
    homes = {
        side: {case.name: _copy_case(case, root / side) for case in runnable}
        for side in ("before", "before_again", "after")
    }
    originals = {name: _sources(home) for name, home in homes["after"].items()}
    fix = run_cli("fix", str(root / "after"))
    assert fix.returncode in (0, 1), fix.stdout + fix.stderr
    server, base_url = start_server(latency=SERVER_LATENCY_S)
    try:
        runs = [(side, case) for case in runnable for side in homes]
        with ThreadPoolExecutor(max_workers=PARALLEL_RUNS) as pool:
            behaviours = list(
                pool.map(lambda run: run_case(run[1], homes[run[0]][run[1].name], base_url), runs)
            )
    finally:
        server.shutdown()
        server.server_close()
    by_run = {(side, case.name): b for (side, case), b in zip(runs, behaviours, strict=True)}
    return {
        case.name: Outcome(
            before=by_run["before", case.name],
            before_again=by_run["before_again", case.name],
            after=by_run["after", case.name],
            fixed=_rewritten(originals[case.name], homes["after"][case.name]),
        )
        for case in runnable
    }


@pytest.fixture(scope="session")
def corpus_outcomes(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Outcome]:
    return collect_outcomes(tmp_path_factory.mktemp("safety_corpus"))


def _rewritten(original: dict[str, bytes], home: Path) -> bool:
    return any((home / name).read_bytes() != content for name, content in original.items())


def _skip_if_unrunnable(case: Case) -> None:
    if missing := case.missing_requirements():
        pytest.skip(f"needs {', '.join(missing)}, not importable here")


def _difference(before: Behaviour, after: Behaviour) -> str:
    lines = []
    for field in ("exit_code", "stdout", "stderr", "files"):
        was, now = getattr(before, field), getattr(after, field)
        if was != now:
            lines.append(f"{field} before: {was!r}\n{field} after:  {now!r}")
    return "\n".join(lines)


def _case_param(case: Case) -> object:
    marks = []
    if case.name in BROKEN_TODAY:
        reason = f"issue 20: {BROKEN_TODAY[case.name]}"
        marks.append(pytest.mark.xfail(strict=True, reason=reason))
    return pytest.param(case.name, marks=marks, id=case.name)


@pytest.mark.parametrize("name", [_case_param(case) for case in CASES])
def test_fix_keeps_behaviour(name: str, corpus_outcomes: dict[str, Outcome]) -> None:
    case = CASES_BY_NAME[name]
    _skip_if_unrunnable(case)
    outcome = corpus_outcomes[name]
    assert outcome.after == outcome.before, _difference(outcome.before, outcome.after)


@pytest.mark.parametrize("name", [case.name for case in CASES])
def test_case_is_deterministic(name: str, corpus_outcomes: dict[str, Outcome]) -> None:
    """A case that differs from itself unfixed would make its comparison meaningless."""
    case = CASES_BY_NAME[name]
    _skip_if_unrunnable(case)
    outcome = corpus_outcomes[name]
    assert outcome.before_again == outcome.before, _difference(outcome.before, outcome.before_again)
    assert not isinstance(outcome.before.exit_code, str), "the unfixed case must finish"


@pytest.mark.parametrize(
    "name", [case.name for case in CASES if case.hazard_class == "independent"]
)
def test_independent_case_is_rewritten(name: str, corpus_outcomes: dict[str, Outcome]) -> None:
    """Truly independent work must stay `safe` and be rewritten."""
    case = CASES_BY_NAME[name]
    _skip_if_unrunnable(case)
    assert corpus_outcomes[name].fixed


def test_every_case_states_its_class_hazard_and_output() -> None:
    for case in CASES:
        script = case.source / "main.py" if case.source.is_dir() else case.source
        fields = _header(script)
        assert fields.get("Class") in CLASSES, f"{case.name}: Class {fields.get('Class')!r}"
        assert fields.get("Hazard") or fields.get("Independent"), case.name
        assert fields.get("Prints"), case.name
    assert not set(BROKEN_TODAY) - set(CASES_BY_NAME), "BROKEN_TODAY names no such case"


def test_corpus_is_large_enough() -> None:
    independent = [case for case in CASES if case.hazard_class == "independent"]
    assert len(CASES) - len(independent) >= 80
    assert len(independent) >= 20


def print_corpus_table() -> None:
    """`python tests/test_safety_corpus.py`: per case, its class, whether `fix` rewrote it and
    whether its behaviour changed, for reading the corpus against an engine change."""
    import tempfile

    with tempfile.TemporaryDirectory() as scratch:
        outcomes = collect_outcomes(Path(scratch))
    print(f"{'case':44} {'class':17} {'rewritten':9} {'behaviour':9} table")
    for name, outcome in sorted(outcomes.items()):
        changed = "CHANGED" if outcome.after != outcome.before else "same"
        listed = "xfail" if name in BROKEN_TODAY else ""
        rewritten = "yes" if outcome.fixed else "no"
        hazard_class = CASES_BY_NAME[name].hazard_class
        print(f"{name:44} {hazard_class:17} {rewritten:9} {changed:9} {listed}")


if __name__ == "__main__":
    print_corpus_table()
