"""`concadvise fix` from the command line: exit codes, --diff, and a write that fails midway."""

from __future__ import annotations

import codecs
import os
import resource
import shutil
import signal
import subprocess
import sys
from pathlib import Path

from conftest import FIXTURES, SAFE_IO_LOOP, run_cli


def test_diff_prints_the_patch_writes_nothing_and_exits_1(tmp_path: Path) -> None:
    target = tmp_path / "download_pages.py"
    shutil.copy(FIXTURES / "download_pages.py", target)
    before = target.read_bytes()
    result = run_cli("fix", "--diff", "download_pages.py", cwd=tmp_path)
    assert result.returncode == 1, result.stderr
    assert target.read_bytes() == before
    assert result.stdout.startswith("--- a/download_pages.py\n+++ b/download_pages.py\n")
    assert "+    with ThreadPoolExecutor(max_workers=8) as executor:\n" in result.stdout
    assert "download_pages.py:44: CA101 would fix" in result.stderr
    assert result.stderr.rstrip().endswith("Would fix 1 finding in 1 file.")
    # The printed diff applies cleanly and gives exactly what `fix` writes.
    patched = subprocess.run(
        ["patch", "-p1", "--dry-run", "-s"],
        input=result.stdout,
        text=True,
        cwd=tmp_path,
        capture_output=True,
    )
    assert patched.returncode == 0, patched.stdout + patched.stderr


def test_fix_writes_exits_0_and_a_second_run_finds_nothing(tmp_path: Path) -> None:
    for name in ("download_pages.py", "fetch_records.py"):
        shutil.copy(FIXTURES / name, tmp_path / name)
    first = run_cli("fix", ".", cwd=tmp_path)
    assert first.returncode == 0, first.stdout + first.stderr
    assert first.stdout.rstrip().endswith("Fixed 2 findings in 2 files.")
    for name in ("download_pages.py", "fetch_records.py"):
        compile((tmp_path / name).read_text(), name, "exec")
    second = run_cli("fix", ".", cwd=tmp_path)
    assert second.returncode == 0
    assert second.stdout.strip() == "Fixed 0 findings in 0 files."


