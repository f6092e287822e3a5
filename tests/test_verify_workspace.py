"""The scratch copy of the working directory each timed run gets, and what a run left there."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from advisor.verify import workspace
from advisor.verify.file_changes import INLINE_BYTES, FileEffect
from advisor.verify.workspace import RunSpace, argument_paths, plan_copy


def _tree(root: Path) -> None:
    (root / "data").mkdir(parents=True)
    (root / "data" / "in.csv").write_text("a,1\n")
    (root / "log.txt").write_text("started\n")
    (root / "old.txt").write_text("to delete\n")
    (root / ".git").mkdir()
    (root / ".git" / "HEAD").write_text("ref\n")
    (root / "env").mkdir()
    (root / "env" / "pyvenv.cfg").write_text("home = /usr\n")
    (root / "__pycache__").mkdir()
    (root / "__pycache__" / "job.cpython-311.pyc").write_bytes(b"compiled")
    (root / "link.csv").symlink_to("data/in.csv")


def test_a_run_in_a_scratch_copy_leaves_the_users_files_alone(tmp_path: Path) -> None:
    _tree(tmp_path)
    with RunSpace(str(tmp_path), ["python", "job.py"], scratch=True) as space:
        for _run in range(2):  # each run starts from the same files, at the same path
            space.refresh()
            scratch = Path(space.run_cwd)
            assert scratch != tmp_path and (scratch / "log.txt").read_text() == "started\n"
            assert (scratch / ".git").resolve() == tmp_path / ".git"  # linked, not copied
            assert os.readlink(scratch / "link.csv") == "data/in.csv"
            before = space.stamp()
            (scratch / "log.txt").write_text("started\nran\n")
            (scratch / "out.txt").write_text("result\n")
            (scratch / "old.txt").unlink()
            (scratch / "__pycache__" / "job.cpython-311.pyc").write_bytes(b"recompiled")
            assert space.effects(before) == {
                "log.txt": FileEffect("appended", b"ran\n", "", 4),
                "out.txt": FileEffect("written", b"result\n", "", 7),
                "old.txt": FileEffect("deleted"),
            }
        assert space.place(str(tmp_path / "data" / "in.csv")) == str(scratch / "data" / "in.csv")
        assert space.argv(["python", str(tmp_path / "job.py"), "-x"]) == (
            "python",
            str(scratch / "job.py"),
            "-x",
        )
    assert (tmp_path / "log.txt").read_text() == "started\n" and (tmp_path / "old.txt").exists()
    assert not scratch.exists()


def test_a_directory_too_large_to_copy_is_said_and_the_runs_happen_in_place(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _tree(tmp_path)
    monkeypatch.setattr(workspace, "MAX_COPY_FILES", 3)
    assert plan_copy(str(tmp_path)) == "it holds more than 3 files"
    with RunSpace(str(tmp_path), ["python", "job.py"], scratch=True) as space:
        space.refresh()
        assert space.run_cwd == str(tmp_path)
        assert space.notes == [
            f"the runs happened in {tmp_path}, not in a copy: it holds more than 3 files"
        ]
        for run in range(2):  # in place, what each run appended is known too
            before = space.stamp()
            with open(tmp_path / "log.txt", "a") as log:
                log.write("ran\n")
            (tmp_path / "data" / "in.csv").write_bytes(b"x" * (INLINE_BYTES + run))
            effects = space.effects(before)
            assert effects.pop("log.txt") == FileEffect("appended", b"ran\n", "", 4)
            [(path, effect)] = effects.items()
            assert (path, effect.state, effect.size, len(effect.digest)) == (
                os.path.join("data", "in.csv"),
                "written",
                INLINE_BYTES + run,
                64 if run else 0,
            )


def test_arguments_that_name_paths_are_watched(tmp_path: Path) -> None:
    (tmp_path / "out").mkdir()
    (tmp_path / "input.txt").write_text("")
    found = argument_paths(
        ["-m", "42", "missing.txt", "input.txt", "out/new.csv", "nodir/new.csv"], str(tmp_path)
    )
    assert found == [str(tmp_path / "input.txt"), str(tmp_path / "out" / "new.csv")]
