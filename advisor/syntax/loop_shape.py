"""Which loops one ``executor.map`` call can replace, taken apart into what the rewrite needs.

A loop qualifies when its last statement adds one item to a result in a way the map can redo in
the same order (``acc.append(v)``, ``s.add(v)``, ``acc.extend(v)``, ``d[item] = v``,
``acc += v``), and every statement before it only computes that item from the loop variable and
temporaries the body assigns before reading them. List and dict comprehensions qualify as they
are. Whether the items may run concurrently (no shared state, no output) is the analysis' question;
here we refuse only shapes whose result could differ.
"""

from __future__ import annotations

import ast
import dataclasses
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import get_args

import libcst as cst

from advisor.model import LoopForm, Site
from advisor.syntax.bindings import bound_in
from advisor.syntax.item_flow import CONSUMERS, FRAME_SENSITIVE, prelude_reason, work_reason
from advisor.syntax.names import fresh_name
from advisor.syntax.region import Region, parse_region
from advisor.syntax.serial_tail import serial_tail
from advisor.syntax.sites import span_of, statement_at
from advisor.syntax.source import Source
from advisor.syntax.statements import Located, is_compound, statements_starting_at

__all__ = ["LoopAt", "LoopShape", "filtered_loop", "locate_loop", "recognise_loop_shape"]

LOOP_FORMS = frozenset(get_args(LoopForm))
# The method of the last statement → the form of the loop.
_METHOD_FORMS: dict[str, LoopForm] = {
    "append": "for_append",
    "add": "for_set_add",
    "extend": "for_extend",
}
_ENDINGS = "`acc.append(...)`, `acc.add(...)`, `acc.extend(...)`, `d[key] = ...` or `acc += ...`"


@dataclass(frozen=True, slots=True)
class LoopShape:
    """A loop one ``executor.map`` call can replace, taken apart into what the rewrite needs."""

    form: LoopForm
    target: str  # loop variable name
    iterable: cst.BaseExpression
    value: cst.BaseExpression  # per-item expression: appended, added, element, or dict value
    key: cst.BaseExpression | None = None  # dict key (the loop variable for for_dict_item)
    # ACC / D of a loop; source of the assigned target of a comprehension; None for `return [...]`
    accumulator: str | None = None
    conditions: tuple[cst.CompIf, ...] = ()  # `if` clauses of a comprehension, kept serial
    # statements of the loop body before the last one: they compute the item's value
    prelude: tuple[cst.BaseStatement, ...] = ()
    # for_tail: the statements that stay serial, run over the results in order, and the names
    # of the work they read (what the pool's function returns; ``value`` is their expression)
    tail: tuple[cst.BaseStatement, ...] = ()
    returned: tuple[str, ...] = ()
    # for_tail: output before the work, run serially just before each item's result is taken
    head: tuple[cst.BaseStatement, ...] = ()
    # `with urlopen(u) as r: pages.append(r.read())`: the `with` the whole body was in; the
    # item's function enters it and returns the value from inside it
    wrapper: cst.With | None = None


@dataclass(frozen=True, slots=True)
class LoopAt:
    """The rewritable loop a line starts: where it is, its own source, and its shape."""

    located: Located
    text: Region  # the loop statement's own lines, parsed with libcst
    shape: LoopShape


def locate_loop(module: Source, where: int | Site) -> LoopAt | str:
    """The loop or comprehension statement at a finding's site (or starting on a line: the
    analysis asks this for the loops it reports, before they have a shape), or why there is
    none the rewrite can take. The analysis and the rewrite ask the same question, so both give
    the same answer."""
    if isinstance(where, Site) and statement_at(module, where) is None:
        return "the loop is not where the analysis located it: the file changed since"
    line = where if isinstance(where, int) else where.line
    found = statements_starting_at(module.tree, line)
    if not found:
        return "no loop starts on this line"
    outer = found[0]
    node = outer.node
    if isinstance(node, ast.While):
        return "while loops are not rewritten"
    if is_compound(node) and not isinstance(node, ast.For | ast.AsyncFor):
        if len(found) == 1:
            return "no loop starts on this line"
        # `if ok: x = [...]`: a `with` cannot follow a block header's colon on its line.
        try:
            inner = cst.parse_statement(module.segment(found[1].node))
        except (cst.ParserSyntaxError, RecursionError):
            return "no loop starts on this line"
        shape = recognise_loop_shape(inner)
        if isinstance(shape, LoopShape):
            return "statement is on the same line as its block header"
        return shape
    if len(found) > 1 and not is_compound(node):
        return "line has several statements"
    if isinstance(outer.parent, ast.ClassDef):
        # Functions made in a class body cannot see its names, and `executor` would become a
        # class attribute.
        return "loop is directly in a class body"
    text = parse_region(module, node, outer.ancestors)
    if isinstance(text, str):
        return text
    shape = recognise_loop_shape(text.statement)
    if isinstance(shape, str):
        return shape
    at = LoopAt(outer, text, shape)
    return at if isinstance(where, int) else _as_located(at, where, module)


