"""The CPUs' busy share now, from /proc/stat: it sees a spinning process at once."""

from __future__ import annotations

import subprocess
import sys
import time

import pytest

from advisor.profiling.machine_load import busy_fraction


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="/proc/stat is Linux's")
def test_a_spinning_process_shows_as_busy_at_once() -> None:
    spinner = subprocess.Popen([sys.executable, "-c", "while True: pass"])
    try:
        time.sleep(0.2)  # started and spinning
        busy = busy_fraction(0.5)
    finally:
        spinner.kill()
        spinner.wait()
    assert busy is not None
    # one of the machine's cores (at most 2 here, so at least ~0.5) spins, whatever else runs
    assert busy >= 0.3
