"""Which files ``check`` analyses: walking, skipping, excludes, symlinks and unreadable paths."""

from __future__ import annotations

import contextlib
import os
import pwd
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from advisor.analysis.discovery import discover
from advisor.config import Config
from advisor.model import ErrorEntry


def make_tree(root: Path, *files: str) -> None:
    for relative in files:
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("x = 1\n")


def test_walks_directories_for_py_files_skipping_hidden_and_tool_dirs(tmp_path: Path) -> None:
    make_tree(
        tmp_path,
        "app.py",
        "pkg/mod.py",
        "pkg/stub.pyi",
        "pkg/notes.txt",
        "pkg/script",
        ".hidden/secret.py",
        "pkg/.cache/c.py",
        ".venv/lib/x.py",
        "venv/lib/x.py",
        "node_modules/n.py",
        "pkg/__pycache__/mod.py",
        "build/b.py",
        "dist/d.py",
        "lib/site-packages/s.py",
        ".git/hooks/h.py",
    )
    files, errors = discover([str(tmp_path)], Config(root=str(tmp_path)))
    assert files == [str(tmp_path / "app.py"), str(tmp_path / "pkg" / "mod.py")]
    assert errors == []


def test_explicit_paths_are_taken_at_the_users_word(tmp_path: Path) -> None:
    make_tree(tmp_path, "bin/tool", "build/gen.py", ".hidden/h.py")
    config = Config(root=str(tmp_path))
    files, errors = discover(
        [str(tmp_path / "bin" / "tool"), str(tmp_path / "build"), str(tmp_path / ".hidden")],
        config,
    )
    assert files == [
        str(tmp_path / ".hidden" / "h.py"),
        str(tmp_path / "bin" / "tool"),
        str(tmp_path / "build" / "gen.py"),
    ]
    assert errors == []


def test_exclude_globs_apply_while_walking_and_to_explicit_paths(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    make_tree(
        tmp_path,
        "src/app.py",
        "src/generated/g.py",
        "tests/test_a.py",
        "tests/fixtures/f.py",
        "tests/fixtures/deep/f2.py",
        "legacy_old.py",
    )
    config = Config(exclude=("generated", "tests/fixtures/*", "*_old.py"), root=str(tmp_path))
    monkeypatch.chdir(tmp_path)
    files, errors = discover(["."], config)
    assert files == ["./src/app.py", "./tests/test_a.py"]
    files, errors = discover(["tests/fixtures/f.py", "legacy_old.py", "src"], config)
    assert files == ["src/app.py"]
    assert errors == []


def test_output_is_sorted_and_each_real_file_appears_once(tmp_path: Path) -> None:
    make_tree(tmp_path, "b.py", "a.py", "sub/c.py")
    (tmp_path / "alias.py").symlink_to(tmp_path / "a.py")
    (tmp_path / "sub_link").symlink_to(tmp_path / "sub")
    given = [str(tmp_path), str(tmp_path / "b.py"), str(tmp_path / "sub"), str(tmp_path) + "/"]
    files, errors = discover(given, Config(root=str(tmp_path)))
    assert files == sorted(files)
    assert sorted(os.path.realpath(f) for f in files) == sorted(
        str((tmp_path / name).resolve()) for name in ("a.py", "b.py", "sub/c.py")
    )
    assert errors == []


def test_a_symlink_loop_is_walked_once(tmp_path: Path) -> None:
    make_tree(tmp_path, "pkg/mod.py", "pkg/inner/deep.py")
    (tmp_path / "pkg" / "inner" / "back").symlink_to(tmp_path / "pkg")  # pkg/inner/back -> pkg
    (tmp_path / "pkg" / "self").symlink_to(".")
    files, errors = discover([str(tmp_path)], Config(root=str(tmp_path)))
    assert files == [str(tmp_path / "pkg" / "inner" / "deep.py"), str(tmp_path / "pkg" / "mod.py")]
    assert errors == []


def test_links_that_point_nowhere_are_reported(tmp_path: Path) -> None:
    make_tree(tmp_path, "ok.py")
    (tmp_path / "dangling.py").symlink_to(tmp_path / "gone.py")
    (tmp_path / "loop_a.py").symlink_to(tmp_path / "loop_b.py")
    (tmp_path / "loop_b.py").symlink_to(tmp_path / "loop_a.py")
    files, errors = discover([str(tmp_path)], Config(root=str(tmp_path)))
    assert files == [str(tmp_path / "ok.py")]
    assert errors == [
        ErrorEntry(str(tmp_path / "dangling.py"), "io", "no such file or directory"),
        ErrorEntry(str(tmp_path / "loop_a.py"), "io", "too many levels of symbolic links"),
        ErrorEntry(str(tmp_path / "loop_b.py"), "io", "too many levels of symbolic links"),
    ]


def test_a_missing_path_is_an_io_error_and_the_rest_is_still_found(tmp_path: Path) -> None:
    make_tree(tmp_path, "ok.py")
    missing = str(tmp_path / "missing.py")
    files, errors = discover([missing, str(tmp_path), missing], Config(root=str(tmp_path)))
    assert files == [str(tmp_path / "ok.py")]
    assert errors == [ErrorEntry(missing, "io", "no such file or directory")]


def test_a_path_through_a_file_is_an_io_error_with_the_os_reason(tmp_path: Path) -> None:
    # Root reads any directory, so unreadability is provoked with a path no one can open.
    make_tree(tmp_path, "module.py")
    through_file = str(tmp_path / "module.py" / "inner.py")
    files, errors = discover([through_file], Config(root=str(tmp_path)))
    assert files == []
    assert errors == [ErrorEntry(through_file, "io", "not a directory")]


def test_a_fifo_is_not_read(tmp_path: Path) -> None:
    fifo = tmp_path / "pipe.py"
    os.mkfifo(fifo)
    files, errors = discover([str(fifo), str(tmp_path)], Config(root=str(tmp_path)))
    assert files == []
    assert errors == [ErrorEntry(str(fifo), "io", "not a regular file")]


def test_an_unreadable_directory_is_reported_and_the_rest_is_analysed() -> None:
    # chmod 000 does not stop root, so as root the walk runs with the effective user "nobody"
    # (and back); the tree then lives in a fresh world-readable directory, as tmp_path is private.
    with tempfile.TemporaryDirectory() as scratch:
        top = Path(scratch) / "tree"
        make_tree(top, "ok.py", "locked/hidden.py")
        os.chmod(scratch, 0o755)
        os.chmod(top / "locked", 0o000)
        try:
            with _unprivileged():
                files, errors = discover([str(top)], Config(root=str(top)))
        finally:
            os.chmod(top / "locked", 0o755)
    assert files == [str(top / "ok.py")]
    assert errors == [
        ErrorEntry(str(top / "locked"), "io", "cannot read directory: permission denied")
    ]


@contextlib.contextmanager
def _unprivileged() -> Iterator[None]:
    if os.geteuid() != 0:
        yield
        return
    try:
        nobody = pwd.getpwnam("nobody").pw_uid
        os.seteuid(nobody)
    except (KeyError, OSError) as exc:
        pytest.skip(
            f"running as root and cannot act as 'nobody' to make a directory unreadable: {exc}"
        )
    try:
        yield
    finally:
        os.seteuid(0)
