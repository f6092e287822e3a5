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
launcher keeps both clean.
"""

from __future__ import annotations

import contextlib
import ctypes
import functools
import json
import os
import re
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
from advisor.model import ProfileResult, StackSample
from advisor.profiling.runner import CompletedRun, run_in_process_group

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
_RUN_FILE = "run.json"
_UNAVAILABLE_FILE = "unavailable.txt"
_CAUSE = re.compile(r"^\d+: (?P<cause>.+)$")
_FRAME = re.compile(r"^(?P<function>.*) \((?P<path>.+):(?P<line>\d+)\)$")
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
    if _PERMISSION.search(text):
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
            _PERMISSION.search(line) or _UNSUPPORTED.search(line) or _GIL_INVISIBLE in line
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


def sampler_command(pyspy: str, pid: int, rate: int, flags: Sequence[str], out: str) -> list[str]:
    return [
        pyspy,
        "record",
        "--pid",
        str(pid),
        "--nonblocking",
        "--format",
        "raw",
        "--full-filenames",
        "--rate",
        str(rate),
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


def _library_roots() -> tuple[str, ...]:
    names = ("stdlib", "platstdlib", "purelib", "platlib")
    return tuple(os.path.realpath(sysconfig.get_path(n)) + os.sep for n in names)


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
        if not path.startswith(prefix) or path.startswith(library_roots):
            continue
        if f"{os.sep}site-packages{os.sep}" in path or f"{os.sep}dist-packages{os.sep}" in path:
            continue
        kept.append((path, int(match["line"])))
    return tuple(kept)


def combine_samplers(
    counts: dict[str, Counter[tuple[str, ...]]], user_dir: str, rate: int
) -> tuple[StackSample, ...]:
    """Split each user stack's samples into waiting, Python and native seconds.

    The three samplers tick independently, so the counts disagree by sampling noise (~1/sqrt(n));
    the split is clamped to gil <= active <= all per stack.
    """
    roots = _library_roots()
    by_stack: dict[tuple[tuple[str, int], ...], dict[str, int]] = {}
    for name, stacks in counts.items():
        for frames, count in stacks.items():
            key = user_stack(frames, user_dir, roots)
            if key:
                slot = by_stack.setdefault(key, {"all": 0, "active": 0, "gil": 0})
                slot[name] += count
    samples: list[StackSample] = []
    for frames, slot in by_stack.items():
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
            )
        )
    return tuple(samples)


# ----------------------------------------------------------------------------- running


def profile_with_pyspy(
    script: str,
    args: Sequence[str],
    *,
    cwd: str | None,
    timeout: float | None,
    rate: int = DEFAULT_RATE,
) -> tuple[ProfileResult | None, CompletedRun]:
    """Run ``script`` under py-spy; the profile is None when py-spy recorded nothing usable.

    Raises ProfilerUnavailable before the script runs when py-spy is missing, may not read the
    process (ptrace permission) or does not understand this Python.
    """
    pyspy = find_pyspy()
    if pyspy is None:
        raise ProfilerUnavailable("py-spy is not installed (not on PATH nor beside this Python)")
    script_path = os.path.realpath(script)
    with tempfile.TemporaryDirectory(prefix="concadvise-") as tmp:
        command = [sys.executable, script, *args]
        run = run_in_process_group(
            launcher_command(tmp, pyspy, rate, command), cwd=cwd, timeout=timeout
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
                reason = cannot_run_reason(_read_bytes(state / f"{name}.err"))
                failures.append(f"{MESSAGE_PREFIX}the {name} sampler failed: {reason}")
            else:
                counts[name] = read_raw(text)
    if failures:
        # after the script's own output, where a profiler's messages go
        return None, replace(run, stderr=run.stderr + "".join(f + "\n" for f in failures).encode())
    active = sum(counts["active"].values())
    if active >= _MIN_ACTIVE_S_FOR_GIL_CHECK * rate and not counts["gil"] and _gil_enabled():
        return None, replace(
            run, stderr=run.stderr + f"{MESSAGE_PREFIX}{_GIL_INVISIBLE}\n".encode()
        )
    profile = ProfileResult(
        profiler=NAME,
        script=script_path,
        wall_s=float(launched.get("wall_s") or run.wall_s),
        exit_code=run.exit_code,
        stacks=combine_samplers(counts, os.path.dirname(script_path), rate),
        complete=run.exit_code == 0 and not run.timed_out,
    )
    return profile, run


def _read_bytes(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError:
        return b""


def _gil_enabled() -> bool:
    # free-threaded builds (3.13t) have no GIL: every running sample is rightly "native" there
    return bool(getattr(sys, "_is_gil_enabled", lambda: True)())


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
    started = time.perf_counter()
    script = subprocess.Popen(command, preexec_fn=lambda: allow_tracing_by_descendants(launcher))
    samplers = []
    for name, flags in SAMPLER_FLAGS.items():
        out = str(state / f"{name}.txt")
        with open(state / f"{name}.err", "wb") as err:
            samplers.append(
                subprocess.Popen(
                    sampler_command(pyspy, script.pid, int(rate), flags, out),
                    stdin=subprocess.DEVNULL,
                    stdout=subprocess.DEVNULL,
                    stderr=err,
                )
            )
    code = script.wait()
    wall = time.perf_counter() - started
    (state / _RUN_FILE).write_text(json.dumps({"exit_code": code, "wall_s": wall}))
    for sampler in samplers:
        sampler.wait()  # each stops once the script is gone, and writes its file
    if code < 0:  # killed by a signal: die of the same one, as a bare run would have
        signal.signal(-code, signal.SIG_DFL)
        with contextlib.suppress(OSError):
            os.kill(os.getpid(), -code)
        return 128 - code
    return code


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
