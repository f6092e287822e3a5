"""py-spy behind ProfileResult.

Real py-spy runs on the real fixtures tell waiting, Python and native time apart; the parsing of
py-spy's raw format is checked on recorded lines, without a profiler.
"""

from __future__ import annotations

import os
import shutil
import stat
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest

from advisor.advice.decision import classify_loop
from advisor.analysis.facts import module_facts
from advisor.analysis.knowledge import load_knowledge
from advisor.analysis.loops import find_loop_sites
from advisor.errors import ProfilerUnavailable
from advisor.model import Evidence, LoopSite, ProfileResult
from advisor.profiling.attribution import evidence_by_site
from advisor.profiling.pyspy_adapter import (
    MESSAGE_PREFIX,
    combine_samplers,
    find_pyspy,
    profile_with_pyspy,
    read_raw,
    refusal_in,
    user_stack,
)
from advisor.profiling.target import Target
from advisor.syntax.source import Source
from conftest import FIXTURES

# ----------------------------------------------------------------------------- real runs


def _hot_loop(script: str, profile: ProfileResult, line: int) -> tuple[LoopSite, Evidence]:
    sites = find_loop_sites(module_facts(Source.read(script), load_knowledge()))
    [site] = [s for s in sites if s.line == line]
    return site, evidence_by_site(profile, sites)[site]


@pytest.mark.slow
@pytest.mark.parametrize(
    ("fixture", "line", "kind", "last_line"),
    [
        # a slow external command per file: the process sleeps in poll/wait
        ("checksum_files.py", 32, "io", "16 files"),
        # hashlib.sha256 over 1 MB buffers: running, without the GIL
        ("hash_blocks.py", 38, "native", "40 blocks 704d0881b4b2657b"),
        # a pure-Python hash per word: running, holding the GIL
        ("word_scores.py", 48, "cpu", "4000 words, total 100361251"),
    ],
)
def test_pyspy_tells_the_kind_of_each_fixtures_hot_loop(
    fixture: str, line: int, kind: str, last_line: str
) -> None:
    script = str(FIXTURES / fixture)
    profile, run = profile_with_pyspy(Target(script), timeout=120)
    assert run.exit_code == 0 and profile is not None
    assert profile.profiler == "py-spy" and profile.complete
    assert profile.script == os.path.realpath(script)
    # py-spy's banner stays out of the script's output
    assert run.stdout.decode().splitlines()[-1] == last_line
    assert b"py-spy" not in run.stdout
    _site, evidence = _hot_loop(script, profile, line)
    assert evidence.share_of_run > 0.5  # of the whole run, interpreter start-up included
    assert classify_loop(evidence) == kind
    assert 0.5 * run.wall_s < profile.wall_s <= run.wall_s


@pytest.mark.slow
def test_only_user_frames_are_kept_and_library_time_stays_with_the_calling_line() -> None:
    script = str(FIXTURES / "checksum_files.py")
    profile, _run = profile_with_pyspy(Target(script), timeout=120)
    assert profile is not None
    assert {path for s in profile.stacks for path, _ in s.frames} == {profile.script}
    # subprocess.run's time is charged to checksum()'s call on line 20, under the loop on 32
    waiting = Counter[tuple[int, ...]]()
    for stack in profile.stacks:
        waiting[tuple(line for _, line in stack.frames)] += stack.waiting_s
    (lines, _), *_ = waiting.most_common(1)
    assert lines[-2:] == (32, 20)


@pytest.mark.slow
def test_the_exit_code_is_the_scripts_and_the_profile_is_kept_when_it_fails() -> None:
    script = str(FIXTURES / "crashes_midway.py")
    profile, run = profile_with_pyspy(Target(script), timeout=120)
    assert run.exit_code == 1
    assert run.stderr.decode().rstrip().endswith("no space left on device")
    assert profile is not None and not profile.complete and profile.exit_code == 1
    _site, evidence = _hot_loop(script, profile, 24)
    assert classify_loop(evidence) == "io"


@pytest.mark.slow
def test_a_script_killed_by_a_signal_reports_that_signal(tmp_path: Path) -> None:
    script = tmp_path / "terminates_itself.py"
    script.write_text(
        "import os, time\nprint('bye', flush=True)\ntime.sleep(0.5)\nos.kill(os.getpid(), 15)\n"
    )
    profile, run = profile_with_pyspy(Target(str(script)), timeout=60)
    bare = subprocess.run([sys.executable, str(script)], capture_output=True)
    assert run.exit_code == bare.returncode == -15
    assert run.stdout == b"bye\n"
    assert profile is not None and not profile.complete


@pytest.mark.slow
def test_pyspy_is_stopped_at_the_timeout_with_its_group_and_keeps_a_partial_profile() -> None:
    from test_profiling_scalene import _live_members_of_group

    profile, run = profile_with_pyspy(Target(str(FIXTURES / "hangs.py")), timeout=3)
    assert run.timed_out
    assert profile is not None and not profile.complete
    assert any(line == 16 for s in profile.stacks for _, line in s.frames)  # time.sleep(0.2)
    assert _live_members_of_group(run.pgid) == []


