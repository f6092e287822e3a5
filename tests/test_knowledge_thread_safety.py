"""rules/knowledge/thread_safety.toml: the data the independence proof (issue 20) stands on.

The file must stay coherent: every section is one the engine reads (or documents), every group
gives its reason, names are qualified, and no call is both vouched for and listed as a hazard,
except open(), whose mode decides.
"""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

from advisor.analysis.concurrency_knowledge import SECTIONS, load_concurrency_knowledge
from advisor.analysis.knowledge import load_knowledge

KNOWLEDGE_FILE = (
    Path(__file__).resolve().parent.parent / "rules" / "knowledge" / "thread_safety.toml"
)
ALLOW = ("concurrency_safe", "independent_io")
DENY = (
    "external_effects",
    "order_dependent",
    "not_thread_safe",
    "thread_bound",
    "thread_local",
    "process_wide",
    "coordination",
)
OTHER = ("event_loops", "exception_semantics", "runs_callable", "output", "shared_getters")
# open() is a read or a write by its mode: listed on both sides, the proof reads the mode
MODE_DECIDES = {"builtins.open", "io.open", "pathlib.Path().open"}


def _data() -> dict:
    return tomllib.loads(KNOWLEDGE_FILE.read_text(encoding="utf-8"))


def _names(section: str) -> set[str]:
    groups = _data()[section]["group"]
    return {
        name for group in groups for name in (*group.get("calls", ()), *group.get("prefixes", ()))
    }


def test_sections_are_the_documented_ones_and_the_engine_reads_them() -> None:
    data = _data()
    assert set(data) == {*ALLOW, *DENY, *OTHER, "value_methods"}
    assert {section for section, _level in SECTIONS} <= set(data)
    header = KNOWLEDGE_FILE.read_text(encoding="utf-8").split("\n[[", 1)[0]
    for section, table in data.items():
        assert f"[{section}]" in header, f"{section} is not described in the header comment"
        if section != "value_methods":
            assert set(table) == {"group"}, f"{section} has top-level keys the loader would merge"
    knowledge = load_concurrency_knowledge()
    verdict = knowledge.verdict("random.random")
    assert verdict is not None and (verdict.level, verdict.section) == ("unsafe", "order_dependent")
    assert knowledge.verdict("math.sqrt") is not None
    assert knowledge.verdict("somelib.fetch") is None
    assert {"strip", "split"} <= knowledge.value_methods
    # the older call sets are untouched by this file
    loaded = load_knowledge()
    assert loaded.blocking_io.matches("time.sleep")
    assert not loaded.blocking_io.matches("math.sqrt")


@pytest.mark.parametrize("section", [*ALLOW, *DENY, *OTHER])
def test_every_group_has_a_one_line_reason_and_qualified_names(section: str) -> None:
    for group in _data()[section]["group"]:
        reason = group.get("reason", "")
        assert reason and "\n" not in reason, group
        names = [*group.get("calls", ()), *group.get("prefixes", ()), *group.get("exceptions", ())]
        assert names, f"{section}: a group without calls: {reason}"
        for name in names:
            assert "." in name and " " not in name, f"{section}: {name!r} is not qualified"
        for prefix in group.get("prefixes", ()):
            assert prefix.endswith("."), prefix


def test_no_call_is_both_vouched_for_and_a_hazard() -> None:
    allowed = set().union(*(_names(section) for section in ALLOW))
    denied = set().union(*(_names(section) for section in DENY))
    assert allowed & denied == MODE_DECIDES


def test_every_event_loop_names_its_own_sleep_and_thread_offload() -> None:
    for group in _data()["event_loops"]["group"]:
        library = group["calls"][0].split(".")[0]
        assert group["sleep"].startswith(f"{library}.")
        assert group["to_thread"].startswith(f"{library}.")


def test_the_hazards_of_issue_20_are_known() -> None:
    denied = set().union(*(_names(section) for section in DENY))
    for hazard in (
        "sqlite3.Connection().execute",
        "decimal.",
        "contextvars.ContextVar().get",
        "threading.local",
        "random.",
        "itertools.count",
        "csv.writer().writerow",
        "warnings.warn",
        "atexit.register",
        "signal.signal",
        "os.chdir",
        "os.environ",
        "sys.path.insert",
        "logging.basicConfig",
        "subprocess.run",
        "asyncio.Barrier",
    ):
        assert hazard in denied, hazard
