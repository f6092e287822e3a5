"""The pool fixers' frame parses only the module-level statement a finding is in, after a
prelude of what the rest of the module binds that the statement uses."""

from __future__ import annotations

import textwrap

import libcst as cst

from advisor.codemods.pool_edit import ParsedModule

SOURCE = textwrap.dedent(
    """\
    import os
    from concurrent.futures import ThreadPoolExecutor as Pool, wait

    LIMIT = 4
    UNUSED = 1


    def work(item):
        return item


    class Job:
        pass

    # the entry point
    def main(items):
        pool = Pool(LIMIT)
        return [pool.submit(work, item) for item in items], Job, os.sep


    def later():
        return main
    """
)


def test_only_the_statement_and_the_names_it_uses_are_parsed() -> None:
    parsed = ParsedModule.around(SOURCE, 17)
    assert (parsed.region.first, parsed.region.last) == (14, 18)
    assert parsed.tree.code == (
        "import os\n"
        "from concurrent.futures import ThreadPoolExecutor as Pool\n"
        "LIMIT = None\n"
        "def work(): pass\n"
        "class Job: pass\n"
        "if 1:\n"
        "    pass\n"
        "\n"
        "# the entry point\n"
        "def main(items):\n"
        "    pool = Pool(LIMIT)\n"
        "    return [pool.submit(work, item) for item in items], Job, os.sep\n"
    )


def test_names_resolve_through_the_prelude_and_lines_are_the_modules() -> None:
    parsed = ParsedModule.around(SOURCE, 17)
    [pool] = parsed.calls_on_line(17)
    assert parsed.qualified_names(pool.func) == {"concurrent.futures.ThreadPoolExecutor"}
    [submit] = [c for c in parsed.calls_on_line(18) if isinstance(c.func, cst.Attribute)]
    assert parsed.is_module_level_callable(submit.args[0].value)  # `work`
    assert parsed.import_of(pool.func) == ("concurrent.futures", "ThreadPoolExecutor", "Pool")  # type: ignore[arg-type]


def test_questions_about_the_rest_of_the_module_are_asked_of_its_ast() -> None:
    parsed = ParsedModule.around(SOURCE, 17)
    assert parsed.binds_at_module_level("UNUSED") and not parsed.binds_at_module_level("pool")
    assert parsed.rebinds("Pool") and not parsed.rebinds("Pool", imported_from="concurrent.futures")
    assert {"later", "UNUSED", "item"} <= parsed.identifiers
    assert "sep" not in parsed.identifiers  # an attribute, not a variable
    function = parsed.module_function("work")
    assert function is not None and function.lineno == 8
