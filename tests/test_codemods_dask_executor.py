"""The Dask rewrite: exact source, and the rewritten fixture run on a real LocalCluster of worker
processes on 127.0.0.1 prints what the serial script printed."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from advisor.codemods.dask_executor import rewrite_loop_to_dask
from advisor.codemods.fixers import FixTarget
from advisor.fix import FixRequest, fix_paths
from conftest import FIXTURES, run_cli

LOOP_LINE = 29  # `for n in numbers:` in fixtures/factorial_digits.py

REWRITTEN_LOOP = (
    "    sums = []\n"
    '    with Client(os.environ.get("DASK_SCHEDULER_ADDRESS")) as dask_client, '
    "dask_client.get_executor() as executor:\n"
    "        sums.extend(executor.map(digit_sum, numbers))\n"
)


def _fixture_text() -> str:
    return (FIXTURES / "factorial_digits.py").read_text()


def test_rewrite_is_exact_and_keeps_everything_else() -> None:
    before = _fixture_text()
    after = rewrite_loop_to_dask(before, LOOP_LINE)
    expected = before.replace(
        "import math\nimport sys\n",
        "import math\nimport sys\nimport os\nfrom distributed import Client\n",
    ).replace(
        "    sums = []\n    for n in numbers:\n        sums.append(digit_sum(n))\n", REWRITTEN_LOOP
    )
    assert after == expected


def test_an_address_given_to_fix_becomes_the_default() -> None:
    after = rewrite_loop_to_dask(_fixture_text(), LOOP_LINE, "tcp://10.0.0.5:8786")
    assert 'Client(os.environ.get("DASK_SCHEDULER_ADDRESS", "tcp://10.0.0.5:8786"))' in after


def test_fix_with_dask_executor_needs_unsafe_fixes_and_is_idempotent(tmp_path: Path) -> None:
    target = tmp_path / "factorial_digits.py"
    shutil.copy(FIXTURES / "factorial_digits.py", target)
    dask = FixTarget("dask")
    withheld = fix_paths(FixRequest(paths=(str(target),), target=dask))
    assert withheld.applied == 0
    assert any("pickle" in skipped.reason for skipped in withheld.skipped)
    applied = fix_paths(FixRequest(paths=(str(target),), target=dask, unsafe_fixes=True))
    assert applied.applied == 1 and REWRITTEN_LOOP in target.read_text()
    again = fix_paths(FixRequest(paths=(str(target),), target=dask, unsafe_fixes=True))
    # only the comprehension whose shape has no rewrite is left, as `check` says
    assert again.applied == 0
    assert [s.reason.split(":")[0] for s in again.skipped] == [
        "no automatic rewrite for this shape"
    ]


def test_missing_dask_is_one_clear_line(tmp_path: Path) -> None:
    shutil.copy(FIXTURES / "factorial_digits.py", tmp_path / "factorial_digits.py")
    # `distributed` hidden from this interpreter, as on a machine without the extra.
    code = (
        "import sys; sys.modules['distributed'] = None; "
        "sys.argv = ['concadvise', 'fix', '--executor', 'dask', 'factorial_digits.py']; "
        "from advisor.cli import main; main()"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 2
    assert result.stderr.strip() == (
        "concadvise: error: --executor dask needs Dask's distributed scheduler: "
        "pip install 'concadvise[dask]'"
    )


def test_dask_address_without_dask_executor_is_a_usage_error(tmp_path: Path) -> None:
    result = run_cli("fix", "--dask-address", "tcp://x:1", "nothing.py", cwd=tmp_path)
    assert result.returncode == 2
    assert "--dask-address needs --executor dask" in result.stderr


@pytest.fixture(scope="module")
def local_cluster() -> Iterator[str]:
    distributed = pytest.importorskip("distributed")
    with distributed.LocalCluster(
        n_workers=2,
        threads_per_worker=1,
        processes=True,
        host="127.0.0.1",
        dashboard_address=None,
    ) as cluster:
        yield cluster.scheduler_address


def _run(script: Path, env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, script.name, "24"],
        cwd=script.parent,
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
    )


@pytest.mark.slow
def test_rewritten_fixture_on_a_real_local_cluster_prints_the_same(
    tmp_path: Path, local_cluster: str
) -> None:
    serial = tmp_path / "factorial_digits.py"
    shutil.copy(FIXTURES / "factorial_digits.py", serial)
    rewritten = tmp_path / "factorial_digits_dask.py"
    rewritten.write_text(rewrite_loop_to_dask(serial.read_text(), LOOP_LINE))
    base_env = {k: v for k, v in os.environ.items() if k != "DASK_SCHEDULER_ADDRESS"}
    expected = _run(serial, base_env)
    assert expected.returncode == 0 and expected.stdout.startswith("24 runs of 60 factorials")
    on_cluster = _run(rewritten, dict(base_env, DASK_SCHEDULER_ADDRESS=local_cluster))
    assert on_cluster.returncode == 0, on_cluster.stderr[-2000:]
    assert on_cluster.stdout == expected.stdout
    # Without an address the rewritten script starts (and closes) its own LocalCluster.
    own_cluster = _run(rewritten, base_env)
    assert own_cluster.returncode == 0, own_cluster.stderr[-2000:]
    assert own_cluster.stdout == expected.stdout
