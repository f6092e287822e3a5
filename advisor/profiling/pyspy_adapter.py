"""py-spy behind our ProfileResult: the only module that knows py-spy's command line and output.

For every sample py-spy knows whether the thread was running (its OS state is R) and whether it
held the GIL, but no output format says so: `record` can only *filter* samples by these flags
(`--idle` keeps the idle ones, `--gil` keeps only the GIL holder's). So three samplers record the
same run at once, each with its own filter, and for each stack of user frames

    waiting = all - active      Python (GIL held) = gil      native (GIL released) = active - gil

GIL-holding C code (json.loads, a bytes copy) counts as Python, which is what the advice needs:
threads cannot overlap it. The samplers tick independently, so a share carries sampling noise of
about 1/sqrt(samples): +-0.1 on a 1.5 s loop at 100 Hz, less on longer runs.

`--nonblocking` lets the three read the process side by side (in blocking mode each one
ptrace-stops the process per sample and concurrent stops collide) and keeps the overhead low.
The samplers attach with `--pid` to a script that a small launcher starts: `py-spy record PROGRAM`
exits 0 whatever the program returned and prints its banner into the program's stdout, and the
launcher keeps both clean. The script runs through the loop-counting bootstrap.

`--threads` and `--subprocesses` tell where each stack ran: the main thread, a pool's worker
thread, a child process (a process pool's worker). A worker's stack keeps only the frames from the
function the pool runs on (a forked worker also carries its parent's frames at the fork), so the
pool's time can be charged to the pool (CA203/CA204) and never to the loops of the main thread.
"""

from __future__ import annotations

import contextlib
import ctypes
import functools
import json
import os
import re
import select
import shutil
import signal
import subprocess
import sys
import sysconfig
import tempfile
import time
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import replace
from pathlib import Path

from advisor.errors import ProfilerUnavailable
from advisor.model import ProfileResult, StackOrigin, StackSample
from advisor.profiling.bootstrap import HANDSHAKE_ENV
from advisor.profiling.counting import (
    COUNTS_FILE,
    counted_command,
    counting_env,
    read_counts,
)
from advisor.profiling.runner import CompletedRun, run_in_process_group
from advisor.profiling.target import Target, program_stdin

NAME = "py-spy"
# 100 samples a second per sampler: ~150 samples for a 1.5 s loop, ~4% of one core per sampler.
DEFAULT_RATE = 100
# Each sampler's filter; a stack's seconds come from "all", the other two split them.
SAMPLER_FLAGS: dict[str, tuple[str, ...]] = {"all": ("--idle",), "active": (), "gil": ("--gil",)}
# A second of running without one sample holding the GIL, not even the interpreter's start-up:
# py-spy cannot find the GIL in this Python (and every running sample would look native).
_MIN_ACTIVE_S_FOR_GIL_CHECK = 1.0
_GIL_INVISIBLE = "no sample held the GIL: py-spy cannot see this Python's GIL"
_SOURCE_ROOT = str(Path(__file__).resolve().parents[2])
_OWN_PACKAGE = str(Path(__file__).resolve().parents[1]) + os.sep  # the bootstrap's frames
_RUN_FILE = "run.json"
# Seconds the script may take to start, and the samplers to attach, before it runs regardless.
_HANDSHAKE_TIMEOUT_S = 30.0
_SAMPLING = b"Sampling process"  # py-spy's banner once it reads the process
# Seconds a sampler may take to notice the script is gone before it is told to stop.
_SAMPLER_GRACE_S = 1.0
_UNAVAILABLE_FILE = "unavailable.txt"
_CAUSE = re.compile(r"^\d+: (?P<cause>.+)$")
_FRAME = re.compile(r"^(?P<function>.*) \((?P<path>.+):(?P<line>\d+)\)$")
_PROCESS = re.compile(r"^process (?P<pid>\d+):")
_THREAD = re.compile(r"^thread \((?P<tid>0x[0-9a-fA-F]+|\d+)\)(?:: (?P<name>.*))?$")
# The library function each kind of pool runs its tasks from: (function, path ending).
_POOL_WORKERS = (
    ("_worker", f"concurrent{os.sep}futures{os.sep}thread.py"),
    ("_process_worker", f"concurrent{os.sep}futures{os.sep}process.py"),
    ("worker", f"multiprocessing{os.sep}pool.py"),
)
# A script that ends sooner than this may end before the samplers attach to it.
_ATTACH_S = 1.0
_NOT_FOUND = re.compile(r"No python processes found in process", re.IGNORECASE)
_PERMISSION = re.compile(r"permission|not permitted|SYS_PTRACE", re.IGNORECASE)
_UNSUPPORTED = re.compile(r"unsupported version|failed to find python|not supported", re.IGNORECASE)
# Lines this adapter appends to the run's stderr start so (pipeline.last_error_line can skip them).
MESSAGE_PREFIX = "py-spy: "


