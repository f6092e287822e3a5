"""Choosing the profiler, and `auto` falling back when one cannot run.

Profilers are made unavailable for real: a Python environment where scalene is not installed, one
where py-spy is neither on PATH nor beside Python, or a py-spy the kernel refuses to let read the
script (tests/test_profiling_pyspy.py::pyspy_without_ptrace).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest
from test_profiling_pyspy import pyspy_without_ptrace

from advisor.profiling.select import DEFAULT_PROFILER, profile_script_with
from advisor.profiling.target import Target
from conftest import ROOT

pytestmark = pytest.mark.slow

# Leaves one line in the file it is given per run, so a test can count the runs.
MARKING_SCRIPT = """\
import sys, time
with open(sys.argv[1], "a") as marks:
    marks.write("ran\\n")
for _ in range(10):  # long enough for py-spy to attach, or to be refused
    time.sleep(0.1)
print("done")
"""

# Runs the choice in another Python environment and prints what happened as JSON.
DRIVER = """\
import json, sys
from advisor.errors import ProfilerUnavailable
from advisor.profiling import select
from advisor.profiling.target import Target
choice, default, script, *args = sys.argv[1:]
select.DEFAULT_PROFILER = default
notices = []
try:
    profile, run = select.profile_script_with(
        choice, Target(script, tuple(args)), timeout=120, on_notice=notices.append
    )
except ProfilerUnavailable as exc:
    print(json.dumps({"unavailable": str(exc), "notices": notices}))
else:
    print(json.dumps({"profiler": profile and profile.profiler, "notices": notices,
                      "exit_code": run.exit_code, "stdout": run.stdout.decode()}))
