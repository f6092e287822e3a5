"""The user's run under `concadvise profile`: how it ended is said as the user would see it.

Real CLI, real profilers, real scripts, real signals.
"""

from __future__ import annotations

import json
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