def _as_located(at: LoopAt, site: Site, module: Source) -> LoopAt | str:
    """``at`` when it is the node the analysis located, with the shape it recognised."""
    if span_of(module, at.located.node) != (site.line, site.column, site.end_line, site.end_column):
        return "the loop is not where the analysis located it: the file changed since"
    if site.shape in LOOP_FORMS and site.shape not in ("other", at.shape.form):
        return f"the loop is a {at.shape.form} now, not the {site.shape} the analysis saw"
    return at


# --- recognising shapes -------------------------------------------------------------------------


def recognise_loop_shape(statement: cst.CSTNode) -> LoopShape | str:
    """Return the shape if `statement` (a cst.For, or a SimpleStatementLine / statement holding a
    comprehension) is rewritable, else a short human reason why not, e.g. "loop target is a
    tuple", "loop has an else clause", "`total` may keep its value from the previous
    iteration"."""
    if isinstance(statement, cst.For):
        return _recognise_for(statement)
    if isinstance(statement, cst.SimpleStatementLine | cst.SimpleStatementSuite):
        if len(statement.body) != 1:
            return "line has several statements"
        return _recognise_comprehension_statement(statement.body[0])
    if isinstance(statement, cst.BaseSmallStatement):
        return _recognise_comprehension_statement(statement)
    if isinstance(statement, cst.While):
        return "while loops are not rewritten"
    return "statement is not a for loop or a comprehension"


def _recognise_for(loop: cst.For, unpacked: frozenset[str] = frozenset()) -> LoopShape | str:
    """``unpacked``: the names a tuple target bound, which the loop stands for (see
    :func:`_one_name_loop`); each of them can key a dict as the loop variable would."""
    if loop.asynchronous is not None:
        return "loop is async (async for)"
    if loop.orelse is not None:
        return "loop has an else clause"
    target = _target_name(loop.target)
    if not isinstance(target, cst.Name):
        one_name = _one_name_loop(loop)
        if one_name is None:
            return target
        return _recognise_for(one_name, frozenset(n.value for n in _target_names(loop.target)))
    filtered = filtered_loop(loop)
    if filtered is not None:
        return _with_filter(*filtered, unpacked)
    # Output or several results after the work: split the loop (fission) rather than send the
    # output into the pool with the work. The tail stays a loop body, so its `continue` (`if not
    # page: continue` after the work) skips the rest of the item's tail as it did.
    tail = _tail_shape(loop, target.value)
    if tail is not None and _exit_in([*tail.head, *tail.prelude]) is None:
        return tail
    found = _exit_in([loop.body])
    if found is not None:
        return f"body contains {found}"
    wrapped = _only_with(loop.body)
    if wrapped is not None:
        return _inside_with(loop, wrapped, unpacked)
    split = _split_body(loop.body)
    if isinstance(split, str):
        return split
    prelude, last = split
    keys = unpacked | {target.value}
    shape = _recognise_last_statement(last, target.value, keys, loop.iter, several=bool(prelude))
    if isinstance(shape, str) or not prelude:
        return shape
    code = cst.Module([]).code_for_node(loop)
    reason = prelude_reason(code, shape.target, shape.accumulator)
    if reason is not None:
        return reason
    return LoopShape(
        shape.form,
        shape.target,
        shape.iterable,
        shape.value,
        key=shape.key,
        accumulator=shape.accumulator,
        prelude=prelude,
    )


