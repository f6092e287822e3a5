"""`concadvise profile` end to end: the real CLI, the real profiler, real scripts, real rewrites."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import FIXTURES, run_cli

pytestmark = pytest.mark.slow


def run_script(script: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(script), *args], capture_output=True, timeout=60)


def test_profile_json_finds_the_download_loop(fixture_copy, pages_server: str) -> None:
    script = fixture_copy("download_pages.py")
    result = run_cli("profile", str(script), "--format", "json", "--", pages_server)
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)  # stdout holds the report and nothing else
    [finding] = report["findings"]
    assert (finding["rule"], finding["line"], finding["kind"]) == ("CA101", 44, "io")
    assert finding["suggestion"] == "thread_pool" and finding["fix_safety"] == "safe"
    assert finding["evidence"]["share_of_run"] > 0.7
    assert finding["predicted_speedup"] > 2
    assert report["run"]["profiler"] == "py-spy" and report["run"]["exit_code"] == 0


def test_profile_apply_keeps_a_verified_faster_rewrite(fixture_copy, pages_server: str) -> None:
    script = fixture_copy("fetch_records.py")
    serial_output = run_script(script, pages_server).stdout
    result = run_cli(
        "profile", str(script), "--apply", "--runs", "2", "--format", "json", "--", pages_server
    )
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    [verification] = report["verification"]
    assert verification["same_output"] and verification["kept"]
    assert verification["speedup"] > 2  # 20 requests of 0.1 s overlap
    assert len(verification["before_s"]) == len(verification["after_s"]) == 2
    rewritten = script.read_text()
    assert "with ThreadPoolExecutor(max_workers=" in rewritten
    assert "for result in executor.map(fetch_amount, record_ids):" in rewritten
    assert run_script(script, pages_server).stdout == serial_output


def test_unsafe_loops_are_reported_but_never_rewritten(fixture_copy) -> None:
    script = fixture_copy("unsafe_loops.py")
    before = script.read_bytes()
    result = run_cli("profile", str(script), "--apply", "--format", "json", "--min-share", "0.1")
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    by_line = {f["line"]: f for f in report["findings"]}
    # a carried token and a search have no rewrite (`none`, and why); printing is unsafe
    assert {line: by_line[line]["fix_safety"] for line in (42, 50, 61)} == {
        42: "none",
        50: "none",
        61: "unsafe",
    }
    assert by_line[42]["reasons"][1] == "`token` is carried from one iteration to the next"
    assert by_line[50]["reasons"][0] == "no automatic rewrite for this shape: body contains break"
    assert "`builtins.print`" in by_line[61]["reasons"][0]
    assert "verification" not in report
    assert script.read_bytes() == before


def test_apply_says_in_one_line_why_nothing_was_applied(fixture_copy) -> None:
    script = fixture_copy("unsafe_loops.py")
    result = run_cli("profile", str(script), "--apply", "--min-share", "0.1")
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[-1] == (
        "Nothing applied to the 3 findings: 2 with no automatic rewrite, "
        "1 unsafe (a doubt no run can settle)."
    )


def test_console_table_shows_the_advice(fixture_copy) -> None:
    script = fixture_copy("checksum_files.py")
    result = run_cli("profile", str(script))
    assert result.returncode == 0, result.stderr
    assert "checksum_files.py:32" in result.stdout
    assert "ThreadPoolExecutor" in result.stdout and "safe" in result.stdout


def one_line_error(result: subprocess.CompletedProcess) -> str:
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    return lines[0]


def test_missing_script_is_one_line(tmp_path: Path) -> None:
    result = run_cli("profile", str(tmp_path / "nope.py"))
    assert result.returncode == 2
    assert one_line_error(result) == f"concadvise: error: no such script: {tmp_path / 'nope.py'}"


def test_syntax_error_is_one_line_and_nothing_runs() -> None:
    result = run_cli("profile", str(FIXTURES / "broken" / "syntax_error.py"))
    assert result.returncode == 2
    assert one_line_error(result).endswith("syntax error at line 8: expected ':'")


def test_a_crashing_script_still_reports_what_was_measured(fixture_copy) -> None:
    script = fixture_copy("crashes_midway.py")
    result = run_cli("profile", str(script), "--format", "json")
    assert result.returncode == 2
    report = json.loads(result.stdout)
    assert report["run"]["exit_code"] == 1
    [error] = report["errors"]
    assert error["kind"] == "script"
    assert "RuntimeError: could not save 10 results" in error["message"]
    assert [f["line"] for f in report["findings"]] == [24]


def test_a_hanging_script_is_killed_at_the_timeout(fixture_copy) -> None:
    script = fixture_copy("hangs.py")
    result = run_cli("profile", str(script), "--timeout", "2", "--format", "json", timeout=60)
    assert result.returncode == 2
    report = json.loads(result.stdout)
    assert report["run"]["timed_out"] is True
    assert (
        "ran past --timeout 2s; its whole process group was killed"
        in (report["errors"][0]["message"])
    )
    leftovers = subprocess.run(["pgrep", "-f", f"{script}"], capture_output=True, text=True)
    assert leftovers.stdout == ""


TOOL = """\
import json, os, sys, time

