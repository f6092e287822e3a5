"""The findings cache: hits on unchanged content, misses on anything else, never an error."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from advisor.analysis.cache import CachedResult, FindingsCache, default_cache_dir
from advisor.model import ErrorEntry, Evidence, Finding, Site, StartCounts, TextEdit

CONTENT = b"for url in urls:\n    fetch(url)\n"


def finding(path: str, **changes: object) -> Finding:
    fields: dict = {
        "rule": "CA101",
        "path": path,
        "line": 1,
        "end_line": 2,
        "message": "serial loop blocks on I/O — 20 requests, café",
        "kind": "io",
        "suggestion": "thread_pool",
        "fix_safety": "unsafe",
        "reasons": ("writes a global", "prints"),
        "workers": 8,
        "predicted_speedup": 3.141592653589793,
        "evidence": Evidence(
            wall_s=2.4, share_of_run=0.96, cpu_python=0.02, cpu_native=0.01, waiting=0.97
        ),
        "diff": "--- a/x.py\n+++ b/x.py\n@@ -1 +1 @@\n-a\n+b\n",
        "site": Site(line=1, column=1, end_line=2, end_column=15, shape="for_append"),
        "edits": (TextEdit(1, 1, 2, 1, "b\n"),),
        "fingerprint": "0" * 64,
        "run_checkable": True,
        "chunksize": 37500,
        "started": StartCounts("thread_pool_task", 20, 1, workers=4),
    }
    fields.update(changes)
    return Finding(**fields)  # type: ignore[arg-type]


def result_for(path: str) -> CachedResult:
    return CachedResult(
        findings=(
            finding(path),
            finding(
                path,
                line=5,
                end_line=5,
                reasons=(),
                workers=None,
                predicted_speedup=None,
                evidence=None,
                fix_safety="safe",
                kind="unknown",
                suggestion="none",
            ),
        ),
        errors=(ErrorEntry(path, "syntax", "syntax error at line 3: invalid syntax"),),
    )


def test_the_round_trip_sample_sets_every_field_away_from_its_default() -> None:
    sample = finding("a.py")
    for field in dataclasses.fields(Finding):
        assert getattr(sample, field.name) != field.default, f"set {field.name} in finding()"


def entries(directory: Path) -> list[Path]:
    return sorted(directory.rglob("*.json"))


def test_a_put_entry_comes_back_with_every_field(tmp_path: Path) -> None:
    cache = FindingsCache(tmp_path / "cache", "0.1.0", "cfg")
    result = result_for("src/a.py")
    cache.put("src/a.py", CONTENT, result)
    assert cache.get("src/a.py", CONTENT) == result
    back = cache.get("src/a.py", CONTENT)
    assert back is not None
    assert type(back.findings) is tuple and type(back.findings[0].reasons) is tuple
    assert type(back.findings[0].evidence) is Evidence


def test_the_path_is_filled_in_so_a_moved_file_keeps_its_entry(tmp_path: Path) -> None:
    cache = FindingsCache(tmp_path / "cache", "0.1.0", "cfg")
    cache.put("old/a.py", CONTENT, result_for("old/a.py"))
    assert cache.get("new/b.py", CONTENT) == result_for("new/b.py")
    assert b"old/a.py" not in entries(tmp_path / "cache")[0].read_bytes()


def test_a_new_instance_reads_what_an_old_one_wrote(tmp_path: Path) -> None:
    FindingsCache(tmp_path, "0.1.0", "cfg").put("a.py", CONTENT, CachedResult())
    assert FindingsCache(tmp_path, "0.1.0", "cfg").get("a.py", CONTENT) == CachedResult()


def test_changed_content_is_a_miss(tmp_path: Path) -> None:
    cache = FindingsCache(tmp_path, "0.1.0", "cfg")
    cache.put("a.py", CONTENT, result_for("a.py"))
    assert cache.get("a.py", CONTENT + b"\n") is None


@pytest.mark.parametrize(("version", "config_key"), [("0.2.0", "cfg"), ("0.1.0", "other")])
def test_another_tool_version_or_config_is_a_miss(
    tmp_path: Path, version: str, config_key: str
) -> None:
    FindingsCache(tmp_path, "0.1.0", "cfg").put("a.py", CONTENT, result_for("a.py"))
    assert FindingsCache(tmp_path, version, config_key).get("a.py", CONTENT) is None


def test_entries_live_under_version_and_key_prefix(tmp_path: Path) -> None:
    FindingsCache(tmp_path, "1.0+dev/x", "cfg").put("a.py", CONTENT, CachedResult())
    [entry] = entries(tmp_path)
    version_dir, prefix_dir = entry.parent.parent, entry.parent
    assert version_dir == tmp_path / "1.0+dev_x"
    assert entry.name.startswith(prefix_dir.name) and len(entry.stem) == 64
    assert not list(prefix_dir.glob(".tmp-*"))  # the temp file was renamed into place


@pytest.mark.parametrize(
    "corruption",
    [
        b"",
        b"{not json",
        b"\xff\xfe",
        b"[]",
        b'{"format": 1}',
        b'{"format": 99, "findings": [], "errors": []}',
        b'{"format": 1, "findings": [{"rule": "CA101"}], "errors": []}',
        b'{"format": 1, "findings": [], "errors": [{"kind": "weird", "message": "m"}]}',
        b'{"format": 1, "findings": [], "errors": [{"kind": "io", "message": 3}]}',
        b'{"format": 1, "findings": [], "errors": [["io", "m"]]}',
        b"[" * 100_000,
    ],
)
def test_a_corrupt_entry_is_a_miss(tmp_path: Path, corruption: bytes) -> None:
    cache = FindingsCache(tmp_path, "0.1.0", "cfg")
    cache.put("a.py", CONTENT, result_for("a.py"))
    [entry] = entries(tmp_path)
    entry.write_bytes(corruption)
    assert cache.get("a.py", CONTENT) is None


def test_a_field_of_the_wrong_type_is_a_miss(tmp_path: Path) -> None:
    cache = FindingsCache(tmp_path, "0.1.0", "cfg")
    cache.put("a.py", CONTENT, result_for("a.py"))
    [entry] = entries(tmp_path)
    for good, bad in [(b'"line":1', b'"line":true'), (b'"workers":8', b'"workers":"8"')]:
        assert good in entry.read_bytes()
        entry.write_bytes(entry.read_bytes().replace(good, bad))
        assert cache.get("a.py", CONTENT) is None
        entry.write_bytes(entry.read_bytes().replace(bad, good))
        assert cache.get("a.py", CONTENT) == result_for("a.py")


def test_an_entry_that_is_a_directory_is_a_miss(tmp_path: Path) -> None:
    cache = FindingsCache(tmp_path, "0.1.0", "cfg")
    cache.put("a.py", CONTENT, CachedResult())
    [entry] = entries(tmp_path)
    entry.unlink()
    entry.mkdir()
    assert cache.get("a.py", CONTENT) is None
    cache.put("a.py", CONTENT, CachedResult())  # cannot replace a directory: dropped silently


def test_a_cache_directory_that_cannot_be_created_disables_the_cache(tmp_path: Path) -> None:
    # Root may write anywhere, so the directory is made impossible: its parent is a file.
    blocker = tmp_path / "not-a-dir"
    blocker.write_text("")
    cache = FindingsCache(blocker / "cache", "0.1.0", "cfg")
    assert not cache.enabled
    cache.put("a.py", CONTENT, result_for("a.py"))
    assert cache.get("a.py", CONTENT) is None
    cache.clear()


def test_put_refuses_a_result_about_another_file(tmp_path: Path) -> None:
    cache = FindingsCache(tmp_path, "0.1.0", "cfg")
    with pytest.raises(ValueError, match=r"other\.py"):
        cache.put("a.py", CONTENT, result_for("other.py"))


def test_clear_removes_every_version_and_only_cache_directories(tmp_path: Path) -> None:
    FindingsCache(tmp_path, "0.1.0", "cfg").put("a.py", CONTENT, CachedResult())
    cache = FindingsCache(tmp_path, "0.2.0", "cfg")
    cache.put("a.py", CONTENT, CachedResult())
    (tmp_path / "mine").mkdir()
    (tmp_path / "mine" / "keep.json").write_text("{}")
    cache.clear()
    assert entries(tmp_path) == [tmp_path / "mine" / "keep.json"]
    assert cache.get("a.py", CONTENT) is None
    cache.put("a.py", CONTENT, CachedResult())  # still usable after clearing
    assert cache.get("a.py", CONTENT) == CachedResult()


def test_default_cache_dir_follows_the_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CONCADVISE_CACHE_DIR", str(tmp_path / "explicit"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert default_cache_dir() == tmp_path / "explicit"
    monkeypatch.delenv("CONCADVISE_CACHE_DIR")
    assert default_cache_dir() == tmp_path / "xdg" / "concadvise"
    monkeypatch.setenv("XDG_CACHE_HOME", "relative/ignored")
    assert default_cache_dir() == tmp_path / "home" / ".cache" / "concadvise"
    monkeypatch.delenv("XDG_CACHE_HOME")
    assert default_cache_dir() == tmp_path / "home" / ".cache" / "concadvise"