def find_pyspy() -> str | None:
    """py-spy on PATH, else the one installed beside this Python (a venv run without activating)."""
    found = shutil.which("py-spy")
    if found:
        return found
    beside = Path(sysconfig.get_path("scripts")) / "py-spy"
    return str(beside) if os.access(beside, os.X_OK) else None


def cannot_run_reason(stderr: bytes | str) -> str:
    """py-spy's own error as one line, with a hint for the causes a user can fix."""
    text = stderr.decode("utf-8", "replace") if isinstance(stderr, bytes) else stderr
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    # py-spy prints an anyhow error: "Error: <what>", "Caused by:" "0: <why>"..., a backtrace.
    first = next((line for line in lines if line.startswith("Error:")), lines[0] if lines else "")
    detail = first.removeprefix("Error:").strip() or "py-spy failed"
    causes = _causes(lines)
    if causes and causes[-1] not in detail:
        detail = f"{detail.rstrip('.')}: {causes[-1]}"
    if _PERMISSION.search(text) or _NOT_FOUND.search(text):
        # with --subprocesses a refused read reads "No python processes found"; the script is
        # Python (we started it) and the trial read found this Python readable: it is permission
        return f"no permission to read the script's memory ({detail}); run as root or allow ptrace"
    if _UNSUPPORTED.search(text):
        return f"this Python is not supported by py-spy ({detail})"
    return detail


def _causes(lines: list[str]) -> list[str]:
    causes: list[str] = []
    if "Caused by:" in lines:
        for line in lines[lines.index("Caused by:") + 1 :]:
            match = _CAUSE.match(line)
            if match is None:
                break
            causes.append(match["cause"])
    return causes


def refusal_in(stderr: bytes) -> str | None:
    """The reason py-spy's samplers were refused, from the lines this adapter adds to stderr."""
    for line in reversed(stderr.decode("utf-8", "replace").splitlines()):
        if line.startswith(MESSAGE_PREFIX) and (
            _PERMISSION.search(line)
            or _NOT_FOUND.search(line)
            or _UNSUPPORTED.search(line)
            or _GIL_INVISIBLE in line
        ):
            return line.removeprefix(MESSAGE_PREFIX).strip()
    return None


def launcher_command(state_dir: str, pyspy: str, rate: int, command: Sequence[str]) -> list[str]:
    """The launcher runs with -P so that the user's working directory cannot shadow its imports;
    our own source root is appended for a checkout that is not installed."""
    code = (
        f"import sys; sys.path.append({_SOURCE_ROOT!r}); "
        "from advisor.profiling.pyspy_adapter import launch; "
        "raise SystemExit(launch(sys.argv[1:]))"
    )
    return [sys.executable, "-P", "-c", code, state_dir, pyspy, str(rate), *command]


def sampler_command(
    pyspy: str,
    pid: int,
    rate: int,
    flags: Sequence[str],
    out: str,
    duration: int | None = None,
) -> list[str]:
    """``duration``: seconds to sample (an attached process); None: until the process ends."""
    return [
        pyspy,
        "record",
        *(["--duration", str(duration)] if duration is not None else []),
        "--pid",
        str(pid),
        "--nonblocking",
        "--format",
        "raw",
        "--full-filenames",
        "--rate",
        str(rate),
        # which thread and which process each stack is from (pool workers, CA203/CA204)
        "--threads",
        "--subprocesses",
        *flags,
        "--output",
        out,
    ]


# ----------------------------------------------------------------------------- parsing