for step in range(6):
    time.sleep(0.1)
ours = sorted(k for k in os.environ if k.startswith("CONCADVISE_"))
ours.remove("CONCADVISE_CACHE_DIR")  # the tests' own
with open(os.environ["SEEN_FILE"], "w") as seen:
    json.dump({"cwd": os.getcwd(), "argv": sys.argv[1:], "stdin": sys.stdin.read(),
               "secret": os.environ.get("TOOL_SECRET"), "ours": ours}, seen)
"""


def test_a_module_runs_as_the_user_would_run_it(tmp_path: Path) -> None:
    """`-m`, the working directory, the environment, and stdin closed or passed with --stdin."""
    (tmp_path / "tool").mkdir()
    (tmp_path / "tool" / "__init__.py").write_text("")
    (tmp_path / "tool" / "__main__.py").write_text(TOOL)
    seen = tmp_path / "seen.json"
    env = dict(os.environ, SEEN_FILE=str(seen), TOOL_SECRET="kept", COLUMNS="200")
    command = [sys.executable, "-m", "advisor.cli", "profile", "-m", "tool", "--format", "json"]
    closed = subprocess.run(
        [*command, "--", "a", "--b"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        input="not for the tool",
        timeout=120,
    )
    assert closed.returncode == 0, closed.stderr
    assert json.loads(seen.read_text()) == {
        "cwd": str(tmp_path),
        "argv": ["a", "--b"],
        "stdin": "",
        "secret": "kept",
        "ours": [],
    }
    [finding] = json.loads(closed.stdout)["findings"]
    assert (finding["path"], finding["line"], finding["evidence"]["iterations"]) == (
        "tool/__main__.py",
        3,
        6,
    )
    passed = subprocess.run(
        [*command, "--stdin"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        input="lines\nfor the tool\n",
        timeout=120,
    )
    assert passed.returncode == 0, passed.stderr
    assert json.loads(seen.read_text())["stdin"] == "lines\nfor the tool\n"
    missing = run_cli("profile", "-m", "no_such_tool", cwd=tmp_path)
    assert missing.returncode == 2
    assert one_line_error(missing).startswith("concadvise: error: no module named no_such_tool")


def test_save_profile_then_load_profile_reports_the_same(fixture_copy, tmp_path: Path) -> None:
    script = fixture_copy("crashes_midway.py")
    saved = tmp_path / "run.json"
    live = run_cli("profile", str(script), "--format", "json", "--save-profile", str(saved))
    assert live.returncode == 2, live.stderr  # the script failed: its error is in the report
    again = run_cli("profile", str(script), "--format", "json", "--load-profile", str(saved))
    assert again.returncode == 2, again.stderr
    live_report, replayed = json.loads(live.stdout), json.loads(again.stdout)
    assert replayed["findings"] == live_report["findings"] != []
    assert replayed["errors"] == live_report["errors"] != []
    assert json.loads(saved.read_text())["format"] == "concadvise-profile"


def test_apply_follows_the_plan_and_measures_it(fixture_copy) -> None:
    """The scoring loop is worth a process pool only once the downloads are threaded: --apply
    times it after the download rewrite is kept, on the file that rewrite left."""
    script = fixture_copy("fetch_and_score.py")
    serial = run_script(script).stdout
    result = run_cli("profile", str(script), "--apply", "--runs", "1", "--format", "json")
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert [step["finding"] for step in report["plan"]["steps"]] == [0, 1]
    lines = {v["finding"]: v for v in report["verification"]}
    assert lines[0]["kept"] and lines[0]["same_output"]
    # the second step was timed on the threaded file: its "before" is the first one's "after"
    assert max(lines[1]["before_s"]) < min(lines[0]["before_s"]) / 2
    assert "ThreadPoolExecutor(max_workers=20)" in script.read_text()
    assert run_script(script).stdout == serial
