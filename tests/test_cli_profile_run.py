"""The user's run under `concadvise profile`: how it ended is said as the user would see it.

Real CLI, real profilers, real scripts, real signals.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest

from conftest import run_cli

pytestmark = pytest.mark.slow

KILLS_ITSELF = """\
import os, signal, time

print("working", flush=True)
for step in range(5):
    time.sleep(0.1)
os.kill(os.getpid(), signal.SIGKILL)
"""


@pytest.mark.parametrize("profiler", ["py-spy", "scalene"])
def test_a_script_killed_by_sigkill_is_reported_as_killed(tmp_path: Path, profiler: str) -> None:
    """As the out-of-memory killer would kill it: not "exited with code 1: OSError" (py-spy's
    launcher) nor "code 247" (scalene's own exit status)."""
    script = tmp_path / "kills_itself.py"
    script.write_text(KILLS_ITSELF)
    result = run_cli("profile", str(script), "--profiler", profiler, "--format", "json")
    assert result.returncode == 2
    said = "the script was killed by SIGKILL (as the out-of-memory killer does)"
    if profiler == "py-spy":
        report = json.loads(result.stdout)
        assert report["run"]["exit_code"] == -9
        [error] = report["errors"]
        assert error["message"] == f"{said}; the findings cover what ran before"
    else:  # scalene writes its profile as the program exits: a killed one leaves none
        assert result.stderr.splitlines()[-1] == f"concadvise: error: {said}; nothing was measured"


# A loop whose fix is safe and faster: --apply rewrites it and times the two versions.
SLOW_LOOP = """\
import os, time


def fetch(item):
    time.sleep(0.15)
    return item * 2


rewritten = "from concurrent" + ".futures import" in open(__file__).read()
with open(os.environ["RUN_MARKS"], "a") as marks:
    marks.write("rewritten\\n" if rewritten else "original\\n")
results = []
for item in range(8):
    results.append(fetch(item))
print(sum(results))
"""


def _run_processes(marker: str) -> list[str]:
    """The live processes (zombies aside: no init reaps them here) whose command line holds
    ``marker``: the script, its launcher and the reaper, the samplers (their output is in the
    run's temporary folder)."""
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit() or int(entry) == os.getpid():
            continue
        try:
            state = Path(f"/proc/{entry}/stat").read_text().rsplit(")", 1)[1].split()[0]
            command = Path(f"/proc/{entry}/cmdline").read_bytes().replace(b"\0", b" ").decode()
        except (OSError, IndexError):
            continue
        if marker in command and state != "Z":
            found.append(f"{entry}: {command}")
    return found


def _wait_for_a_run(marks: Path, version: str, concadvise: subprocess.Popen) -> None:
    """Until a run of the script's ``version`` ("original", "rewritten") has started."""
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and concadvise.poll() is None:
        if marks.exists() and version in marks.read_text().splitlines():
            return
        time.sleep(0.01)
    raise AssertionError(f"no {version} run: {concadvise.communicate()}")


@pytest.mark.parametrize(
    ("apply", "signum"),
    [(False, signal.SIGTERM), (True, signal.SIGTERM), (True, signal.SIGHUP), (True, signal.SIGINT)],
)
def test_a_stop_signal_restores_the_file_and_ends_the_whole_run(
    tmp_path: Path, apply: bool, signum: int
) -> None:
    """Signalled during the profiled run, or during a timed run of the rewrite by --apply."""
    project, temp = tmp_path / "project", tmp_path / "tmp"
    project.mkdir()
    temp.mkdir()
    script = project / "slow_loop.py"
    script.write_text(SLOW_LOOP)
    original = script.read_bytes()
    marks = tmp_path / "marks.txt"
    command = [sys.executable, "-m", "advisor.cli", "profile", str(script), "--format", "json"]
    concadvise = subprocess.Popen(
        [*command, "--apply", "--runs", "5"] if apply else command,
        cwd=project,
        env=dict(os.environ, RUN_MARKS=str(marks), TMPDIR=str(temp)),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    _wait_for_a_run(marks, "rewritten" if apply else "original", concadvise)
    concadvise.send_signal(signum)  # the run lasts 0.2 s (rewritten) to 1.2 s (original)
    _stdout, stderr = concadvise.communicate(timeout=60)
    assert concadvise.returncode == 128 + signum, stderr
    stopped = (
        "interrupted" if signum == signal.SIGINT else f"stopped by {signal.Signals(signum).name}"
    )
    assert stderr.splitlines()[-1] == f"concadvise: {stopped}"
    assert script.read_bytes() == original
    assert _run_processes(str(tmp_path)) == []
    assert list(temp.iterdir()) == []


LEAVES_CHILDREN = """\
import subprocess, sys, time

sleeper = [sys.executable, "-c", "import time; time.sleep(300)", sys.argv[1]]
subprocess.Popen(sleeper, start_new_session=True)  # holds our stdout, in a session of its own
subprocess.Popen(sleeper, start_new_session=True, stdin=subprocess.DEVNULL,
                 stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # holds nothing
for step in range(int(sys.argv[2])):
    time.sleep(0.1)
print("done")
"""


@pytest.mark.parametrize("steps", [8, 1000])
def test_children_in_new_sessions_are_killed_and_named(tmp_path: Path, steps: int) -> None:
    """When the script ends (8 steps) and at the timeout (1000 steps: 100 s): neither the
    child holding stdout nor the detached one keeps the run going, or outlives it."""
    script = tmp_path / "leaves_children.py"
    script.write_text(LEAVES_CHILDREN)
    marker = uuid.uuid4().hex  # in the children's command lines
    command = ["profile", str(script), "--timeout", "3", "--format", "json"]
    result = run_cli(*command, "--", marker, str(steps), timeout=60)
    report = json.loads(result.stdout)
    child = f"`{sys.executable} -c import time; time.sleep(300) {marker}` (pid "
    if steps == 8:
        assert result.returncode == 0, result.stderr
        said = result.stderr.splitlines()[0]
        assert said.startswith("concadvise: the script left processes running when it ended")
    else:
        assert result.returncode == 2
        [error] = report["errors"]
        said = error["message"]
        assert said.startswith("the script ran past --timeout 3s; its whole process group was")
    assert said.count(child) == 2 and said.count(", in a session of its own)") == 2
    assert _run_processes(marker) == []