# The forms whose value a function can return from inside a `with`.
_WRAPPABLE = frozenset({"for_append", "for_set_add", "for_dict_item", "for_extend"})


def _only_with(body: cst.BaseSuite) -> cst.With | None:
    """The body's one statement when it is a plain (not async) `with` block."""
    if not isinstance(body, cst.IndentedBlock) or len(body.body) != 1:
        return None
    statement = body.body[0]
    if isinstance(statement, cst.With) and statement.asynchronous is None:
        return statement
    return None


def _inside_with(loop: cst.For, wrapped: cst.With, unpacked: frozenset[str]) -> LoopShape | str:
    """The shape of the `with` block's body as the loop's, entered per item: the resource is
    the item's own, opened and closed around its work as before."""
    inner = _recognise_for(loop.with_changes(body=wrapped.body), unpacked)
    if isinstance(inner, str):
        return inner
    if inner.form not in _WRAPPABLE or inner.conditions:
        return "the body is a `with` block whose end is not one collecting statement"
    return dataclasses.replace(inner, wrapper=wrapped)


def _tail_shape(loop: cst.For, target: str) -> LoopShape | None:
    """The loop split into pooled work and a serial tail (advisor/syntax/serial_tail.py), when
    that is its shape and the work can become a function of the item."""
    block = loop.body
    if not isinstance(block, cst.IndentedBlock):
        return None
    if any(isinstance(s, cst.SimpleStatementLine) and len(s.body) != 1 for s in block.body):
        return None  # `a; b` is one line here and two statements to ast
    code = cst.Module([]).code_for_node(loop)
    parsed = ast.parse(code).body[0]
    if not isinstance(parsed, ast.For):
        return None
    split = serial_tail(parsed, head=True)
    if split is None:
        return None
    lead = len(split.head)
    # the item's unpacking (`k, v = item`) and pure names computed from it open the head and
    # the work alike
    unpack = 0
    while (
        unpack < min(len(split.head), len(split.work)) and split.head[unpack] is split.work[unpack]
    ):
        unpack += 1
    if work_reason(code, target, len(split.tail), lead, unpack) is not None:
        return None
    cut = len(block.body) - len(split.tail)
    names = [cst.Name(n) for n in split.returned]
    value: cst.BaseExpression
    if len(names) == 1:
        value = names[0]
    elif names:
        value = cst.Tuple([cst.Element(n) for n in names], lpar=[], rpar=[])
    else:
        value = cst.Name("None")
    return LoopShape(
        "for_tail",
        target,
        loop.iter,
        value,
        prelude=(*block.body[:unpack], *block.body[lead:cut]),
        tail=tuple(block.body[cut:]),
        returned=split.returned,
        head=tuple(block.body[:lead]),
    )


def filtered_loop(loop: cst.For) -> tuple[cst.For, cst.BaseExpression] | None:
    """``for x in xs: if COND: BODY`` and ``for x in xs: if COND: continue; BODY`` as
    (``for x in xs: BODY``, the condition that keeps an item); None for other loops. The same
    forms as advisor.analysis.safety.filtered_body."""
    body = loop.body
    if not isinstance(body, cst.IndentedBlock):
        return None
    first = body.body[0]
    if not isinstance(first, cst.If) or first.orelse is not None:
        return None
    if len(body.body) == 1:
        kept = first.body
        if isinstance(kept, cst.SimpleStatementSuite):  # `if cond: acc.append(x)` on one line
            kept = cst.IndentedBlock([cst.SimpleStatementLine(list(kept.body))])
        return loop.with_changes(body=kept), first.test
    if _only_continue(first.body):
        return loop.with_changes(body=body.with_changes(body=body.body[1:])), _negated(first.test)
    return None


# Comparisons whose negation is another operator by the language's definition (`x not in y` is
# `not x in y`); `==` and `<` are not: a type may define `__ne__` or `__ge__` otherwise.
_NEGATED_OPERATORS: dict[type[cst.BaseCompOp], Callable[[], cst.BaseCompOp]] = {
    cst.In: cst.NotIn,
    cst.NotIn: cst.In,
    cst.Is: cst.IsNot,
    cst.IsNot: cst.Is,
}


