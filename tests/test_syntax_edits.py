"""The edit toolkit: line edits, node replacement by identity, the checks every rewrite passes,
imports added and removed on the module header only, and a region parsed on its own."""

from __future__ import annotations

import textwrap

import libcst as cst
import pytest
from libcst.codemod import CodemodContext
from libcst.codemod.visitors import AddImportsVisitor, ImportItem, RemoveImportsVisitor

from advisor.errors import RewriteError
from advisor.syntax.comments import keep_comments
from advisor.syntax.edits import LineEdit, apply_line_edits, checked_rewrite, replace_nodes
from advisor.syntax.imports import add_imports, first_statement_after_header
from advisor.syntax.region import parse_region, region_around
from advisor.syntax.source import Source

MODULE = textwrap.dedent(
    '''\
    """Docs."""
    import os
    from concurrent.futures import ThreadPoolExecutor

    # the work
    def work(items):
        if items:
            total = [os.sep + i for i in items]  # joined
        return items
    '''
)


def test_line_edits_replace_and_insert_and_never_overlap() -> None:
    lines = ("a\n", "b\n", "c\n")
    edits = [LineEdit(2, 2, "B\n"), LineEdit(1, 0, "top\n"), LineEdit(3, 2, "before c\n")]
    assert apply_line_edits(lines, edits) == "top\na\nB\nbefore c\nc\n"
    with pytest.raises(RewriteError, match="line 1: two rewrites overlap"):
        apply_line_edits(lines, [LineEdit(1, 2, "x\n"), LineEdit(2, 3, "y\n")])


def test_a_rewrite_must_compile_and_change_something() -> None:
    assert checked_rewrite("x = 1\n", "x = 2\n") == "x = 2\n"
    with pytest.raises(RewriteError, match="changed nothing"):
        checked_rewrite("x = 1\n", "x = 1\n")
    with pytest.raises(RewriteError, match="line 1: the rewrite does not compile"):
        checked_rewrite("x = 1\n", "x = (\n")


def test_nodes_are_replaced_by_identity_not_equality() -> None:
    module = cst.parse_module("a = 1\na = 1\n")
    second = module.body[1]
    new = replace_nodes(module, {second: cst.parse_statement("b = 2\n")})
    assert new.code == "a = 1\nb = 2\n"


def test_a_region_is_its_statement_alone_and_prints_back_in_place() -> None:
    source = Source.of_text(MODULE)
    region = region_around(source, 8)
    assert (region.first, region.last, region.indent) == (6, 9, "")
    assert isinstance(region.statement, cst.FunctionDef)
    [comprehension] = list(region.nodes(cst.ListComp))
    assert region.line(comprehension) == 8 and region.start(comprehension) == (8, 16)
    assert region.scope_of(comprehension) is region.statement
    inner = source.tree.body[3].body[0].body[0]  # type: ignore[attr-defined]
    statement = parse_region(source, inner)
    assert not isinstance(statement, str) and statement.indent == "        "
    edit = statement.edited({statement.statement: cst.parse_statement("total = []\n")})
    assert edit == LineEdit(8, 8, "        total = []\n")


def test_comments_a_rewrite_drops_go_in_front_of_the_new_code() -> None:
    old = cst.parse_statement("x = [  # why\n    f(i) for i in items\n]\n")
    new = keep_comments(old, [cst.parse_statement("x = list(map(f, items))\n")])
    assert cst.Module(new).code == "# why\nx = list(map(f, items))\n"


def test_imports_on_the_header_only_match_the_visitors_on_the_whole_module() -> None:
    source = Source.of_text(MODULE)
    added = [ImportItem("concurrent.futures", "ProcessPoolExecutor"), ImportItem("functools")]
    unused = [("concurrent.futures", "ThreadPoolExecutor", None)]
    header_only = add_imports(
        MODULE, first_statement_after_header(source.tree), added, unused=unused
    )
    context = CodemodContext()
    RemoveImportsVisitor.remove_unused_import(context, *unused[0])
    whole = RemoveImportsVisitor(context).transform_module(cst.parse_module(MODULE))
    whole = whole.visit(AddImportsVisitor(CodemodContext(), added))
    assert header_only == whole.code
    assert "import functools\n" in header_only and "ThreadPoolExecutor" not in header_only
