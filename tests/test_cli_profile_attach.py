"""`profile --pid`: py-spy attached to a real long-running loopback HTTP service the test starts
and keeps busy; the service goes on untouched. And the options --pid refuses, in one line."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from conftest import run_cli

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"


@pytest.fixture()
def busy_service() -> Iterator[tuple[int, str]]:
    """fixtures/report_service.py running, with a client asking /summary again and again."""
    service = subprocess.Popen(
        [sys.executable, str(FIXTURES / "report_service.py")],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert service.stdout is not None
    url = service.stdout.readline().split()[-1] + "/summary"
    stop = threading.Event()

    def ask() -> None:
        while not stop.is_set():
            with urllib.request.urlopen(url, timeout=30) as response:
                response.read()

    client = threading.Thread(target=ask, daemon=True)
    client.start()
    try:
        yield service.pid, url
    finally:
        stop.set()
        client.join(timeout=30)
        service.kill()
        service.wait()


@pytest.mark.slow
def test_attaching_finds_the_handlers_serial_loop_and_says_what_it_cannot_know(
    busy_service: tuple[int, str],
) -> None:
    pid, url = busy_service
    result = run_cli(
        "profile", "--pid", str(pid), "--duration", "2", "--format", "json", cwd=FIXTURES.parent
    )
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["run"]["attached_pid"] == pid
    assert 1.5 <= report["run"]["wall_s"] <= 2.5
    [finding] = [f for f in report["findings"] if f["rule"] == "CA101"]
    # paths as the report shows them: relative to the working directory (the repository's)
    assert (finding["path"], finding["line"], finding["kind"]) == (
        "fixtures/report_service.py",
        43,
        "io",
    )
    # not counted, but `range(1, PAGES + 1)` with PAGES = 8 tells the items
    assert finding["evidence"]["iterations"] == 8 and finding["workers"] == 8
    assert "attached to process" in result.stderr and "upper bound" in result.stderr
    with urllib.request.urlopen(url, timeout=30) as response:  # the service goes on
        assert json.loads(response.read())["pages"] == 8


def test_pid_takes_no_script_apply_or_saved_profile(tmp_path: Path) -> None:
    script = tmp_path / "main.py"
    script.write_text("print(1)\n")
    result = run_cli("profile", str(script), "--pid", "1", "--apply")
    assert result.returncode == 2
    assert result.stderr == (
        "concadvise: error: --pid attaches to a running process; it takes no a script, --apply "
        "(a process's run cannot be repeated: profile its script to verify)\n"
    )


def test_a_pid_that_is_no_process_is_one_line() -> None:
    result = run_cli("profile", "--pid", "999999999")
    assert result.returncode == 2
    assert result.stderr == "concadvise: error: --pid 999999999: no such process\n"


def test_a_process_that_is_not_python_is_one_line() -> None:
    sleeper = subprocess.Popen(["sleep", "30"])
    try:
        exe = os.readlink(f"/proc/{sleeper.pid}/exe")
        result = run_cli("profile", "--pid", str(sleeper.pid))
    finally:
        sleeper.kill()
        sleeper.wait()
    assert result.returncode == 2
    assert result.stderr == (
        f"concadvise: error: --pid {sleeper.pid}: {exe} is not a Python interpreter\n"
    )