def _negated(test: cst.BaseExpression) -> cst.BaseExpression:
    """The condition that keeps an item ``if TEST: continue`` skips: ``x`` for ``not x``,
    ``a is not None`` for ``a is None``, else ``not (TEST)``."""
    if isinstance(test, cst.UnaryOperation) and isinstance(test.operator, cst.Not):
        return test.expression
    if isinstance(test, cst.Comparison) and len(test.comparisons) == 1 and not test.lpar:
        [target] = test.comparisons
        negation = _NEGATED_OPERATORS.get(type(target.operator))
        if negation is not None:
            return test.with_changes(comparisons=[target.with_changes(operator=negation())])
    return cst.UnaryOperation(operator=cst.Not(), expression=_negatable(test))


def _only_continue(suite: cst.BaseSuite) -> bool:
    lines = suite.body if isinstance(suite, cst.IndentedBlock) else [suite]
    return (
        len(lines) == 1
        and isinstance(lines[0], cst.SimpleStatementLine | cst.SimpleStatementSuite)
        and len(lines[0].body) == 1
        and isinstance(lines[0].body[0], cst.Continue)
    )


def _negatable(test: cst.BaseExpression) -> cst.BaseExpression:
    """``test`` safe to put after ``not``: a name, call, attribute or subscript as it is, any
    other expression in parentheses (``not a or b`` would mean ``(not a) or b``)."""
    if isinstance(test, cst.Name | cst.Call | cst.Attribute | cst.Subscript) or test.lpar:
        return test
    return test.with_changes(lpar=[cst.LeftParen()], rpar=[cst.RightParen()])


def _with_filter(
    loop: cst.For, condition: cst.BaseExpression, unpacked: frozenset[str]
) -> LoopShape | str:
    """The shape of the loop behind the filter, its condition kept to run serially in front of
    the pool (as a comprehension's `if`): only when the condition decides from the item alone."""
    shape = _recognise_for(loop, unpacked)
    if isinstance(shape, str):
        return shape
    facts = _ExpressionFacts.of(condition, shape.target)
    if facts.awaits or facts.yields or facts.walrus:
        return "the filter awaits, yields or assigns (:=)"
    body = ast.parse(cst.Module([]).code_for_node(loop)).body[0]
    if not isinstance(body, ast.For):
        return "the loop does not parse as a `for` loop on its own"
    changed = bound_in(body.body) | {shape.accumulator or ""}
    split = serial_tail(body, head=True) if shape.form == "for_tail" else None
    if split is not None:
        changed |= split.written  # the filter runs ahead of every tail
    stale = sorted((facts.names & changed) - {shape.target})
    if stale:
        return f"the filter reads `{stale[0]}`, which the loop changes"
    return dataclasses.replace(shape, conditions=(cst.CompIf(test=condition),))


def _split_body(
    body: cst.BaseSuite,
) -> tuple[tuple[cst.BaseStatement, ...], cst.BaseSmallStatement] | str:
    """(statements before the last one, the last one)."""
    if isinstance(body, cst.SimpleStatementSuite):
        if len(body.body) != 1:
            return "body has several statements on the loop's line"
        return (), body.body[0]
    if not isinstance(body, cst.IndentedBlock):
        return "body is not a block of statements"
    *prelude, last = body.body
    if not isinstance(last, cst.SimpleStatementLine):
        return (
            "body is a compound statement" if not prelude else f"body does not end with {_ENDINGS}"
        )
    if len(last.body) != 1:
        return "body has several statements on its last line"
    return tuple(prelude), last.body[0]


def _recognise_last_statement(
    statement: cst.BaseSmallStatement,
    target: str,
    keys: frozenset[str],
    iterable: cst.BaseExpression,
    *,
    several: bool,
) -> LoopShape | str:
    if isinstance(statement, cst.Expr) and isinstance(statement.value, cst.Call):
        call = statement.value
        if isinstance(call.func, cst.Attribute) and call.func.attr.value in _METHOD_FORMS:
            return _recognise_method(call, target, iterable)
    if isinstance(statement, cst.Assign) and any(
        isinstance(t.target, cst.Subscript) for t in statement.targets
    ):
        return _recognise_dict_item(statement, target, keys, iterable)
    if isinstance(statement, cst.AugAssign):
        if not isinstance(statement.target, cst.Name):
            return "accumulator is not a plain name"
        return _accumulated(
            "for_augassign", target, iterable, statement.value, statement.target.value
        )
    if several:
        return f"body does not end with {_ENDINGS}"
    return f"body is not {_ENDINGS}"


