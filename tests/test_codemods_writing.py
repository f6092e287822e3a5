"""Atomic writes: refused when the file changed since it was read, never half-written."""

from __future__ import annotations

import os
import resource
import signal
import stat
import subprocess
import sys
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


def test_a_hard_linked_file_is_written_in_place_so_every_name_sees_the_rewrite(
    tmp_path: Path,
) -> None:
    target = tmp_path / "script.py"
    target.write_bytes(b"x = 1\n" * 100)
    target.chmod(0o640)
    other = tmp_path / "linked.py"
    os.link(target, other)
    inode = target.stat().st_ino
    write_atomically(target, b"x = 3\n", expected=b"x = 1\n" * 100)
    assert target.read_bytes() == other.read_bytes() == b"x = 3\n"
    assert (target.stat().st_ino, target.stat().st_nlink, stat.S_IMODE(target.stat().st_mode)) == (
        inode,
        2,
        0o640,
    )
    assert sorted(p.name for p in tmp_path.iterdir()) == ["linked.py", "script.py"]


def _limit_file_size_to(size: int) -> None:
    # a write past ``size`` bytes fails (EFBIG), like a full disk; SIGXFSZ would kill instead
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    resource.setrlimit(resource.RLIMIT_FSIZE, (size, size))


WRITE = "import sys; from advisor.codemods.writing import write_atomically as w"


def test_a_failed_in_place_write_puts_the_original_back(tmp_path: Path) -> None:
    target = tmp_path / "script.py"
    target.write_bytes(b"original\n" * 20)
    os.link(target, tmp_path / "linked.py")
    longer = "rewritten\n" * 30  # past the limit: the write stops midway
    failed = subprocess.run(
        [
            sys.executable,
            "-c",
            f"{WRITE}; w(sys.argv[1], sys.argv[2].encode())",
            str(target),
            longer,
        ],
        capture_output=True,
        text=True,
        preexec_fn=lambda: _limit_file_size_to(250),
        timeout=60,
    )
    assert "OSError: [Errno 27] File too large" in failed.stderr
    assert (tmp_path / "linked.py").read_bytes() == b"original\n" * 20
    assert sorted(p.name for p in tmp_path.iterdir()) == ["linked.py", "script.py"]
