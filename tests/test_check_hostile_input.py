"""Hostile input never crashes `check`: each bad file is one entry in `errors`, with its kind, and
the rest of the tree is still analysed. Real files, the real CLI."""

from __future__ import annotations

import json
import os
import sysconfig
from pathlib import Path

import pytest

from advisor.check import CheckRequest, check_paths
from conftest import run_cli

GOOD = "import time\nout = []\nfor u in urls:\n    out.append(time.sleep(u))\n"


def build_tree(root: Path) -> None:
    (root / "good.py").write_text(GOOD)
    (root / "syntax.py").write_text("def f(:\n    pass\n")
    (root / "python2.py").write_text('print "hello"\nexec "x = 1"\n')
    (root / "latin1.py").write_bytes("name = 'café'\n".encode("latin-1"))
    (root / "bad_cookie.py").write_bytes(b"# -*- coding: no-such-codec -*-\nx = 1\n")
    (root / "nul.py").write_bytes(b"x = 1\x00\n")
    (root / "binary.py").write_bytes(bytes(range(256)) * 4)
    (root / "empty.py").write_bytes(b"")
    (root / "bom.py").write_bytes(b"\xef\xbb\xbf" + GOOD.encode())
    (root / "nested.py").write_text("x = " + "(" * 300 + "1" + ")" * 300 + "\n")
    deep = "".join("    " * i + f"if x{i}:\n" for i in range(90)) + "    " * 90 + "pass\n"
    (root / "deep_blocks.py").write_text(deep)
    (root / "huge.py").write_text("\n".join(f"v{i} = {i}" for i in range(60_000)) + "\n" + GOOD)
    loop = root / "loop"
    loop.mkdir()
    (loop / "again").symlink_to(root)  # a directory symlink back up: a loop
    (root / "dangling.py").symlink_to(root / "missing-target.py")
    os.mkfifo(root / "fifo.py")


def test_every_hostile_file_is_one_error_and_the_rest_is_analysed(tmp_path: Path) -> None:
    build_tree(tmp_path)
    report = check_paths(CheckRequest(paths=(str(tmp_path),), use_cache=False))
    errors = {Path(e.path).name: e.kind for e in report.errors}
    assert errors == {
        "syntax.py": "syntax",
        "python2.py": "syntax",
        "latin1.py": "encoding",
        "bad_cookie.py": "encoding",
        "nul.py": "syntax",
        "binary.py": "encoding",  # not UTF-8, no cookie
        "nested.py": "syntax",
        "dangling.py": "io",
        "fifo.py": "io",
    }
    found = sorted((Path(f.path).name, f.line, f.rule) for f in report.findings)
    assert found == [("bom.py", 3, "CA101"), ("good.py", 3, "CA101"), ("huge.py", 60_003, "CA101")]


def test_the_cli_reports_them_without_a_traceback(tmp_path: Path) -> None:
    build_tree(tmp_path)
    result = run_cli("check", str(tmp_path), "--format", "json", "--no-cache")
    assert result.returncode == 1, result.stderr
    assert result.stderr == ""
    report = json.loads(result.stdout)
    assert all(e["kind"] != "internal" for e in report["errors"])
    assert len(report["errors"]) == 9


def test_a_second_run_comes_from_the_cache_and_matches(tmp_path: Path) -> None:
    build_tree(tmp_path)
    first = run_cli("check", str(tmp_path), "--format", "json")
    second = run_cli("check", str(tmp_path), "--format", "json")
    assert first.stdout == second.stdout


@pytest.mark.slow
def test_the_whole_standard_library_gives_no_internal_error() -> None:
    stdlib = sysconfig.get_paths()["stdlib"]
    report = check_paths(CheckRequest(paths=(stdlib,), use_cache=False))
    internal = [e for e in report.errors if e.kind == "internal"]
    assert internal == []
    assert len(report.findings) > 50  # it did analyse the tree