def _recognise_method(call: cst.Call, target: str, iterable: cst.BaseExpression) -> LoopShape | str:
    if not isinstance(call.func, cst.Attribute):
        return "the last call is not a method call"
    method = call.func.attr.value
    if not isinstance(call.func.value, cst.Name):
        return f"{method} target is not a plain name"
    if len(call.args) != 1 or call.args[0].keyword is not None or call.args[0].star:
        return f"{method} does not take exactly one plain argument"
    form = _METHOD_FORMS[method]
    return _accumulated(form, target, iterable, call.args[0].value, call.func.value.value)


def _recognise_dict_item(
    assign: cst.Assign, target: str, keys: frozenset[str], iterable: cst.BaseExpression
) -> LoopShape | str:
    if len(assign.targets) != 1:
        return "assignment has several targets"
    subscript = assign.targets[0].target
    if not isinstance(subscript, cst.Subscript):
        return "assignment target is not a subscript"
    if not isinstance(subscript.value, cst.Name):
        return "dict is not a plain name"
    index = subscript.slice[0].slice if len(subscript.slice) == 1 else None
    key = index.value if isinstance(index, cst.Index) and not index.star else None
    if not (isinstance(key, cst.Name) and key.value in keys):
        return "dict key is not the loop variable"
    return _accumulated(
        "for_dict_item", target, iterable, assign.value, subscript.value.value, key=key
    )


def _accumulated(
    form: LoopForm,
    target: str,
    iterable: cst.BaseExpression,
    value: cst.BaseExpression,
    accumulator: str,
    key: cst.BaseExpression | None = None,
) -> LoopShape | str:
    """The shape of a loop that adds one item per iteration to ``accumulator``.

    The accumulator must not feed back into the items: reading it in the expression would be a
    loop-carried dependency, and reading it in the iterable would change once `map` consumes the
    iterable up front."""
    if accumulator == target:
        return "accumulator is the loop variable"
    reason = _expression_reason(value, target)
    if reason is not None:
        return reason
    if accumulator in names_read(value):
        return "expression reads the accumulator"
    if accumulator in names_read(iterable):
        return "iterable reads the accumulator"
    return LoopShape(form, target, iterable, value, key=key, accumulator=accumulator)


def _recognise_comprehension_statement(statement: cst.BaseSmallStatement) -> LoopShape | str:
    accumulator: str | None = None
    if isinstance(statement, cst.Assign):
        if len(statement.targets) != 1:
            return "assignment has several targets"
        assigned = statement.targets[0].target
        if not isinstance(assigned, cst.Name | cst.Attribute):
            return "assignment target is not a name or attribute"
        accumulator = cst.Module([]).code_for_node(assigned)
        value: cst.BaseExpression | None = statement.value
    elif isinstance(statement, cst.AnnAssign):
        accumulator = cst.Module([]).code_for_node(statement.target)
        value = statement.value
    elif isinstance(statement, cst.Return):
        value = statement.value
    else:
        value = None
    if isinstance(value, cst.ListComp | cst.DictComp):
        return _recognise_comprehension(value, accumulator)
    if isinstance(value, cst.SetComp | cst.GeneratorExp):
        return "set comprehensions and generator expressions are not rewritten"
    finder = _ComprehensionFinder()
    statement.visit(finder)
    if not finder.found:
        return "statement holds no loop or comprehension"
    if value is None:
        return "comprehension is not assigned or returned"
    return "comprehension is not the whole assigned value"


