"""Saved profiles: written and read through one path, portable between checkouts, and every bad
file a one-line error naming what is wrong."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest

from advisor.errors import UsageError
from advisor.model import ProfileResult
from advisor.profiling.session import load_session, session_to_text
from conftest import FIXTURES, run_cli
from record_profiles import PROFILES

RECORDED = PROFILES / "hash_blocks.json"
SCRIPT = FIXTURES / "hash_blocks.py"


def saved(tmp_path: Path, change: Any = None) -> Path:
    """The recorded hash_blocks profile, as JSON data passed through ``change``, in a file."""
    data = json.loads(RECORDED.read_text(encoding="utf-8"))
    if change is not None:
        change(data)
    path = tmp_path / "profile.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


def load_error(path: Path, script: Path = SCRIPT) -> str:
    with pytest.raises(UsageError) as error:
        load_session(path, script)
    message = str(error.value)
    assert "\n" not in message
    return message


def test_a_loaded_profile_saves_back_to_the_same_text() -> None:
    """Floats are kept exact and paths relative: loading and saving is the identity."""
    for recorded in sorted(PROFILES.glob("*.json")):
        script = FIXTURES / json.loads(recorded.read_text())["profile"]["script"]
        session = load_session(recorded, script)
        assert session_to_text(session) == recorded.read_text(encoding="utf-8")


def test_paths_are_relative_to_the_script_so_a_copy_elsewhere_replays(tmp_path: Path) -> None:
    shutil.copy(SCRIPT, tmp_path / "hash_blocks.py")
    session = load_session(RECORDED, tmp_path / "hash_blocks.py")
    profile: ProfileResult = session.profile
    assert profile.script == str(tmp_path / "hash_blocks.py")
    assert {path for stack in profile.stacks for path, _line in stack.frames} == {
        str(tmp_path / "hash_blocks.py")
    }
    assert {count.path for count in profile.loop_counts} == {str(tmp_path / "hash_blocks.py")}
    assert [source.path for source in session.sources] == [str(tmp_path / "hash_blocks.py")]
    text = json.loads(RECORDED.read_text())
    assert text["profile"]["script"] == "hash_blocks.py"
    assert text["sources"][0]["path"] == "hash_blocks.py"


def test_a_script_in_a_subfolder_of_the_common_folder_is_found_there(tmp_path: Path) -> None:
    """Paths are relative to the folder common to the script and every source (a run of
    ``-m tools.hash_blocks`` from the project root records ``tools/hash_blocks.py``)."""
    text = RECORDED.read_text().replace('"hash_blocks.py"', '"tools/hash_blocks.py"')
    path = tmp_path / "profile.json"
    path.write_text(text)
    (tmp_path / "tools").mkdir()
    script = tmp_path / "tools" / "hash_blocks.py"
    shutil.copy(SCRIPT, script)
    session = load_session(path, script)
    assert session.profile.script == str(script)
    assert session.sources[0].path == str(script)
    assert load_error(path, tmp_path / "hash_blocks.py") == (
        f"{path}: recorded of tools/hash_blocks.py, not of {tmp_path / 'hash_blocks.py'}"
    )


def test_a_missing_file_is_one_line(tmp_path: Path) -> None:
    assert load_error(tmp_path / "nope.json") == (
        f"cannot read {tmp_path / 'nope.json'}: No such file or directory"
    )


@pytest.mark.parametrize(
    ("content", "problem"),
    [
        (b"\xff\xfe", "not a concadvise profile (not UTF-8 text)"),
        (b"{", "not a concadvise profile (not JSON: Expecting property name enclosed in double"),
        (b"[]", 'not a concadvise profile (no "format": "concadvise-profile")'),
        (b'{"schema_version": 1}', 'not a concadvise profile (no "format": "concadvise-profile")'),
        (b'{"format": "concadvise-profile", "version": 7}', "profile version 7; this concadvise"),
        (b'{"format": "concadvise-profile", "version": 1}', "missing key 'profile'"),
    ],
)
def test_a_non_profile_is_named(tmp_path: Path, content: bytes, problem: str) -> None:
    path = tmp_path / "bad.json"
    path.write_bytes(content)
    assert load_error(path).startswith(f"{path}: {problem}")


def test_a_wrong_value_is_named_by_its_place(tmp_path: Path) -> None:
    def bad_seconds(data: dict[str, Any]) -> None:
        data["profile"]["stacks"][1]["cpu_native_s"] = "0.6"

    def bad_frame(data: dict[str, Any]) -> None:
        data["profile"]["stacks"][0]["frames"][0] = ["hash_blocks.py"]

    def bad_origin(data: dict[str, Any]) -> None:
        data["profile"]["stacks"][0]["origin"] = "gpu"

    def no_machine(data: dict[str, Any]) -> None:
        del data["machine"]

    path = saved(tmp_path, bad_seconds)
    assert load_error(path) == f"{path}: profile.stacks[1].cpu_native_s: expected a number, got str"
    path = saved(tmp_path, bad_frame)
    assert load_error(path) == (
        f"{path}: profile.stacks[0].frames[0]: expected a list of 2, got 1 items"
    )
    path = saved(tmp_path, bad_origin)
    assert load_error(path).startswith(f"{path}: profile.stacks[0].origin: 'gpu' is not one of")
    path = saved(tmp_path, no_machine)
    assert load_error(path) == f"{path}: missing key 'machine'"


def test_a_profile_of_another_script_is_refused(tmp_path: Path) -> None:
    other = FIXTURES / "download_pages.py"
    assert load_error(RECORDED, other) == f"{RECORDED}: recorded of hash_blocks.py, not of {other}"


def test_a_source_changed_since_the_run_is_refused(tmp_path: Path) -> None:
    script = tmp_path / "hash_blocks.py"
    script.write_text(SCRIPT.read_text() + "\n# edited\n")
    assert load_error(RECORDED, script).endswith(
        "hash_blocks.py changed since it was profiled; profile it again"
    )
    script.unlink()
    assert load_error(RECORDED, script).endswith("hash_blocks.py was profiled but is missing")


def test_the_cli_replays_a_profile_without_running_anything() -> None:
    result = run_cli("profile", str(SCRIPT), "--load-profile", str(RECORDED), "--format", "json")
    assert result.returncode == 0, result.stderr
    [finding] = json.loads(result.stdout)["findings"]
    assert (finding["rule"], finding["line"], finding["workers"]) == ("CA103", 38, 2)


@pytest.mark.parametrize(
    ("extra", "clash"),
    [
        (["--apply"], "--apply"),
        (["--save-profile", "again.json"], "--save-profile"),
        (["--", "160"], "script arguments"),
    ],
)
def test_the_cli_refuses_running_options_beside_a_loaded_profile(
    extra: list[str], clash: str
) -> None:
    result = run_cli("profile", str(SCRIPT), "--load-profile", str(RECORDED), *extra)
    assert result.returncode == 2
    assert result.stderr == f"concadvise: error: --load-profile runs nothing; it takes no {clash}\n"


def test_the_cli_names_a_bad_profile_in_one_line(tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text("[]")
    result = run_cli("profile", str(SCRIPT), "--load-profile", str(bad))
    assert result.returncode == 2
    assert result.stderr == (
        f'concadvise: error: {bad}: not a concadvise profile (no "format": "concadvise-profile")\n'
    )
