"""The Ray rewrite: exact source, `fix --executor ray`, and the rewritten fixture run on a real
local Ray (started by the rewritten script itself, RAY_ADDRESS unset) prints what the serial
script printed."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from advisor.codemods.fixers import FixTarget
from advisor.codemods.ray_executor import rewrite_loop_to_ray
from advisor.fix import FixRequest, fix_paths
from conftest import FIXTURES

LOOP_LINE = 29  # `for n in numbers:` in fixtures/factorial_digits.py

REWRITTEN_LOOP = (
    "    sums = []\n"
    "    with Pool() as executor:\n"
    "        sums.extend(executor.imap(digit_sum, numbers))\n"
)


def _fixture_text() -> str:
    return (FIXTURES / "factorial_digits.py").read_text()


def test_rewrite_is_exact_and_keeps_everything_else() -> None:
    before = _fixture_text()
    after = rewrite_loop_to_ray(before, LOOP_LINE)
    expected = before.replace(
        "import math\nimport sys\n",
        "import math\nimport sys\nfrom ray.util.multiprocessing import Pool\n",
    ).replace(
        "    sums = []\n    for n in numbers:\n        sums.append(digit_sum(n))\n", REWRITTEN_LOOP
    )
    assert after == expected


def test_fix_with_ray_executor_needs_unsafe_fixes_and_is_idempotent(tmp_path: Path) -> None:
    target = tmp_path / "factorial_digits.py"
    shutil.copy(FIXTURES / "factorial_digits.py", target)
    ray = FixTarget("ray")
    withheld = fix_paths(FixRequest(paths=(str(target),), target=ray))
    assert withheld.applied == 0
    assert any("pickle" in skipped.reason for skipped in withheld.skipped)
    applied = fix_paths(FixRequest(paths=(str(target),), target=ray, unsafe_fixes=True))
    assert applied.applied == 1 and REWRITTEN_LOOP in target.read_text()
    again = fix_paths(FixRequest(paths=(str(target),), target=ray, unsafe_fixes=True))
    assert again.applied == 0


def test_missing_ray_is_one_clear_line(tmp_path: Path) -> None:
    shutil.copy(FIXTURES / "factorial_digits.py", tmp_path / "factorial_digits.py")
    code = (
        "import sys; sys.modules['ray'] = None; "
        "sys.argv = ['concadvise', 'fix', '--executor', 'ray', 'factorial_digits.py']; "
        "from advisor.cli import main; main()"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 2
    assert result.stderr.strip() == (
        "concadvise: error: --executor ray needs Ray: pip install 'concadvise[ray]'"
    )


@pytest.mark.slow
def test_rewritten_fixture_on_a_real_local_ray_prints_the_same(tmp_path: Path) -> None:
    pytest.importorskip("ray")
    serial = tmp_path / "factorial_digits.py"
    shutil.copy(FIXTURES / "factorial_digits.py", serial)
    rewritten = tmp_path / "factorial_digits_ray.py"
    rewritten.write_text(rewrite_loop_to_ray(serial.read_text(), LOOP_LINE))
    env = {k: v for k, v in os.environ.items() if k != "RAY_ADDRESS"}
    env["RAY_ENABLE_UV_RUN_RUNTIME_ENV"] = "0"

    def run(script: Path) -> subprocess.CompletedProcess:
        return subprocess.run(
            [sys.executable, script.name, "12"],
            cwd=tmp_path,
            capture_output=True,
            text=True,
            env=env,
            timeout=300,
        )

    expected = run(serial)
    assert expected.returncode == 0 and expected.stdout.startswith("12 runs of 60 factorials")
    on_ray = run(rewritten)
    assert on_ray.returncode == 0, on_ray.stderr[-3000:]
    assert on_ray.stdout == expected.stdout