"""


@pytest.fixture
def marking_script(tmp_path: Path) -> tuple[str, Path]:
    script = tmp_path / "marks.py"
    script.write_text(MARKING_SCRIPT)
    return str(script), tmp_path / "marks.txt"


def _python_without(tmp_path: Path, missing: str) -> Path:
    """A virtual environment with everything this one has, except ``missing``.

    Without "py-spy": this environment's packages are reachable, but its scripts directory (where
    py-spy lives) is not. Without "scalene": every package is linked in except scalene's.
    """
    env = tmp_path / f"without-{missing}"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(env)], check=True)
    python = env / "bin" / "python"
    site = Path(
        subprocess.run(
            [python, "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"],
            check=True,
            capture_output=True,
            text=True,
        ).stdout.strip()
    )
    ours = Path(sysconfig.get_path("purelib"))
    paths = [str(ROOT)]
    if missing == "scalene":
        for entry in ours.iterdir():
            if not entry.name.lower().startswith("scalene") and entry.suffix != ".pth":
                (site / entry.name).symlink_to(entry)
    else:
        paths.append(str(ours))
    (site / "concadvise-test.pth").write_text("\n".join(paths) + "\n")
    return python


def _choose(
    python: Path, choice: str, script: str, *args: str, default: str = DEFAULT_PROFILER, path: str
) -> dict:
    result = subprocess.run(
        [python, "-c", DRIVER, choice, default, script, *args],
        capture_output=True,
        text=True,
        timeout=300,
        env=dict(os.environ, PATH=path),
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.splitlines()[-1])


# A PATH with the usual system tools and no py-spy on it.
SYSTEM_PATH = os.pathsep.join(["/usr/local/bin", "/usr/bin", "/bin"])


@pytest.mark.parametrize("choice", ["scalene", "py-spy"])
def test_the_chosen_profiler_measures(choice: str, marking_script: tuple[str, Path]) -> None:
    script, marks = marking_script
    notices: list[str] = []
    profile, run = profile_script_with(
        choice, Target(script, (str(marks),)), timeout=120, on_notice=notices.append
    )
    assert profile is not None and profile.profiler == choice
    assert run.exit_code == 0 and run.stdout == b"done\n"
    assert notices == [] and marks.read_text() == "ran\n"


def test_auto_uses_the_default_when_it_can_run(marking_script: tuple[str, Path]) -> None:
    script, marks = marking_script
    notices: list[str] = []
    profile, _run = profile_script_with(
        "auto", Target(script, (str(marks),)), timeout=120, on_notice=notices.append
    )
    assert profile is not None and profile.profiler == DEFAULT_PROFILER == "py-spy"
    assert notices == []


def test_auto_falls_back_to_scalene_when_pyspy_is_not_installed(
    tmp_path: Path, marking_script: tuple[str, Path]
) -> None:
    python = _python_without(tmp_path, "py-spy")
    script, marks = marking_script
    outcome = _choose(python, "auto", script, str(marks), path=SYSTEM_PATH)
    assert outcome["profiler"] == "scalene" and outcome["exit_code"] == 0
    [notice] = outcome["notices"]
    assert notice.startswith("py-spy cannot run here (py-spy is not installed")
    assert notice.endswith("profiling with scalene instead")
    assert marks.read_text() == "ran\n"


def test_auto_falls_back_to_scalene_when_pyspy_may_not_read_the_process(
    tmp_path: Path, marking_script: tuple[str, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    bin_dir = pyspy_without_ptrace(tmp_path / "bin")
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ['PATH']}")
    script, marks = marking_script
    notices: list[str] = []
    profile, run = profile_script_with(
        "auto", Target(script, (str(marks),)), timeout=120, on_notice=notices.append
    )
    assert profile is not None and profile.profiler == "scalene"
    assert run.stdout == b"done\n"
    [notice] = notices
    assert "no permission to read the script's memory" in notice
    assert marks.read_text() == "ran\n"  # the refusal was found before the script ran


def test_auto_falls_back_when_pyspys_samplers_are_refused_during_the_run(
    tmp_path: Path, marking_script: tuple[str, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    bin_dir = pyspy_without_ptrace(tmp_path / "bin", only_record=True)
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ['PATH']}")
    script, marks = marking_script
    notices: list[str] = []
    profile, _run = profile_script_with(
        "auto", Target(script, (str(marks),)), timeout=120, on_notice=notices.append
    )
    assert profile is not None and profile.profiler == "scalene"
    assert len(notices) == 1 and "no permission" in notices[0]
    assert marks.read_text() == "ran\nran\n"  # found only after a run: the script ran twice


def test_auto_falls_back_to_pyspy_when_scalene_is_the_default_and_not_installed(
    tmp_path: Path, marking_script: tuple[str, Path]
) -> None:
    python = _python_without(tmp_path, "scalene")
    script, marks = marking_script
    path = os.pathsep.join([sysconfig.get_path("scripts"), SYSTEM_PATH])
    outcome = _choose(python, "auto", script, str(marks), default="scalene", path=path)
    assert outcome["profiler"] == "py-spy" and outcome["stdout"] == "done\n"
    assert outcome["notices"] == [
        f"scalene cannot run here (scalene is not installed in {python}, which runs the "
        "script); profiling with py-spy instead"
    ]


def test_scalene_chosen_where_the_scripts_python_lacks_it_is_replaced_by_pyspy(
    tmp_path: Path, marking_script: tuple[str, Path]
) -> None:
    """Scalene must run inside the program's Python: said in one line, py-spy measures."""
    python = _python_without(tmp_path, "scalene")
    script, marks = marking_script
    path = os.pathsep.join([sysconfig.get_path("scripts"), SYSTEM_PATH])
    outcome = _choose(python, "scalene", script, str(marks), path=path)
    assert outcome["profiler"] == "py-spy" and outcome["stdout"] == "done\n"
    assert outcome["notices"] == [
        f"scalene is not installed in {python}, which runs the script; "
        "profiling with py-spy instead"
    ]
    assert marks.read_text() == "ran\n"


def test_a_chosen_profiler_that_cannot_run_is_not_replaced(
    tmp_path: Path, marking_script: tuple[str, Path]
) -> None:
    python = _python_without(tmp_path, "py-spy")
    script, marks = marking_script
    outcome = _choose(python, "py-spy", script, str(marks), path=SYSTEM_PATH)
    assert outcome["unavailable"].startswith("py-spy is not installed")
    assert outcome["notices"] == []
    assert not marks.exists()


def test_auto_with_neither_profiler_says_why_for_both(
    tmp_path: Path, marking_script: tuple[str, Path]
) -> None:
    python = _python_without(tmp_path, "scalene")  # and its scripts directory has no py-spy
    script, marks = marking_script
    outcome = _choose(python, "auto", script, str(marks), path=SYSTEM_PATH)
    assert outcome["unavailable"].startswith("no profiler can run here: py-spy is not installed")
    assert outcome["unavailable"].endswith(
        f"scalene is not installed in {python}, which runs the script"
    )
    assert len(outcome["notices"]) == 1
    assert not marks.exists()