def test_a_loop_that_prints_as_it_goes_is_split_and_prints_the_same(tmp_path: Path) -> None:
    """The request runs in the pool; the print, the dict and the running total stay serial after
    it, in input order, so the fixed script prints exactly what the serial one did."""
    for name in ("mirror_pages.py", "latency_server.py"):
        shutil.copy(FIXTURES / name, tmp_path / name)
    serial = subprocess.run(
        [sys.executable, "mirror_pages.py"], cwd=tmp_path, capture_output=True, text=True
    )
    result = run_cli("fix", "mirror_pages.py", cwd=tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    fixed = (tmp_path / "mirror_pages.py").read_text()
    assert (
        "    def _url_result(url):\n"
        "        with urllib.request.urlopen(url, timeout=10) as response:\n"
        "            page = response.read()\n"
        '        name = url.rsplit("/", 1)[-1]\n'
        "        return name, page\n"
        "\n"
        "    with ThreadPoolExecutor(max_workers=8) as executor:\n"
        "        for name, page in executor.map(_url_result, urls):\n"
        '            print(f"page {name}: {len(page)} bytes")\n'
        "            sizes[name] = len(page)\n"
        "            total += len(page)\n"
    ) in fixed
    rerun = subprocess.run(
        [sys.executable, "mirror_pages.py"], cwd=tmp_path, capture_output=True, text=True
    )
    assert (rerun.returncode, rerun.stdout) == (0, serial.stdout)
    assert serial.stdout.endswith("20 pages, 65515 bytes, largest 4020\n"), serial.stdout


def test_a_progress_line_before_the_work_and_a_csv_row_after_it_stay_in_order(
    tmp_path: Path,
) -> None:
    """The progress line runs just before each page's result is taken, the CSV row after it:
    the fixed script prints the same lines and writes the same file."""
    for name in ("export_sizes.py", "latency_server.py"):
        shutil.copy(FIXTURES / name, tmp_path / name)
    serial = subprocess.run(
        [sys.executable, "export_sizes.py"], cwd=tmp_path, capture_output=True, text=True
    )
    written = (tmp_path / "sizes.csv").read_text()
    (tmp_path / "sizes.csv").unlink()
    result = run_cli("fix", "export_sizes.py", cwd=tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    fixed = (tmp_path / "export_sizes.py").read_text()
    assert (
        "        with ThreadPoolExecutor(max_workers=8) as executor:\n"
        "            items = list(enumerate(urls, start=1))\n"
        "            results = executor.map(_item_result, items)\n"
        "            for number, url in items:\n"
        "                print(f\"[{number}/{len(urls)}] fetching {url.rsplit('/', 1)[-1]}\")\n"
        "                page = next(results)\n"
        "                writer.writerow([number, len(page)])\n"
    ) in fixed
    rerun = subprocess.run(
        [sys.executable, "export_sizes.py"], cwd=tmp_path, capture_output=True, text=True
    )
    assert (rerun.returncode, rerun.stdout) == (0, serial.stdout)
    assert (tmp_path / "sizes.csv").read_text() == written
    assert serial.stdout.startswith("[1/20] fetching 1\n[2/20] fetching 2\n"), serial.stdout


def test_a_loop_of_commands_is_left_to_a_verified_run(tmp_path: Path) -> None:
    """Each item runs a command: an external effect that source cannot prove independent (a
    later command may read an earlier one's files), so `fix` leaves it and says why."""
    shutil.copy(FIXTURES / "checksum_files.py", tmp_path / "checksum_files.py")
    result = run_cli("fix", ".", cwd=tmp_path)
    assert result.returncode == 1, result.stdout + result.stderr
    assert "checksum_files.py:32: CA101 left: unsafe (`checksum()` calls `subprocess.run`" in (
        " ".join(result.stdout.split())
    )
    # writing a file per item has a rewrite now (effects only), but cannot be proven safe
    assert "checksum_files.py:39: CA101 left: unsafe (per-item work opens a file for writing" in (
        " ".join(result.stdout.split())
    )
    assert result.stdout.rstrip().endswith("Fixed 0 findings in 0 files; 2 findings left unfixed.")


def test_findings_left_unfixed_exit_1_with_reasons(tmp_path: Path) -> None:
    shutil.copy(FIXTURES / "unsafe_loops.py", tmp_path / "unsafe_loops.py")
    result = run_cli("fix", "unsafe_loops.py", cwd=tmp_path)
    assert result.returncode == 1
    # a carried token and a search have no rewrite at all; the printing loop is unsafe
    assert result.stdout.count(" left: no automatic rewrite for this shape") == 2
    assert result.stdout.count(" left: unsafe (") == 1
    assert "rerun with --unsafe-fixes to apply it" in result.stdout
    assert result.stdout.rstrip().endswith("3 findings left unfixed.")


def test_missing_path_is_one_line_and_exit_2(tmp_path: Path) -> None:
    result = run_cli("fix", "nope.py", cwd=tmp_path)
    assert result.returncode == 2
    assert "nope.py: error (io): no such file or directory" in result.stdout
    assert "Traceback" not in result.stdout + result.stderr


def _limit_file_size() -> None:
    # Any write past 64 bytes fails (EFBIG), like a full disk; SIGXFSZ would kill us instead.
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    resource.setrlimit(resource.RLIMIT_FSIZE, (64, 64))


def test_a_failed_write_leaves_the_original_and_no_temporary_file(tmp_path: Path) -> None:
    target = tmp_path / "download_pages.py"
    shutil.copy(FIXTURES / "download_pages.py", target)
    before = target.read_bytes()
    result = subprocess.run(
        [sys.executable, "-m", "advisor.cli", "fix", "download_pages.py"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        preexec_fn=_limit_file_size,
        env=dict(os.environ, COLUMNS="200"),
        timeout=120,
    )
    assert result.returncode == 2, result.stdout + result.stderr
    assert target.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["download_pages.py"]
    assert "download_pages.py: error (io): not written: file too large; the file is unchanged" in (
        result.stdout
    )


def test_the_diff_keeps_bom_crlf_and_encoding_so_git_apply_gives_what_fix_writes(
    tmp_path: Path,
) -> None:
    source = SAFE_IO_LOOP.encode()  # its import goes in at line 2: line 1 is context
    originals = {
        "bom_crlf.py": codecs.BOM_UTF8 + source.replace(b"\n", b"\r\n"),
        "latin1.py": b"# -*- coding: latin-1 -*-\n# caf\xe9 cr\xe8me\n" + source,
        "plain.py": source,
    }
    for name, data in originals.items():
        (tmp_path / name).write_bytes(data)
    subprocess.run(["git", "init", "-q"], cwd=tmp_path, check=True)
    cli = [sys.executable, "-m", "advisor.cli", "fix"]
    diff = subprocess.run([*cli, "--diff", "."], cwd=tmp_path, capture_output=True, check=False)
    assert diff.returncode == 1, diff.stderr
    assert diff.stdout.count(b"\n+++ b/") == 3
    assert b"\n \xef\xbb\xbfimport urllib.request\r\n" in diff.stdout  # context keeps the BOM
    assert b"# caf\xe9 cr\xe8me\n" in diff.stdout  # latin-1's own bytes
    for step in (["--check"], []):
        applied = subprocess.run(
            ["git", "apply", *step, "-"], input=diff.stdout, cwd=tmp_path, capture_output=True
        )
        assert applied.returncode == 0, applied.stderr
    patched = {name: (tmp_path / name).read_bytes() for name in originals}
    assert all(patched[name] != data for name, data in originals.items())
    for name, data in originals.items():
        (tmp_path / name).write_bytes(data)
    fixed = subprocess.run([*cli, "."], cwd=tmp_path, capture_output=True, check=False)
    assert fixed.returncode == 0, fixed.stderr
    assert {name: (tmp_path / name).read_bytes() for name in originals} == patched


def test_fix_keeps_the_hard_links_of_the_file_it_rewrites(tmp_path: Path) -> None:
    target = tmp_path / "download_pages.py"
    shutil.copy(FIXTURES / "download_pages.py", target)
    (tmp_path / "elsewhere").mkdir()
    other_name = tmp_path / "elsewhere" / "pages.py"
    os.link(target, other_name)
    result = run_cli("fix", "download_pages.py", cwd=tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "ThreadPoolExecutor(max_workers=8)" in other_name.read_text()
    assert target.stat().st_ino == other_name.stat().st_ino and target.stat().st_nlink == 2
    assert sorted(p.name for p in tmp_path.iterdir()) == ["download_pages.py", "elsewhere"]
