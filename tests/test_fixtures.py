"""Real runs of the fixture scripts in fixtures/ (the scripts concadvise profiles and rewrites).

Each script is run with this interpreter in a subprocess. Runs that only need to be
compared are started concurrently, so the whole module takes well under 15 s.
"""

from __future__ import annotations

import ast
import importlib.util
import json
import os
import re
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import pytest

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
TEST_LATENCY = 0.02


def _load_latency_server():
    spec = importlib.util.spec_from_file_location("latency_server", FIXTURES / "latency_server.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault("latency_server", module)
    spec.loader.exec_module(module)
    return module


latency_server = _load_latency_server()


@dataclass
class Run:
    returncode: int
    stdout: str
    stderr: str
    seconds: float


def run_script(name: str, *args: str, env: dict[str, str] | None = None) -> Run:
    full_env = {k: v for k, v in os.environ.items() if k not in ("PAGES_URL", "RECORDS_URL")}
    full_env.update(env or {})
    start = time.perf_counter()
    proc = subprocess.run(
        [sys.executable, str(FIXTURES / name), *args],
        capture_output=True,
        text=True,
        env=full_env,
        timeout=30,
    )
    return Run(proc.returncode, proc.stdout, proc.stderr, time.perf_counter() - start)


def run_concurrently(*calls: tuple) -> list[Run]:
    """Run several (name, args, env) script invocations at once; results in call order."""
    with ThreadPoolExecutor(len(calls)) as pool:
        futures = [pool.submit(run_script, name, *args, env=env) for name, args, env in calls]
        return [f.result() for f in futures]


def assert_ok_and_identical(runs: list[Run]) -> str:
    for run in runs:
        assert run.returncode == 0, run.stderr
        assert run.stderr == ""
    first = runs[0].stdout
    for run in runs[1:]:
        assert run.stdout == first
    return first


@pytest.fixture(scope="module")
def base_url() -> Iterator[str]:
    server, url = latency_server.start_server(latency=TEST_LATENCY)
    yield url
    server.shutdown()
    server.server_close()


def get(url: str) -> bytes:
    with urllib.request.urlopen(url, timeout=10) as response:
        return response.read()


# --- latency server -------------------------------------------------------------------


def test_server_waits_at_least_latency(base_url: str) -> None:
    start = time.perf_counter()
    get(f"{base_url}/page/1")
    assert time.perf_counter() - start >= TEST_LATENCY


def test_server_routes_are_deterministic(base_url: str) -> None:
    page = get(f"{base_url}/page/7")
    assert page == get(f"{base_url}/page/7") == latency_server.render_page(7)
    assert page.startswith(b"<!DOCTYPE html>") and 2000 <= len(page) <= 5000
    assert page != get(f"{base_url}/page/8")

    record = json.loads(get(f"{base_url}/records/3"))
    assert record == {"id": 3, "amount": record["amount"], "name": "record-0003"}
    assert isinstance(record["amount"], int)
    assert json.loads(get(f"{base_url}/records/3")) == record

    with pytest.raises(urllib.error.HTTPError) as excinfo:
        get(f"{base_url}/nope")
    assert excinfo.value.code == 404


def test_server_answers_requests_concurrently() -> None:
    latency = 0.2
    server, url = latency_server.start_server(latency=latency)
    try:
        start = time.perf_counter()
        with ThreadPoolExecutor(8) as pool:
            bodies = list(pool.map(get, [f"{url}/records/{i}" for i in range(8)]))
        elapsed = time.perf_counter() - start
    finally:
        server.shutdown()
        server.server_close()
    assert [json.loads(b)["id"] for b in bodies] == list(range(8))
    assert latency <= elapsed < 4 * latency


def test_server_command_line_prints_url_and_serves() -> None:
    proc = subprocess.Popen(
        [sys.executable, str(FIXTURES / "latency_server.py"), "--latency", "0.01", "--port", "0"],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline().strip()
        assert re.fullmatch(r"http://127\.0\.0\.1:\d+", line)
        assert json.loads(get(f"{line}/records/1"))["id"] == 1
    finally:
        proc.kill()
        proc.wait()


# --- scripts that must run, be deterministic and exit 0 --------------------------------


def test_download_pages(base_url: str) -> None:
    runs = run_concurrently(
        ("download_pages.py", [], None),  # standalone: starts its own server
        ("download_pages.py", [], None),
        ("download_pages.py", [base_url], None),
        ("download_pages.py", [], {"PAGES_URL": base_url}),
    )
    out = assert_ok_and_identical(runs)
    lines = out.splitlines()
    assert len(lines) == 22
    for n, line in enumerate(lines[:20], start=1):
        path, size = line.split()
        assert path == f"/page/{n}"
        assert int(size) == len(latency_server.render_page(n))
    total = sum(len(latency_server.render_page(n)) for n in range(1, 21))
    assert lines[20] == f"total 20 pages {total} bytes"
    assert re.fullmatch(r"sha256 [0-9a-f]{64}", lines[21])
    assert runs[0].seconds >= 20 * 0.1  # standalone default latency, serial


def test_fetch_records(base_url: str) -> None:
    runs = run_concurrently(
        ("fetch_records.py", [], None),
        ("fetch_records.py", [], None),
        ("fetch_records.py", [base_url], None),
        ("fetch_records.py", [], {"RECORDS_URL": base_url}),
    )
    out = assert_ok_and_identical(runs)
    total = sum(int(latency_server.make_record(n)["amount"]) for n in range(1, 21))
    assert out == f"records 20\ntotal amount {total}\n"
    assert runs[0].seconds >= 20 * 0.1


def test_checksum_files(tmp_path: Path) -> None:
    (tmp_path / "b.txt").write_text("bravo\n")
    (tmp_path / "a.txt").write_text("alpha\n" * 3)
    (tmp_path / "subdir").mkdir()
    runs = run_concurrently(
        ("checksum_files.py", [], None),  # standalone: temporary sample directory
        ("checksum_files.py", [], None),
        ("checksum_files.py", [str(tmp_path)], None),
    )
    out = assert_ok_and_identical(runs[:2])
    lines = out.splitlines()
    assert len(lines) == 17 and lines[-1] == "16 files"
    for i, line in enumerate(lines[:16], start=1):
        name, crc, size = line.split()
        assert name == f"sample_{i:02d}.txt"
        assert int(crc) >= 0 and int(size) == len(f"sample file {i}\n") * i * 7
    assert runs[0].seconds >= 16 * 0.1

    given = runs[2]
    assert given.returncode == 0, given.stderr
    expected = []
    for name in ("a.txt", "b.txt"):
        cksum = subprocess.run(
            ["cksum", str(tmp_path / name)], capture_output=True, text=True, check=True
        )
        crc, size, _ = cksum.stdout.split(maxsplit=2)
        expected.append(f"{name} {crc} {size}")
    assert given.stdout.splitlines() == [*expected, "2 files"]


def test_unsafe_loops() -> None:
    out = assert_ok_and_identical(run_concurrently(*[("unsafe_loops.py", [], None)] * 2))
    lines = out.splitlines()
    assert re.fullmatch(r"last token [0-9a-f]{12}", lines[0])
    assert lines[1] == "alice owns acct-015"
    assert lines[2:17] == [f"fetched https://example.com/item/{i}" for i in range(1, 16)]
    assert lines[17].startswith("15 bodies, first ")
    assert len(lines) == 18


def test_crashes_midway_exits_1() -> None:
    run = run_script("crashes_midway.py")
    assert run.returncode == 1
    assert run.stdout == "fetched 10 items, sum 285\n"
    assert "RuntimeError" in run.stderr
    assert run.seconds >= 0.5


def test_broken_script_does_not_parse() -> None:
    with pytest.raises(SyntaxError):
        compile((FIXTURES / "broken" / "syntax_error.py").read_text(), "syntax_error.py", "exec")


# --- the hot loops keep the shapes the codemod recognises -----------------------------

HOT_LOOPS = {
    "download_pages.py": "for url in urls:\n        pages.append(download(url))",
    "fetch_records.py": "for record_id in record_ids:\n        total += fetch_amount(record_id)",
    "checksum_files.py": "checksums = {path: checksum(path) for path in paths}",
    "crashes_midway.py": "for item in items:\n        results.append(fetch(item))",
}


@pytest.mark.parametrize("name", sorted(HOT_LOOPS))
def test_hot_loop_shape(name: str) -> None:
    source = (FIXTURES / name).read_text()
    assert HOT_LOOPS[name] in source
    tree = ast.parse(source)
    statements = [node for node in ast.walk(tree) if isinstance(node, ast.For | ast.Assign)]
    hot = [
        node
        for node in statements
        if HOT_LOOPS[name].startswith(ast.get_source_segment(source, node).splitlines()[0])
    ]
    assert len(hot) == 1
    node = hot[0]
    if isinstance(node, ast.For):
        assert isinstance(node.target, ast.Name)
        assert len(node.body) == 1 and not node.orelse
    else:
        assert isinstance(node.value, ast.DictComp)
        (generator,) = node.value.generators
        assert isinstance(generator.target, ast.Name) and not generator.ifs