@pytest.mark.slow
def test_os_exit_keeps_the_profile_without_counts(tmp_path: Path) -> None:
    script = tmp_path / "exits_hard.py"
    script.write_text(
        "import os, time\nfor i in range(8):\n    time.sleep(0.1)\n"
        "print('done', flush=True)\nos._exit(3)\n"
    )
    profile, run = profile_with_pyspy(Target(str(script)), timeout=60)
    assert (run.exit_code, run.stdout) == (3, b"done\n")
    assert profile is not None and not profile.complete
    assert profile.loop_counts == ()  # os._exit skips the exit handlers that write them
    assert any(line == 3 for s in profile.stacks for _, line in s.frames)


@pytest.mark.slow
def test_a_child_left_running_ends_the_run_and_is_stopped(tmp_path: Path) -> None:
    from test_profiling_scalene import _live_members_of_group

    script = tmp_path / "leaves_a_child.py"
    script.write_text(
        "import subprocess, sys, time\n"
        "subprocess.Popen([sys.executable, '-c', 'import time\\nwhile True: time.sleep(0.1)'])\n"
        "for i in range(5):\n    time.sleep(0.1)\n"
    )
    profile, run = profile_with_pyspy(Target(str(script)), timeout=60)
    assert run.exit_code == 0 and run.left_running and not run.timed_out
    assert run.wall_s < 10  # not held up by the child holding stdout, nor by the samplers
    assert profile is not None and profile.complete
    assert [(c.line, c.items) for c in profile.loop_counts] == [(3, 5)]
    # the child's own samples are not the program's loop time
    assert {s.origin for s in profile.stacks if s.frames[-1][1] == 4} == {"main"}
    assert _live_members_of_group(run.pgid) == []


def pyspy_without_ptrace(directory: Path, *, only_record: bool = False) -> Path:
    """A directory holding a `py-spy` that runs the real one in a new user namespace, where the
    kernel refuses it the script's memory (as in a container without CAP_SYS_PTRACE).

    ``only_record``: the trial read (`py-spy dump`) is still allowed and only the samplers are
    refused, as for a script that makes itself unreadable after it started.
    """
    real = find_pyspy()
    unshare = shutil.which("unshare")
    if real is None or unshare is None:
        pytest.skip("needs py-spy and unshare")
    if subprocess.run([unshare, "--user", "true"], capture_output=True).returncode != 0:
        pytest.skip("user namespaces are not available here")
    directory.mkdir(parents=True, exist_ok=True)
    wrapper = directory / "py-spy"
    refused = f'exec {unshare} --user {real} "$@"'
    if only_record:
        refused = f'if [ "$1" = record ]; then {refused}; fi\nexec {real} "$@"'
    wrapper.write_text(f"#!/bin/sh\n{refused}\n")
    wrapper.chmod(wrapper.stat().st_mode | stat.S_IXUSR)
    return directory


@pytest.mark.slow
def test_no_ptrace_permission_is_found_before_the_script_runs(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    bin_dir = pyspy_without_ptrace(tmp_path / "bin")
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ['PATH']}")
    marker = tmp_path / "ran"
    script = tmp_path / "leaves_a_mark.py"
    script.write_text(f"open({str(marker)!r}, 'a').write('ran\\n')\n")
    with pytest.raises(ProfilerUnavailable, match="no permission"):
        profile_with_pyspy(Target(str(script)), timeout=60)
    assert not marker.exists()


@pytest.mark.slow
def test_refused_samplers_give_no_profile_and_say_why(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    bin_dir = pyspy_without_ptrace(tmp_path / "bin", only_record=True)
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ['PATH']}")
    # runs longer than py-spy's attempts to attach (20 x 20 ms), so the refusal is its last word
    script = tmp_path / "fails_late.py"
    script.write_text("import sys, time\ntime.sleep(1.5)\nsys.exit('failed after the work')\n")
    profile, run = profile_with_pyspy(Target(str(script)), timeout=60)
    assert profile is None
    assert run.exit_code == 1  # the script still ran, and its exit code is kept
    assert run.stderr.startswith(b"failed after the work\n")
    reason = refusal_in(run.stderr)
    assert reason is not None and "no permission" in reason


# ----------------------------------------------------------------------------- parsing

# Recorded by `py-spy record --format raw --full-filenames` on checksum_files.py (paths shortened).
_USER = [
    "<module> (/w/app/checksum_files.py:55)",
    "main (/w/app/checksum_files.py:50)",
    "report (/w/app/checksum_files.py:32)",
    "report.<locals>.<dictcomp> (/w/app/checksum_files.py:32)",
    "checksum (/w/app/checksum_files.py:20)",
    "run (/usr/lib/python3.11/subprocess.py:550)",
]
_POLL = [
    "Popen._communicate (/usr/lib/python3.11/subprocess.py:2108)",
    "_PollLikeSelector.select (/usr/lib/python3.11/selectors.py:415)",
]
_RAW = "\n".join(
    [
        ";".join([*_USER, *_POLL]) + " 143",
        ";".join([*_USER, "Popen._try_wait (/usr/lib/python3.11/subprocess.py:2011)"]) + " 7",
        "_find_and_load (<frozen importlib._bootstrap>:1173) 2",
        " 3",  # an idle thread without Python frames
    ]
)


