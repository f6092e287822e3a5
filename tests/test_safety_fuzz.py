"""Generated loops whose per-item work reaches hidden state (issue 20), run before and after `fix`.

Each example is a small program: a loop (statement or comprehension, with one of the recognised
accumulators) over items whose per-item function blocks on I/O (so CA101 offers a rewrite) and,
directly or through a helper, touches state the loop's own names do not show: a counter in a
closure, a module-level list, an attribute bumped on an object passed in, a shared iterator, a
module-level cache, the seeded global random generator. Later items wait less, so running them
concurrently reorders whatever depends on call order. Both versions run in a subprocess; their
output must be identical.

CI runs a modest number of examples; a long run on demand:

    python -m pytest tests/test_safety_fuzz.py --hypothesis-profile=fuzz-long
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from advisor.fix import FixRequest, fix_paths

# the CI profile (100) would cost a minute of subprocesses; the long profile is taken as it is
EXAMPLES = 25 if settings.default.max_examples <= 100 else settings.default.max_examples
ITEMS = 6


@dataclass(frozen=True, slots=True)
class HiddenState:
    """One kind of state the per-item work reaches: its setup, its use, and how it is shown."""

    setup: str  # module-level code
    use: str  # an expression evaluated in the per-item work; it sees `item`
    report: str  # printed after the loop
    passes: str = ""  # the extra argument the per-item function takes ("" for none)


HIDDEN_STATES = {
    "closure_counter": HiddenState(
        setup=(
            "def make_counter():\n"
            "    count = 0\n"
            "    def bump():\n"
            "        nonlocal count\n"
            "        count += 1\n"
            "        return count\n"
            "    return bump\n"
            "\n"
            "next_number = make_counter()\n"
        ),
        use="next_number()",
        report="next_number()",
    ),
    "global_list": HiddenState(
        setup="SEEN = []\n",
        use="SEEN.append(item) or len(SEEN)",
        report="SEEN",
    ),
    "attribute_bump": HiddenState(
        setup=(
            "class Meter:\n"
            "    def __init__(self):\n"
            "        self.calls = 0\n"
            "\n"
            "    def bump(self):\n"
            "        self.calls += 1\n"
            "        return self.calls\n"
            "\n"
            "METER = Meter()\n"
        ),
        use="meter.bump()",
        report="METER.calls",
        passes="meter",
    ),
    "shared_iterator": HiddenState(
        setup="import itertools\n\nTICKETS = itertools.count(100)\n",
        use="next(TICKETS)",
        report="next(TICKETS)",
    ),
    "module_cache": HiddenState(
        setup=(
            "CACHE = {}\n"
            "\n"
            "def cached_rank(key):\n"
            "    if key not in CACHE:\n"
            "        CACHE[key] = len(CACHE)\n"
            "    return CACHE[key]\n"
        ),
        use="cached_rank(item % 4)",
        report="sorted(CACHE.items())",
    ),
    "seeded_random": HiddenState(
        setup="import random\n\nrandom.seed(1234)\n",
        use="random.randrange(1000)",
        report="random.randrange(1000)",
    ),
}

ACCUMULATORS = {
    "append": ("results = []\nfor item in items:\n    results.append({call})\n", "results"),
    "dict_item": ("results = {{}}\nfor item in items:\n    results[item] = {call}\n", "results"),
    "augassign": ("results = 0\nfor item in items:\n    results += {call}\n", "results"),
    "set_add": (
        "results = set()\nfor item in items:\n    results.add({call})\n",
        "sorted(results)",
    ),
    "listcomp": ("results = [{call} for item in items]\n", "results"),
    "dictcomp": ("results = {{item: {call} for item in items}}\n", "results"),
}


COMBINATIONS = {
    "number": "item * 1000 + ({state})",
    "pair": "({state}, item)",
    "state": "{state}",
}


def indent(code: str, by: str = "    ") -> str:
    return "".join(by + line if line.strip() else line for line in code.splitlines(True))


def program_for(
    state_name: str,
    accumulator: str,
    combination: str = "number",
    through_helper: bool = False,
    in_function: bool = False,
) -> str:
    """The program: setup of the state, the per-item work, the loop, and what it prints."""
    state = HIDDEN_STATES[state_name]
    loop, shown = ACCUMULATORS[accumulator]
    if accumulator == "augassign":
        combination = "number"  # a `+=` reduction needs numbers
    parameters = ", ".join(["item", state.passes] if state.passes else ["item"])
    arguments = ", ".join(["item", "METER"] if state.passes else ["item"])
    value = COMBINATIONS[combination].format(state=state.use)
    helper = ""
    if through_helper:
        helper = f"def observe({parameters}):\n    return {value}\n\n\n"
        value = f"observe({parameters})"
    work = (
        f"{helper}def work({parameters}):\n"
        f"    time.sleep(0.012 * ({ITEMS} - item))  # later items answer sooner\n"
        f"    return {value}\n"
    )
    body = loop.format(call=f"work({arguments})")
    tail = f"print({shown})\nprint({state.report})\n"
    if in_function:
        main = f"def main(items):\n{indent(body + tail)}\n\nmain(list(range({ITEMS})))\n"
    else:
        main = f"items = list(range({ITEMS}))\n{body}{tail}"
    return f"import time\n\n{state.setup}\n\n{work}\n\n{main}"


hidden_state_programs = st.builds(
    program_for,
    state_name=st.sampled_from(sorted(HIDDEN_STATES)),
    accumulator=st.sampled_from(sorted(ACCUMULATORS)),
    combination=st.sampled_from(sorted(COMBINATIONS)),
    through_helper=st.booleans(),
    in_function=st.booleans(),
)


def run_program(path: Path) -> tuple[int, str, str]:
    done = subprocess.run(
        [sys.executable, path.name],
        cwd=path.parent,
        capture_output=True,
        text=True,
        timeout=60,
        stdin=subprocess.DEVNULL,
    )
    return done.returncode, done.stdout, done.stderr.splitlines()[-1:][0] if done.stderr else ""


@pytest.mark.parametrize("accumulator", sorted(ACCUMULATORS))
@pytest.mark.parametrize("state_name", sorted(HIDDEN_STATES))
def test_every_generated_shape_reaches_a_rewrite(
    state_name: str, accumulator: str, tmp_path: Path
) -> None:
    """Every state and loop shape is one `fix` can rewrite (with --unsafe-fixes at least), so the
    comparison below is never empty: the engine must judge these loops, not miss them."""
    script = tmp_path / "program.py"
    script.write_text(program_for(state_name, accumulator, through_helper=True), encoding="utf-8")
    report = fix_paths(FixRequest(paths=(str(script),), unsafe_fixes=True))
    assert report.applied >= 1, script.read_text()


@settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(program=hidden_state_programs)
def test_fix_keeps_output_of_loops_over_hidden_state(program: str, tmp_path: Path) -> None:
    folder = Path(tempfile.mkdtemp(dir=tmp_path))
    script = folder / "program.py"
    script.write_text(program, encoding="utf-8")
    before = run_program(script)
    assert before[0] == 0, before
    fix_paths(FixRequest(paths=(str(script),)))
    after = run_program(script)
    assert after == before, f"{program}\n--- after fix ---\n{script.read_text()}"