def read_raw(text: str) -> Counter[tuple[str, ...]]:
    """py-spy's raw format: one `frame;frame;... COUNT` line per distinct stack, outermost first."""
    counts: Counter[tuple[str, ...]] = Counter()
    for line in text.splitlines():
        stack, _, count = line.rstrip().rpartition(" ")
        if stack and count.isdigit():  # an idle thread with no Python frame has no stack
            counts[tuple(stack.split(";"))] += int(count)
    return counts


@functools.lru_cache(maxsize=4096)
def _realpath(path: str) -> str:
    return os.path.realpath(path)  # once per file: a stack repeats the same few files


def _library_roots(library_dirs: Iterable[str]) -> tuple[str, ...]:
    return tuple(os.path.realpath(path) + os.sep for path in library_dirs)


def user_stack(
    frames: Iterable[str], user_dir: str, library_roots: tuple[str, ...] = ()
) -> tuple[tuple[str, int], ...]:
    """(path, line) of the frames in the user's files, outermost first.

    Library frames under the innermost user frame are dropped, so their time stays with the
    user line that called into the library.
    """
    kept: list[tuple[str, int]] = []
    prefix = user_dir.rstrip(os.sep) + os.sep
    for frame in frames:
        match = _FRAME.match(frame)
        if match is None or match["path"].startswith("<"):
            continue
        path = _realpath(match["path"])
        if not path.startswith(prefix) or path.startswith((*library_roots, _OWN_PACKAGE)):
            continue
        if f"{os.sep}site-packages{os.sep}" in path or f"{os.sep}dist-packages{os.sep}" in path:
            continue
        kept.append((path, int(match["line"])))
    return tuple(kept)


def stack_origin(frames: Sequence[str]) -> tuple[StackOrigin, int]:
    """Where a raw stack ran, and the index of its first frame that belongs to that place: the
    frame after a pool's worker function, else 0."""
    processes = 0
    pid = ""
    main_thread = True
    worker_from = 0
    for index, frame in enumerate(frames):
        if (process := _PROCESS.match(frame)) is not None:
            processes += 1
            pid = process["pid"]
        elif (thread := _THREAD.match(frame)) is not None:
            main_thread = thread["name"] == "MainThread" or (processes > 0 and thread["tid"] == pid)
        elif (match := _FRAME.match(frame)) is not None and any(
            match["function"] == function and match["path"].endswith(ending)
            for function, ending in _POOL_WORKERS
        ):
            worker_from = index + 1
    if processes > 1:
        return ("process_pool" if worker_from else "process"), worker_from
    if not main_thread:
        return ("thread_pool" if worker_from else "thread"), worker_from
    return "main", 0


def combine_samplers(
    counts: dict[str, Counter[tuple[str, ...]]],
    user_dir: str,
    rate: int,
    library_dirs: Iterable[str] = (),
) -> tuple[StackSample, ...]:
    """Split each user stack's samples into waiting, Python and native seconds; frames under
    ``library_dirs`` (the profiled Python's standard library and site-packages) are library code.

    The three samplers tick independently, so the counts disagree by sampling noise (~1/sqrt(n));
    the split is clamped to gil <= active <= all per stack.
    """
    roots = _library_roots(library_dirs)
    by_stack: dict[tuple[StackOrigin, tuple[tuple[str, int], ...]], dict[str, int]] = {}
    for name, stacks in counts.items():
        for frames, count in stacks.items():
            origin, start = stack_origin(frames)
            key = user_stack(frames[start:], user_dir, roots)
            if key:
                slot = by_stack.setdefault((origin, key), {"all": 0, "active": 0, "gil": 0})
                slot[name] += count
    samples: list[StackSample] = []
    for (origin, frames), slot in by_stack.items():
        total = slot["all"]
        if total <= 0:
            continue
        gil = min(slot["gil"], total)
        active = min(max(slot["active"], gil), total)
        samples.append(
            StackSample(
                frames=frames,
                cpu_python_s=gil / rate,
                cpu_native_s=(active - gil) / rate,
                waiting_s=(total - active) / rate,
                origin=origin,
            )
        )
    return tuple(samples)


# ----------------------------------------------------------------------------- running


