"""The project is the unit: a loop's callee in another module of the project is analysed where
it lives (its kind, and what it does that concurrent items must not), and a cached result goes
stale when such a module changes."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

from advisor.analysis.detectors import analyse_content
from advisor.analysis.knowledge import load_knowledge
from advisor.analysis.project import ProjectModules

KNOWLEDGE = load_knowledge()


def write(root: Path, files: dict[str, str]) -> None:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text), encoding="utf-8")


def findings(path: Path) -> list[tuple[str, int, str, str, tuple[str, ...]]]:
    result = analyse_content(str(path), path.read_bytes(), KNOWLEDGE)
    assert not result.errors, result.errors
    return [(f.rule, f.line, f.kind, f.fix_safety, f.reasons) for f in result.findings]


HELPER = """
    import urllib.request


    def fetch(i):
        print("fetching", i)
        return urllib.request.urlopen(f"http://example.test/{i}").read()


    def double(i):
        return i * 2
    """


def test_a_sibling_modules_callee_gives_the_loop_its_kind_and_its_output(tmp_path: Path) -> None:
    write(
        tmp_path,
        {
            "helper.py": HELPER,
            "main.py": """
                import helper

                results = [helper.fetch(i) for i in range(10)]
                doubled = [helper.double(i) for i in range(10)]
                """,
        },
    )
    assert findings(tmp_path / "main.py") == [
        (
            "CA101",
            4,
            "io",
            "unsafe",
            (
                "`helper.fetch()` (helper.py) writes ordered output (`print`): concurrent items "
                "would interleave their lines",
                "per-item work calls `helper.fetch`, which concadvise cannot vouch for",
            ),
        )
    ]


def test_a_packages_module_is_found_from_the_project_root(tmp_path: Path) -> None:
    write(
        tmp_path,
        {
            "pyproject.toml": "[project]\nname = 'shop'\n",
            "src/shop/__init__.py": "",
            "src/shop/net.py": """
                import requests


                def download(url):
                    return requests.get(url).content
                """,
            "src/shop/jobs.py": """
                from shop.net import download


                def mirror(urls):
                    pages = []
                    for url in urls:
                        pages.append(download(url))
                    return pages
                """,
        },
    )
    [(rule, line, kind, _, _)] = findings(tmp_path / "src/shop/jobs.py")
    assert (rule, line, kind) == ("CA101", 7, "io")


def test_installed_code_is_no_project() -> None:
    assert ProjectModules.around(os.__file__, KNOWLEDGE) is None


def test_a_cached_result_is_stale_once_a_module_it_read_changes(tmp_path: Path) -> None:
    write(
        tmp_path,
        {
            "helper.py": HELPER,
            "main.py": "import helper\n\nresults = [helper.fetch(i) for i in range(10)]\n",
        },
    )
    env = {**os.environ, "CONCADVISE_CACHE_DIR": str(tmp_path / "cache")}

    def check() -> list[int]:
        run = subprocess.run(
            [sys.executable, "-m", "advisor.cli", "check", "--format", "json", "main.py"],
            cwd=tmp_path,
            env=env,
            capture_output=True,
            text=True,
        )
        return [f["line"] for f in json.loads(run.stdout)["findings"]]

    assert check() == [3]
    assert check() == [3]  # from the cache
    (tmp_path / "helper.py").write_text("def fetch(i):\n    return i\n", encoding="utf-8")
    assert check() == []


def test_a_relative_import_inside_a_package_is_followed(tmp_path: Path) -> None:
    write(
        tmp_path,
        {
            "crawler/__init__.py": "",
            "crawler/net.py": """
                import urllib.request


                def fetch(url):
                    return urllib.request.urlopen(url).read()
                """,
            "crawler/run.py": """
                from . import net
                from .net import fetch


                def run(urls):
                    first = [net.fetch(u) for u in urls]
                    second = [fetch(u) for u in urls]
                    return first, second
                """,
        },
    )
    assert [(r, line, kind) for r, line, kind, _, _ in findings(tmp_path / "crawler/run.py")] == [
        ("CA101", 7, "io"),
        ("CA101", 8, "io"),
    ]
