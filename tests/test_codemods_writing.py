"""Atomic writes: refused when the file changed since it was read, never half-written."""

from __future__ import annotations

from pathlib import Path

import pytest

from advisor.codemods.writing import WriteRefused, write_atomically


def test_refuses_a_file_that_changed_since_it_was_read(tmp_path: Path) -> None:
    target = tmp_path / "script.py"
    target.write_bytes(b"x = 1\n")
    read = target.read_bytes()
    target.write_bytes(b"x = 2  # edited by the user meanwhile\n")
    with pytest.raises(WriteRefused, match="the file changed since it was read"):
        write_atomically(target, b"x = 3\n", expected=read)
    assert target.read_bytes() == b"x = 2  # edited by the user meanwhile\n"
    assert [p.name for p in tmp_path.iterdir()] == ["script.py"]


def test_writes_when_unchanged_and_without_expectation(tmp_path: Path) -> None:
    target = tmp_path / "script.py"
    target.write_bytes(b"x = 1\n")
    write_atomically(target, b"x = 3\n", expected=b"x = 1\n")
    assert target.read_bytes() == b"x = 3\n"
    write_atomically(tmp_path / "new.txt", b"hello")
    assert (tmp_path / "new.txt").read_bytes() == b"hello"