def profile_with_pyspy(
    target: Target, *, timeout: float | None, rate: int = DEFAULT_RATE
) -> tuple[ProfileResult | None, CompletedRun]:
    """Run ``target`` under py-spy; the profile is None when py-spy recorded nothing usable.

    Raises ProfilerUnavailable before the script runs when py-spy is missing, may not read the
    process (ptrace permission) or does not understand this Python.
    """
    pyspy = find_pyspy()
    if pyspy is None:
        raise ProfilerUnavailable("py-spy is not installed (not on PATH nor beside this Python)")
    script_path = os.path.realpath(target.path)
    with tempfile.TemporaryDirectory(prefix="concadvise-") as tmp:
        counts_file = Path(tmp) / COUNTS_FILE
        with program_stdin(target) as stdin:
            run = run_in_process_group(
                launcher_command(tmp, pyspy, rate, counted_command(target)),
                cwd=target.cwd,
                timeout=timeout,
                env=counting_env(target, counts_file),
                stdin=stdin,
            )
        state = Path(tmp)
        unavailable = state / _UNAVAILABLE_FILE
        if unavailable.exists():
            raise ProfilerUnavailable(cannot_run_reason(unavailable.read_bytes()))
        try:
            launched = json.loads((state / _RUN_FILE).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            # the launcher died before the script ended (killed at the timeout's grace)
            launched = {"wall_s": run.wall_s}
        counts: dict[str, Counter[tuple[str, ...]]] = {}
        failures: list[str] = []
        for name in SAMPLER_FLAGS:
            try:
                text = (state / f"{name}.txt").read_text(encoding="utf-8", errors="replace")
            except OSError:  # py-spy wrote nothing: its stderr says why
                error = _read_bytes(state / f"{name}.err")
                reason = cannot_run_reason(error)
                if _NOT_FOUND.search(error.decode("utf-8", "replace")) and (
                    float(launched.get("wall_s") or 0.0) < _ATTACH_S
                ):
                    reason = "the script ended before py-spy could attach to it"
                failures.append(f"{MESSAGE_PREFIX}the {name} sampler failed: {reason}")
            else:
                counts[name] = read_raw(text)
        loop_counts = read_counts(counts_file)  # the bootstrap's file, read before it is gone
    if failures:
        # after the script's own output, where a profiler's messages go
        return None, replace(run, stderr=run.stderr + "".join(f + "\n" for f in failures).encode())
    active = sum(counts["active"].values())
    # free-threaded builds (3.13t) have no GIL: every running sample is rightly "native" there
    gil_enabled = target.interpreter.gil_enabled
    if active >= _MIN_ACTIVE_S_FOR_GIL_CHECK * rate and not counts["gil"] and gil_enabled:
        return None, replace(
            run, stderr=run.stderr + f"{MESSAGE_PREFIX}{_GIL_INVISIBLE}\n".encode()
        )
    profile = ProfileResult(
        profiler=NAME,
        script=script_path,
        wall_s=float(launched.get("wall_s") or run.wall_s),
        exit_code=run.exit_code,
        stacks=combine_samplers(counts, target.code_dir, rate, target.interpreter.library_dirs),
        complete=run.exit_code == 0 and not run.timed_out,
        loop_counts=loop_counts.loops,
        imported=loop_counts.imported,
        counts_written=loop_counts.written,
        uncounted=loop_counts.uncounted,
        started=loop_counts.started or None,
        startup_s=float(launched.get("startup_s") or 0.0),
    )
    return profile, run


def _read_bytes(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError:
        return b""


# ----------------------------------------------------------------------------- the launcher


def launch(argv: Sequence[str]) -> int:
    """Run the script with the three samplers attached; exit as the script did.

    Runs in the profiled process group: ``STATE_DIR PYSPY RATE COMMAND...``.
    """
    state_dir, pyspy, rate, *command = argv
    state = Path(state_dir)
    # At the timeout the group gets SIGINT: the script and the samplers stop on it (the samplers
    # write what they have); this process must outlive them to report. A Python handler, not
    # SIG_IGN, because an ignored signal stays ignored in the children.
    signal.signal(signal.SIGINT, lambda _signum, _frame: None)
    allow_tracing_by_descendants(os.getpid())
    # A trial read of this very process, before the script runs, so that a missing permission
    # or a Python py-spy does not know never costs a run of the script.
    # concadvise: ignore[CA101]: a retry: the second probe only if the first failed
    for _attempt in range(2):
        probe = subprocess.run(
            [pyspy, "dump", "--nonblocking", "--pid", str(os.getpid())],
            stdin=subprocess.DEVNULL,
            capture_output=True,
        )
        if probe.returncode == 0:
            break
    else:
        (state / _UNAVAILABLE_FILE).write_bytes(probe.stderr or probe.stdout)
        return 0
    launcher = os.getpid()
    ready_read, ready_write = os.pipe()
    go_read, go_write = os.pipe()
    started = time.perf_counter()
    script = subprocess.Popen(
        command,
        env=dict(os.environ, **{HANDSHAKE_ENV: f"{ready_write},{go_read}"}),
        pass_fds=(ready_write, go_read),
        preexec_fn=lambda: allow_tracing_by_descendants(launcher),
    )
    os.close(ready_write)
    os.close(go_read)
    # The interpreter starts alone (three samplers starting beside it on two cores slowed its
    # start-up 2-3x, which the advice would then count as the script's own serial time); the
    # samplers attach while it waits, and its code runs only once they sample.
    _wait_readable(ready_read, _HANDSHAKE_TIMEOUT_S)
    ready = time.perf_counter()
    samplers = []
    # concadvise: ignore[CA101]: it starts the samplers (Popen); they run together
    for name, flags in SAMPLER_FLAGS.items():
        out = str(state / f"{name}.txt")
        with open(state / f"{name}.err", "wb") as err, open(state / f"{name}.log", "wb") as log:
            samplers.append(
                subprocess.Popen(
                    sampler_command(pyspy, script.pid, int(rate), flags, out),
                    stdin=subprocess.DEVNULL,
                    stdout=log,
                    stderr=err,
                )
            )
    _wait_until_sampling(samplers, [state / f"{name}.log" for name in SAMPLER_FLAGS])
    go = time.perf_counter()
    with contextlib.suppress(OSError):
        os.write(go_write, b"g")
    os.close(go_write)
    os.close(ready_read)
    code = script.wait()
    ended = time.perf_counter()
    # the run as it would have been: start-up, then the program's code, without the wait between
    startup = ready - started
    (state / _RUN_FILE).write_text(
        json.dumps({"exit_code": code, "wall_s": startup + ended - go, "startup_s": startup})
    )
    # each sampler stops once the script is gone and writes its file; one that follows children
    # the script left running is told to stop (py-spy writes what it has on SIGINT)
    deadline = time.monotonic() + _SAMPLER_GRACE_S
    for sampler in samplers:
        try:
            sampler.wait(timeout=max(0.0, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            sampler.send_signal(signal.SIGINT)
            sampler.wait()
    if code < 0:  # killed by a signal: die of the same one, as a bare run would have
        # SIGKILL and SIGSTOP cannot be handled: their disposition is the default already
        with contextlib.suppress(OSError, ValueError):
            signal.signal(-code, signal.SIG_DFL)
        with contextlib.suppress(OSError):
            os.kill(os.getpid(), -code)
        return 128 - code
    return code


def _wait_readable(fd: int, timeout: float) -> None:
    """Until the script says it is ready (or ends: the pipe then reads as closed)."""
    with contextlib.suppress(OSError, ValueError):
        readable, _, _ = select.select([fd], [], [], timeout)
        if readable:
            os.read(fd, 1)


def _wait_until_sampling(samplers: Sequence[subprocess.Popen], logs: Sequence[Path]) -> None:
    """Until every sampler has attached (py-spy prints its banner on stdout then) or given up."""
    deadline = time.monotonic() + _HANDSHAKE_TIMEOUT_S
    waiting = list(zip(samplers, logs, strict=True))
    while waiting and time.monotonic() < deadline:
        waiting = [
            (sampler, log)
            for sampler, log in waiting
            if sampler.poll() is None and _SAMPLING not in _read_bytes(log)
        ]
        if waiting:
            time.sleep(0.005)


_PR_SET_PTRACER = 0x59616D61


def allow_tracing_by_descendants(tracer: int) -> None:
    """Let ``tracer`` and its descendants read this process under Yama's ptrace_scope 1.

    Ubuntu's default lets a user trace only their own descendants; py-spy is a sibling of the
    script here, not its parent. Without Yama (or as root) this changes nothing.
    """
    with contextlib.suppress(Exception):
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(_PR_SET_PTRACER, ctypes.c_ulong(tracer), 0, 0, 0)


if __name__ == "__main__":
    raise SystemExit(launch(sys.argv[1:]))
