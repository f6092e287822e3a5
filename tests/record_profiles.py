"""Record again the profiles that the fast tests replay (real py-spy runs of real scripts).

    python tests/record_profiles.py                    # every recording
    python tests/record_profiles.py hash_blocks CA203
    python tests/record_profiles.py --new CA203        # only its examples not yet recorded

Each fixture of RECORDINGS is profiled as `concadvise profile --save-profile` does and saved
in tests/data/profiles/NAME.json; each example of a profile-only rule (CA203...) that names a
`profile` is run as example.py and saved there, under rules/. The machine is pinned to 2 cores,
both free, and the default pool overheads (not this host's calibration): the tests check what
the advice makes of the samples, and a busy host would otherwise record a machine on which no
pool is worth starting.
Read the findings of a new recording before committing it; the tests state them exactly.
"""

from __future__ import annotations

import dataclasses
import sys
import tempfile
import textwrap
import tomllib
from pathlib import Path
from typing import Any

from advisor.advice.findings import AdviceSettings
from advisor.pipeline import ProfileRequest, profile_script

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "fixtures"
RULES = ROOT / "rules"
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
    # CA301 ranked by the share its line took, beside the loops; CA303 unmeasured
    "async_build_watch": ("async_build_watch.py", ()),
    # the plan: the scoring loop is worth a process pool only once the downloads are threaded
    "fetch_and_score": ("fetch_and_score.py", ()),
    # CA102 for native work: 4 KB chunks hashed, the GIL taken back after each (a convoy)
    "checksum_chunks": ("checksum_chunks.py", ()),
    # CA201 and CA205 with what the run started: 60 threads at once, a pool's tasks one by one
    "check_links": ("check_links.py", ()),
}


def record(name: str, script: Path, args: tuple[str, ...], saved: Path, **settings: Any) -> None:
    """Profile ``script`` and save what was measured (paths relative to its folder); print the
    findings, to be read before the recording is committed."""
    saved.parent.mkdir(parents=True, exist_ok=True)
    request = ProfileRequest(
        str(script),
        args,
        timeout=300,
        settings=dataclasses.replace(PINNED, **settings),
        profiler="py-spy",
        measure_overheads=False,
        save_profile=str(saved),
    )
    for finding in profile_script(request).findings:
        print(f"{name}: {finding.rule} line {finding.line} {finding.fix_safety}: {finding.message}")
    print(f"recorded {saved.relative_to(ROOT)}")


def record_fixture(name: str) -> None:
    fixture, args = RECORDINGS[name]
    record(name, FIXTURES / fixture, args, PROFILES / f"{name}.json")


def record_rule_examples(rule: str, only_new: bool = False) -> None:
    """Every example of the rule's file that names a recorded ``profile``, run as example.py
    (``only_new``: those whose profile does not exist yet)."""
    data = tomllib.loads((RULES / f"{rule}.toml").read_text(encoding="utf-8"))
    examples = [("example", data["example"])]
    for kind in ("must_flag", "must_not_flag"):
        examples += [(f"{kind}[{i}]", table) for i, table in enumerate(data.get(kind, []))]
    recorded = set()
    for where, table in examples:
        if "profile" not in table or table["profile"] in recorded:
            continue  # examples may share one run (the same code with other settings)
        if only_new and (RULES / table["profile"]).exists():
            continue
        recorded.add(table["profile"])
        with tempfile.TemporaryDirectory() as folder:
            script = Path(folder) / "example.py"
            # the catalog's form of the code (Rule examples), which the tests write and hash
            code = textwrap.dedent(table["code"]).strip("\n") + "\n"
            script.write_text(code, encoding="utf-8")
            saved = RULES / table["profile"]
            record(f"{rule} {where}", script, (), saved, **table.get("settings", {}))


def main(names: list[str]) -> None:
    only_new = "--new" in names
    names = [name for name in names if name != "--new"]
    rules = sorted(path.stem for path in RULES.glob("CA*.toml"))
    for name in names or [*RECORDINGS, *rules]:
        if name in RECORDINGS:
            record_fixture(name)
        elif name in rules:
            record_rule_examples(name, only_new)
        else:
            raise SystemExit(f"no recording named {name}")


if __name__ == "__main__":
    main(sys.argv[1:])
