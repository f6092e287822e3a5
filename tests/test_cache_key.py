"""The findings cache's key follows the code that decides findings, so a changed detector never
shows stale findings, while editing a renderer keeps the cache."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

from advisor.cache_key import code_digest, findings_cache_key, rules_digest, source_digest
from advisor.config import Config

ROOT = Path(__file__).resolve().parent.parent

SERIAL_IO = "import time\n\n\ndef poll(jobs):\n    for job in jobs:\n        time.sleep(job)\n"


def copy_package(tmp_path: Path) -> Path:
    """A runnable copy of the package (its rule files where the installed package has them)."""
    target = tmp_path / "site" / "advisor"
    shutil.copytree(ROOT / "advisor", target, ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copytree(ROOT / "rules", target / "rules")
    return target


def test_the_digest_changes_with_a_detector_and_not_with_a_renderer(tmp_path: Path) -> None:
    package = copy_package(tmp_path)
    before = source_digest(package)
    assert before == source_digest(package)
    assert before == code_digest()  # the copy is this checkout's code
    with (package / "report" / "console.py").open("a") as handle:
        handle.write("# a renderer's comment\n")
    assert source_digest(package) == before
    with (package / "analysis" / "loop_rules.py").open("a") as handle:
        handle.write("# a detector's comment\n")
    assert source_digest(package) != before


def test_the_key_holds_config_rules_and_code() -> None:
    key = findings_cache_key(Config())
    assert key == f"{Config().cache_key()}-{rules_digest()}-{code_digest()}"
    assert findings_cache_key(Config(ignore=("CA101",))) != key


def check_json(site: Path, source: Path, cache: Path) -> list[str]:
    env = {**os.environ, "PYTHONPATH": str(site), "CONCADVISE_CACHE_DIR": str(cache)}
    command = [sys.executable, "-c", "from advisor.cli import main; main()", "check", "-f", "json"]
    completed = subprocess.run(
        [*command, str(source)],
        capture_output=True,
        text=True,
        env=env,
        cwd=source.parent,
        check=False,
    )
    assert completed.returncode in (0, 1), completed.stderr
    return [f["rule"] for f in json.loads(completed.stdout)["findings"]]


def test_a_changed_detector_shows_no_stale_cached_findings(tmp_path: Path) -> None:
    package = copy_package(tmp_path)
    source = tmp_path / "work" / "poll.py"
    source.parent.mkdir()
    source.write_text(SERIAL_IO)
    cache = tmp_path / "cache"
    assert check_json(package.parent, source, cache) == ["CA101"]
    assert any(cache.rglob("*.json"))  # the findings were cached
    with (package / "analysis" / "loop_rules.py").open("a") as handle:
        handle.write("\n\ndef detect_loop_rules(*_args, **_kwargs):  # the edited detector\n")
        handle.write("    return []\n")
    assert check_json(package.parent, source, cache) == []