def _recognise_comprehension(
    comprehension: cst.ListComp | cst.DictComp, accumulator: str | None
) -> LoopShape | str:
    clause = comprehension.for_in
    if clause.asynchronous is not None:
        return "comprehension is async"
    if clause.inner_for_in is not None:
        return "comprehension has several for clauses"
    target = _target_name(clause.target)
    if not isinstance(target, cst.Name):
        return target
    # A `:=` in a filter binds in the enclosing scope, which the element may read back: once the
    # filter runs ahead of the elements, they would all see its last value.
    for condition in clause.ifs:
        if _ExpressionFacts.of(condition.test, target.value).walrus:
            return "condition uses an assignment expression (:=)"
    if isinstance(comprehension, cst.ListComp):
        form: LoopForm = "list_comp"
        value, key = comprehension.elt, None
    else:
        form, value, key = "dict_comp", comprehension.value, comprehension.key
    for expression in (key, value):
        reason = None if expression is None else _expression_reason(expression, target.value)
        if reason is not None:
            return reason
    return LoopShape(
        form,
        target.value,
        clause.iter,
        value,
        key=key,
        accumulator=accumulator,
        conditions=tuple(clause.ifs),
    )


def _one_name_loop(loop: cst.For) -> cst.For | None:
    """``for k, v in pairs: BODY`` as the loop it means, ``for item in pairs: k, v = item; BODY``
    (None unless the target is a tuple or list of plain names): the item is then one value a pool
    can hand to a function, which unpacks it first."""
    if not _unpacks_to_names(loop.target):
        return None
    item = fresh_name("item", names_read(loop))
    unpack = cst.SimpleStatementLine(
        [cst.Assign(targets=[cst.AssignTarget(loop.target)], value=cst.Name(item))]
    )
    body = loop.body
    statements = (
        list(body.body)
        if isinstance(body, cst.IndentedBlock)
        else [cst.SimpleStatementLine(list(body.body))]
    )
    # `for(k, v)in pairs:` needs the spaces a plain name does
    space = cst.SimpleWhitespace(" ")
    return loop.with_changes(
        target=cst.Name(item),
        body=cst.IndentedBlock([unpack, *statements]),
        whitespace_after_for=loop.whitespace_after_for
        if getattr(loop.whitespace_after_for, "value", " ")
        else space,
        whitespace_before_in=loop.whitespace_before_in
        if getattr(loop.whitespace_before_in, "value", " ")
        else space,
    )


def _unpacks_to_names(target: cst.BaseExpression) -> bool:
    if isinstance(target, cst.Name):
        return True
    if isinstance(target, cst.StarredElement):
        return _unpacks_to_names(target.value)
    if isinstance(target, cst.Tuple | cst.List):
        return bool(target.elements) and all(_unpacks_to_names(e.value) for e in target.elements)
    return False


def _target_names(target: cst.BaseExpression) -> list[cst.Name]:
    """The names a target of plain names binds, nested tuples and starred ones included."""
    if isinstance(target, cst.Name):
        return [target]
    if isinstance(target, cst.StarredElement):
        return _target_names(target.value)
    if isinstance(target, cst.Tuple | cst.List):
        return [name for e in target.elements for name in _target_names(e.value)]
    return []


def _target_name(target: cst.BaseExpression) -> cst.Name | str:
    if isinstance(target, cst.Name):
        return target
    if isinstance(target, cst.Tuple):
        return "loop target is a tuple"
    if isinstance(target, cst.List):
        return "loop target is a list"
    return "loop target is not a plain name"


def _expression_reason(expression: cst.BaseExpression, target: str) -> str | None:
    """Why ``expression`` would mean something else as the body of ``lambda target: ...``."""
    facts = _ExpressionFacts.of(expression, target)
    if facts.awaits:
        return "expression uses await"
    if facts.yields:
        return "expression uses yield"
    if facts.walrus:
        return "expression uses an assignment expression (:=)"
    if facts.frame_call is not None:
        return f"expression calls {facts.frame_call}(), which sees other locals inside a lambda"
    if facts.late_binding:
        # A closure made in a loop sees the loop variable's last value; one made in the lambda
        # sees its own item, so the result would differ.
        return "expression makes a closure over the loop variable"
    return None


