"""Record again the profiles that the fast tests replay (real py-spy runs of real scripts).

    python tests/record_profiles.py            # every recording
    python tests/record_profiles.py hash_blocks

Each fixture of RECORDINGS is profiled as `concadvise profile --save-profile` does and saved
in tests/data/profiles/NAME.json. The machine is pinned to 2 cores, both free, and the default
pool overheads (not this host's calibration): the tests check what the advice makes of the
samples, and a busy host would otherwise record a machine on which no pool is worth starting.
Read the findings of a new recording before committing it; the tests state them exactly.
"""

from __future__ import annotations

import sys
from pathlib import Path

from advisor.advice.findings import AdviceSettings
from advisor.pipeline import ProfileRequest, profile_script

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "fixtures"
PROFILES = Path(__file__).resolve().parent / "data" / "profiles"
# the machine every recording claims: 2 cores, both free (see the docstring)
PINNED = AdviceSettings(cores=2, free_cores=2.0)

# name: (fixture, its arguments); each shows one kind of finding from measured time
RECORDINGS: dict[str, tuple[str, tuple[str, ...]]] = {
    "download_pages": ("download_pages.py", ()),  # CA101: waits on HTTP (its own demo server)
    "factorial_digits": ("factorial_digits.py", ()),  # CA102: Python CPU under the GIL
    "hash_blocks": ("hash_blocks.py", ("160",)),  # CA103: native code that releases the GIL
    "async_fetch_prices": ("async_fetch_prices.py", ("0.1",)),  # CA104: serial awaits
    "pool_threads_over_cpu": ("pool_threads_over_cpu.py", ()),  # CA203
    "pool_processes_over_io": ("pool_processes_over_io.py", ()),  # CA204 (its demo server)
    "crashes_midway": ("crashes_midway.py", ()),  # a run that fails: a partial profile
}


def record(name: str) -> Path:
    """Profile one fixture and save what was measured (its paths relative to fixtures/)."""
    fixture, args = RECORDINGS[name]
    saved = PROFILES / f"{name}.json"
    request = ProfileRequest(
        str(FIXTURES / fixture),
        args,
        timeout=300,
        settings=PINNED,
        profiler="py-spy",
        measure_overheads=False,
        save_profile=str(saved),
    )
    report = profile_script(request)
    for finding in report.findings:
        print(f"{name}: {finding.rule} line {finding.line} {finding.fix_safety}: {finding.message}")
    return saved


def main(names: list[str]) -> None:
    PROFILES.mkdir(parents=True, exist_ok=True)
    for name in names or RECORDINGS:
        print(f"recorded {record(name).relative_to(ROOT)}")


if __name__ == "__main__":
    main(sys.argv[1:])