def test_raw_lines_are_stacks_with_counts() -> None:
    counts = read_raw(_RAW)
    assert sorted(counts.values()) == [2, 7, 143]
    first = next(iter(counts))
    assert first[0] == "<module> (/w/app/checksum_files.py:55)"
    assert first[-1] == "_PollLikeSelector.select (/usr/lib/python3.11/selectors.py:415)"


def test_user_stack_keeps_the_users_frames_outermost_first() -> None:
    frames = next(iter(read_raw(_RAW)))
    assert user_stack(frames, "/w/app") == (
        ("/w/app/checksum_files.py", 55),
        ("/w/app/checksum_files.py", 50),
        ("/w/app/checksum_files.py", 32),
        ("/w/app/checksum_files.py", 32),
        ("/w/app/checksum_files.py", 20),
    )
    # a virtual environment inside the project is still a library
    venv = "run (/w/app/.venv/lib/python3.11/site-packages/requests/api.py:59)"
    assert user_stack([*frames, venv], "/w/app") == user_stack(frames, "/w/app")
    assert user_stack(["<module> (/w/application.py:1)"], "/w/app") == ()


def test_the_three_samplers_split_each_stack_into_waiting_python_and_native() -> None:
    stack = ("main (/w/app/s.py:3)", "f (/w/app/s.py:9)")
    other = ("main (/w/app/s.py:4)",)
    counts = {
        "all": Counter({stack: 100, other: 10}),
        "active": Counter({stack: 60, other: 12}),  # more than "all": sampling noise
        "gil": Counter({stack: 20, other: 3}),
    }
    samples = {s.frames[-1][1]: s for s in combine_samplers(counts, "/w/app", rate=100)}
    assert (
        samples[9].waiting_s,
        samples[9].cpu_native_s,
        samples[9].cpu_python_s,
    ) == pytest.approx((0.4, 0.4, 0.2))
    # clamped: gil <= active <= all
    assert (
        samples[4].waiting_s,
        samples[4].cpu_native_s,
        samples[4].cpu_python_s,
    ) == pytest.approx((0.0, 0.07, 0.03))


def test_refusals_are_recognised_in_the_adapters_own_lines_only() -> None:
    refused = (
        b"Traceback: permission denied in the script itself\n"
        + MESSAGE_PREFIX.encode()
        + b"the all sampler failed: no permission to read the script's memory (x)\n"
    )
    assert (
        refusal_in(refused)
        == "the all sampler failed: no permission to read the script's memory (x)"
    )
    assert refusal_in(b"PermissionError: [Errno 13] Permission denied: 'out.txt'\n") is None


# Recorded with `--threads --subprocesses` on a script with a thread pool and a (forked) process
# pool (library paths shortened).
_P = 'process 9332:"/venv/bin/python tp.py"'
_WORKER_THREAD = [
    _P,
    "thread (9338): ThreadPoolExecutor-0_1",
    "Thread._bootstrap (/usr/lib/python3.11/threading.py:1002)",
    "_worker (/usr/lib/python3.11/concurrent/futures/thread.py:83)",
    "_WorkItem.run (/usr/lib/python3.11/concurrent/futures/thread.py:58)",
    "work (/w/app/tp.py:7)",
]
_FORKED_WORKER = [
    _P,
    'process 9342:"/venv/bin/python tp.py"',
    "thread (9342): MainThread",
    "<module> (/w/app/tp.py:17)",
    "main (/w/app/tp.py:14)",  # the parent's stack at the fork
    "ProcessPoolExecutor.map (/usr/lib/python3.11/concurrent/futures/process.py:837)",
    "_process_worker (/usr/lib/python3.11/concurrent/futures/process.py:256)",
    "fetch (/w/app/tp.py:23)",
]


@pytest.mark.parametrize(
    ("frames", "origin", "user"),
    [
        ([_P, "thread (9332): MainThread", "<module> (/w/app/tp.py:17)"], "main", [17]),
        ([_P, "thread (9332)", "<module> (/w/app/tp.py:1)"], "main", [1]),  # not yet named
        (_WORKER_THREAD, "thread_pool", [7]),
        ([_P, "thread (9350): Thread-1 (serve)", "serve (/w/app/tp.py:40)"], "thread", [40]),
        (_FORKED_WORKER, "process_pool", [23]),  # the parent's frames are not the worker's
        ([_P, 'process 9360:"python helper.py"', "thread (9360): MainThread"], "process", []),
    ],
)
def test_each_stack_says_where_it_ran(frames: list[str], origin: str, user: list[int]) -> None:
    samples = combine_samplers({"all": Counter({tuple(frames): 5})}, "/w/app", rate=100)
    if not user:
        assert samples == ()
        return
    [sample] = samples
    assert sample.origin == origin
    assert [line for _, line in sample.frames] == user