class _ExpressionFacts(cst.CSTVisitor):
    """What moving an expression into a lambda could change: awaits, yields, bindings, frames."""

    def __init__(self, target: str) -> None:
        self.target = target
        self.names: set[str] = set()
        self.awaits = self.yields = self.walrus = self.late_binding = False
        self.frame_call: str | None = None
        self._closures = 0
        self._consumed: set[int] = set()  # generator expressions a builtin consumes at once

    @classmethod
    def of(cls, expression: cst.CSTNode, target: str) -> _ExpressionFacts:
        facts = cls(target)
        expression.visit(facts)
        return facts

    def visit_Await(self, node: cst.Await) -> None:
        self.awaits = True

    def visit_Yield(self, node: cst.Yield) -> None:
        self.yields = True

    def visit_NamedExpr(self, node: cst.NamedExpr) -> None:
        self.walrus = True

    def visit_Lambda(self, node: cst.Lambda) -> None:
        self._closures += 1

    def leave_Lambda(self, original_node: cst.Lambda) -> None:
        self._closures -= 1

    def visit_GeneratorExp(self, node: cst.GeneratorExp) -> bool:
        if id(node) in self._consumed:
            return True
        # The first iterable is evaluated at once; the rest runs later, when it is consumed.
        node.for_in.iter.visit(self)
        self._closures += 1
        lazy = (node.elt, node.for_in.target, *node.for_in.ifs, node.for_in.inner_for_in)
        for part in lazy:
            if part is not None:
                part.visit(self)
        self._closures -= 1
        return False

    def visit_Call(self, node: cst.Call) -> None:
        if isinstance(node.func, cst.Name):
            if node.func.value in FRAME_SENSITIVE:
                self.frame_call = self.frame_call or node.func.value
            if node.func.value in CONSUMERS:
                self._consumed |= {
                    id(a.value) for a in node.args if isinstance(a.value, cst.GeneratorExp)
                }

    def visit_Attribute(self, node: cst.Attribute) -> bool:
        node.value.visit(self)  # `x.attr` reads x, not a variable called attr
        return False

    def visit_Arg(self, node: cst.Arg) -> bool:
        node.value.visit(self)  # a keyword argument's name is not a variable
        return False

    def visit_Name(self, node: cst.Name) -> None:
        self.names.add(node.value)
        if self._closures and node.value == self.target:
            self.late_binding = True


def names_read(expression: cst.CSTNode) -> set[str]:
    """Every variable name an expression mentions (attribute and keyword names excluded)."""
    return _ExpressionFacts.of(expression, "").names


def _exit_in(nodes: Sequence[cst.CSTNode]) -> str | None:
    """The first break/continue/return/yield in ``nodes`` that leaves or suspends the loop."""
    exits = _EarlyExitFinder()
    for node in nodes:
        node.visit(exits)
    return exits.found


class _EarlyExitFinder(cst.CSTVisitor):
    """The first break/continue/return/yield that leaves or suspends this loop's body."""

    def __init__(self) -> None:
        self.found: str | None = None
        self._loops = 0

    def _note(self, what: str, *, loop_bound: bool = False) -> None:
        if self.found is None and not (loop_bound and self._loops):
            self.found = what

    def visit_FunctionDef(self, node: cst.FunctionDef) -> bool:
        return False

    def visit_ClassDef(self, node: cst.ClassDef) -> bool:
        return False

    def visit_Lambda(self, node: cst.Lambda) -> bool:
        return False

    def visit_For(self, node: cst.For) -> None:
        self._loops += 1

    def leave_For(self, original_node: cst.For) -> None:
        self._loops -= 1

    def visit_While(self, node: cst.While) -> None:
        self._loops += 1

    def leave_While(self, original_node: cst.While) -> None:
        self._loops -= 1

    def visit_Break(self, node: cst.Break) -> None:
        self._note("break", loop_bound=True)

    def visit_Continue(self, node: cst.Continue) -> None:
        self._note("continue", loop_bound=True)

    def visit_Return(self, node: cst.Return) -> None:
        self._note("return")

    def visit_Yield(self, node: cst.Yield) -> None:
        self._note("yield")


class _ComprehensionFinder(cst.CSTVisitor):
    def __init__(self) -> None:
        self.found = False

    def on_visit(self, node: cst.CSTNode) -> bool:
        if isinstance(node, cst.ListComp | cst.DictComp | cst.SetComp | cst.GeneratorExp):
            self.found = True
        return not self.found
