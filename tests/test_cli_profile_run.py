"""The user's run under `concadvise profile`: how it ended is said as the user would see it.

Real CLI, real profilers, real scripts, real signals.
"""

from __future__ import annotations

import glob
import json
import os
import shutil
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest

from advisor.profiling.counting import BOOTSTRAP
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
if os.environ.get("NEEDS_PARENT"):  # a copy of the directory alone cannot run it
    open("../needed.txt").close()
with open(os.environ["RUN_MARKS"], "a") as marks:
    marks.write("rewritten\\n" if rewritten else "original\\n")
results = []
for item in range(int(os.environ.get("ITEMS", "8"))):
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
    ("mode", "signum"),
    [
        ("profile", signal.SIGTERM),
        ("apply", signal.SIGTERM),
        ("apply", signal.SIGHUP),
        ("apply", signal.SIGINT),
        # the timed runs happen in the user's directory: the rewrite is in the user's file
        ("apply in place", signal.SIGTERM),
        # cannot be handled: the run still goes (its reaper hears of concadvise's death)
        ("profile", signal.SIGKILL),
    ],
)
def test_a_stop_signal_restores_the_file_and_ends_the_whole_run(
    tmp_path: Path, mode: str, signum: int
) -> None:
    """Signalled during the profiled run, or during a timed run of the rewrite by --apply."""
    project, temp = tmp_path / "project", tmp_path / "tmp"
    project.mkdir()
    temp.mkdir()
    (tmp_path / "needed.txt").write_text("")
    script = project / "slow_loop.py"
    script.write_text(SLOW_LOOP)
    original = script.read_bytes()
    marks = tmp_path / "marks.txt"
    command = [sys.executable, "-m", "advisor.cli", "profile", str(script), "--format", "json"]
    env = dict(os.environ, RUN_MARKS=str(marks), TMPDIR=str(temp))
    if mode == "apply in place":
        env["NEEDS_PARENT"] = "1"
    if signum == signal.SIGKILL:
        env["ITEMS"] = "400"  # a minute: only a kill ends it in time
    concadvise = subprocess.Popen(
        [*command, "--apply", "--runs", "5"] if mode.startswith("apply") else command,
        cwd=project,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    _wait_for_a_run(marks, "rewritten" if mode.startswith("apply") else "original", concadvise)
    if mode == "apply in place":
        assert script.read_bytes() != original
    concadvise.send_signal(signum)  # the run lasts 0.2 s (rewritten) to 1.2 s (original)
    _stdout, stderr = concadvise.communicate(timeout=60)
    assert script.read_bytes() == original
    if signum == signal.SIGKILL:
        assert concadvise.returncode == -signum
        deadline = time.monotonic() + 10
        while _run_processes(str(tmp_path)) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert _run_processes(str(tmp_path)) == []
        return
    assert concadvise.returncode == 128 + signum, stderr
    stopped = (
        "interrupted" if signum == signal.SIGINT else f"stopped by {signal.Signals(signum).name}"
    )
    assert stderr.splitlines()[-1] == f"concadvise: {stopped}"
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


# Imports a package that only the second virtual environment has; says which Python ran it.
GREETS = """\
import os, sys, time

import greeting


def greet(name):
    time.sleep(0.1)
    return greeting.hello(name)


with open(os.environ["SEEN_BY"], "a") as seen:
    seen.write(sys.prefix + "\\n")
names = [f"user{i}" for i in range(10)]
greetings = []
for name in names:
    greetings.append(greet(name))
print(len(greetings), greetings[-1])
"""


@pytest.fixture
def second_venv(tmp_path: Path) -> Path:
    """A virtual environment without concadvise (nor scalene, nor py-spy) that has a package
    `greeting` in its site-packages."""
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    site = subprocess.run(
        [venv / "bin" / "python", "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()
    package = Path(site, "greeting")
    package.mkdir()
    (package / "__init__.py").write_text("def hello(name):\n    return f'hello {name}'\n")
    return venv


def _run_in(venv: Path | None, *args: str, cwd: Path) -> subprocess.CompletedProcess:
    """The CLI as a user runs it with ``venv`` active (None: none active, our own on PATH)."""
    env = dict(os.environ, SEEN_BY=str(cwd / "seen.txt"))
    env.pop("VIRTUAL_ENV")
    if venv is not None:
        env.update(VIRTUAL_ENV=str(venv), PATH=f"{venv / 'bin'}{os.pathsep}{env['PATH']}")
    return run_cli(*args, cwd=cwd, environ=env)


def test_the_active_virtual_environment_runs_the_script(tmp_path: Path, second_venv: Path) -> None:
    (tmp_path / "greets.py").write_text(GREETS)
    result = _run_in(second_venv, "profile", "greets.py", "--format", "json", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["run"]["python"] == str(second_venv / "bin" / "python")
    assert report["run"]["python_version"] == ".".join(map(str, sys.version_info[:3]))
    [finding] = report["findings"]
    assert (finding["line"], finding["kind"], finding["evidence"]["iterations"]) == (15, "io", 10)
    assert (tmp_path / "seen.txt").read_text() == f"{second_venv}\n"
    (tmp_path / "report.json").write_text(result.stdout)
    table = run_cli("report", str(tmp_path / "report.json"))
    version = report["run"]["python_version"]
    assert table.stdout.startswith(
        f"Profiled with py-spy under {second_venv}/bin/python ({version})"
    )


def test_python_chooses_the_interpreter_for_scalene_and_for_the_timed_runs(
    tmp_path: Path, second_venv: Path
) -> None:
    """Scalene is not in that Python: said, and py-spy measures; --apply's timed runs (and
    `bench`) run there too, or the rewrite could not be kept."""
    (tmp_path / "greets.py").write_text(GREETS)
    python = str(second_venv / "bin" / "python")
    command = ["profile", "greets.py", "--python", python, "--profiler", "scalene"]
    result = _run_in(None, *command, "--apply", "--runs", "2", "-f", "json", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stderr.splitlines()[0] == (
        f"concadvise: scalene is not installed in {python}, which runs the script; "
        "profiling with py-spy instead"
    )
    report = json.loads(result.stdout)
    assert report["run"]["profiler"] == "py-spy"
    [verification] = report["verification"]
    assert verification["kept"] is True and verification["same_output"] is True
    (tmp_path / "greets_again.py").write_text(GREETS)
    bench = _run_in(
        None,
        "bench",
        "greets.py",
        "greets_again.py",
        "--runs",
        "1",
        "--python",
        python,
        cwd=tmp_path,
    )
    assert bench.returncode == 0, bench.stderr
    seen = (tmp_path / "seen.txt").read_text().splitlines()
    assert len(seen) == 1 + 2 * (1 + 2) + 2 * (1 + 1)  # profile, --apply's pairs, bench's pairs
    assert set(seen) == {str(second_venv)}


def _older_python() -> str | None:
    """A Python older than 3.11 on this machine, if there is one."""
    for minor in range(10, 5, -1):
        for candidate in (
            shutil.which(f"python3.{minor}"),
            *sorted(glob.glob(os.path.expanduser(f"~/.pyenv/versions/3.{minor}.*/bin/python"))),
        ):
            if (
                candidate
                and subprocess.run([candidate, "-c", ""], capture_output=True).returncode == 0
            ):
                return candidate
    return None


def test_an_older_python_is_refused_in_one_line(tmp_path: Path) -> None:
    older = _older_python()
    if older is None:
        pytest.skip("no Python older than 3.11 on this machine")
    (tmp_path / "greets.py").write_text(GREETS)
    result = _run_in(None, "profile", "greets.py", "--python", older, cwd=tmp_path)
    assert result.returncode == 2
    version = subprocess.run(
        [older, "-c", "import sys; print('%d.%d.%d' % sys.version_info[:3])"],
        capture_output=True,
        text=True,
    ).stdout.strip()
    assert result.stderr == (
        f"concadvise: error: {older} is Python {version}; concadvise runs programs on Python "
        "3.11 or newer: choose another with --python PATH\n"
    )
    assert not (tmp_path / "seen.txt").exists()
    # the bootstrap itself, run there anyway, says it in one line too
    direct = subprocess.run([older, BOOTSTRAP, "greets.py"], capture_output=True, text=True)
    minor = ".".join(version.split(".")[:2])
    assert (direct.returncode, direct.stderr) == (
        1,
        f"concadvise runs programs on Python 3.11 or newer, not {minor}\n",
    )


# Its loop's fix is safe by the source (and faster), but the log lines come out in the order
# the items finish: only the file tells.
WRITES_A_LOG = """\
import time


def fetch(item):
    time.sleep(0.2 if item % 2 else 0.3)
    with open("fetched.log", "a") as log:
        log.write(f"fetched {item}\\n")
    return item * 2


results = []
for item in range(8):
    results.append(fetch(item))
print(sum(results))
"""


def test_apply_rolls_back_a_rewrite_that_reorders_a_file_the_script_writes(
    tmp_path: Path,
) -> None:
    script = tmp_path / "writes_a_log.py"
    script.write_text(WRITES_A_LOG)
    result = run_cli("profile", str(script), "--apply", "--runs", "2", "-f", "json", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    [verification] = json.loads(result.stdout)["verification"]
    assert (verification["kept"], verification["same_output"]) == (False, False)
    assert "runs_note" not in verification  # in scratch copies, as documented
    assert verification["reason"] == (
        "file fetched.log changed (line 1 was 'fetched 0', is 'fetched 1') after the rewrite"
    )
    assert script.read_text() == WRITES_A_LOG
    # the profiled run wrote the user's log; the timed runs wrote in scratch copies
    assert (tmp_path / "fetched.log").read_text() == "".join(f"fetched {i}\n" for i in range(8))


READS_ITS_ITEMS = """\
import sys, time


def lookup(name):
    time.sleep(0.1)
    return name.upper()


names = input("names: ").split()
answers = []
for name in names:
    answers.append(lookup(name))
print(answers)
"""


def test_apply_gives_the_timed_runs_the_stdin_the_profiled_run_read(tmp_path: Path) -> None:
    """`--stdin --apply`: stdin is read once and every run reads it from its start, so the
    timed runs have the same 12 items to work on (they used to get none, and nothing won)."""
    script = tmp_path / "reads_its_items.py"
    script.write_text(READS_ITS_ITEMS)
    names = " ".join(f"n{i}" for i in range(12))
    result = run_cli(
        "profile", str(script), "--stdin", "--apply", "--runs", "1", "-f", "json",
        cwd=tmp_path, input=names + "\n",
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    [verification] = json.loads(result.stdout)["verification"]
    assert (verification["kept"], verification["same_output"]) == (True, True)
    assert verification["speedup"] > 2  # 12 items of 0.1 s each, overlapped
    assert "ThreadPoolExecutor" in script.read_text()
