"""Rewrite serial I/O loops into ``ThreadPoolExecutor`` + ``executor.map``.

``executor.map`` yields results in input order, so every rewrite keeps the order of the result
and lets the first exception surface where the loop was. Only a few loop shapes are rewritten
(see :data:`advisor.model.LoopForm`); for each one the new statement builds exactly the same
list, dict or reduction as the loop did. Whether running the items concurrently is *safe* is the
analysis stage's question, not this module's: here we only refuse shapes whose result could
differ.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import libcst as cst
from libcst.codemod import CodemodContext, VisitorBasedCodemodCommand
from libcst.codemod.visitors import AddImportsVisitor
from libcst.metadata import PositionProvider

from advisor.model import LoopForm

__all__ = [
    "LoopShape",
    "RewriteError",
    "ThreadPoolCodemod",
    "recognise_loop_shape",
    "rewrite_loops_to_thread_pool",
]

_POOL_MODULE = "concurrent.futures"
_POOL_CLASS = "ThreadPoolExecutor"
# Calls whose meaning depends on the calling frame: inside a lambda they would see other locals.
_FRAME_SENSITIVE = frozenset({"locals", "vars", "dir", "eval", "exec", "super"})


class RewriteError(Exception):
    """A requested loop is not of a shape this codemod can rewrite."""


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


# --- recognising shapes -------------------------------------------------------------------------


def recognise_loop_shape(statement: cst.CSTNode) -> LoopShape | str:
    """Return the shape if `statement` (a cst.For, or a SimpleStatementLine / statement holding a
    comprehension) is rewritable, else a short human reason why not, e.g. "loop target is a
    tuple", "loop has an else clause", "body has several statements"."""
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


def _recognise_for(loop: cst.For) -> LoopShape | str:
    if loop.asynchronous is not None:
        return "loop is async (async for)"
    if loop.orelse is not None:
        return "loop has an else clause"
    target = _target_name(loop.target)
    if not isinstance(target, cst.Name):
        return target
    exits = _EarlyExitFinder()
    loop.body.visit(exits)
    if exits.found is not None:
        return f"body contains {exits.found}"
    statement = _single_small_statement(loop.body)
    if isinstance(statement, str):
        return statement
    name = target.value
    if isinstance(statement, cst.Expr) and _is_method_call(statement.value, "append"):
        return _recognise_append(statement.value, name, loop.iter)
    if isinstance(statement, cst.Assign) and any(
        isinstance(t.target, cst.Subscript) for t in statement.targets
    ):
        return _recognise_dict_item(statement, name, loop.iter)
    if isinstance(statement, cst.AugAssign):
        if not isinstance(statement.target, cst.Name):
            return "accumulator is not a plain name"
        return _accumulated(
            "for_augassign", name, loop.iter, statement.value, statement.target.value
        )
    return "body is not `acc.append(...)`, `d[key] = ...` or `acc += ...`"


def _recognise_append(call: cst.Call, target: str, iterable: cst.BaseExpression) -> LoopShape | str:
    assert isinstance(call.func, cst.Attribute)
    if not isinstance(call.func.value, cst.Name):
        return "append target is not a plain name"
    if len(call.args) != 1 or call.args[0].keyword is not None or call.args[0].star:
        return "append does not take exactly one plain argument"
    return _accumulated("for_append", target, iterable, call.args[0].value, call.func.value.value)


def _recognise_dict_item(
    assign: cst.Assign, target: str, iterable: cst.BaseExpression
) -> LoopShape | str:
    if len(assign.targets) != 1:
        return "assignment has several targets"
    subscript = assign.targets[0].target
    assert isinstance(subscript, cst.Subscript)
    if not isinstance(subscript.value, cst.Name):
        return "dict is not a plain name"
    index = subscript.slice[0].slice if len(subscript.slice) == 1 else None
    key = index.value if isinstance(index, cst.Index) and not index.star else None
    if not (isinstance(key, cst.Name) and key.value == target):
        return "dict key is not the loop variable"
    shape = _accumulated(
        "for_dict_item", target, iterable, assign.value, subscript.value.value, key=key
    )
    return shape


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
    if accumulator in _names_read(value):
        return "expression reads the accumulator"
    if accumulator in _names_read(iterable):
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


def _target_name(target: cst.BaseExpression) -> cst.Name | str:
    if isinstance(target, cst.Name):
        return target
    if isinstance(target, cst.Tuple):
        return "loop target is a tuple"
    if isinstance(target, cst.List):
        return "loop target is a list"
    return "loop target is not a plain name"


def _single_small_statement(body: cst.BaseSuite) -> cst.BaseSmallStatement | str:
    if isinstance(body, cst.IndentedBlock):
        if len(body.body) != 1:
            return "body has several statements"
        line = body.body[0]
        if not isinstance(line, cst.SimpleStatementLine):
            return "body is a compound statement"
        statements: Sequence[cst.BaseSmallStatement] = line.body
    else:
        assert isinstance(body, cst.SimpleStatementSuite)
        statements = body.body
    if len(statements) != 1:
        return "body has several statements"
    return statements[0]


def _is_method_call(expression: cst.BaseExpression, method: str) -> bool:
    return (
        isinstance(expression, cst.Call)
        and isinstance(expression.func, cst.Attribute)
        and expression.func.attr.value == method
    )


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

    def visit_GeneratorExp(self, node: cst.GeneratorExp) -> None:
        self._closures += 1

    def leave_GeneratorExp(self, original_node: cst.GeneratorExp) -> None:
        self._closures -= 1

    def visit_Call(self, node: cst.Call) -> None:
        if isinstance(node.func, cst.Name) and node.func.value in _FRAME_SENSITIVE:
            self.frame_call = self.frame_call or node.func.value

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


def _names_read(expression: cst.CSTNode) -> set[str]:
    return _ExpressionFacts.of(expression, "").names


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


# --- names the module already uses ----------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _ModuleNames:
    used: frozenset[str]  # every identifier in the module
    rebound: frozenset[str]  # names the rewrite relies on that the module binds to something else


class _NameCollector(cst.CSTVisitor):
    """Every identifier, and which of ThreadPoolExecutor/list/dict the module binds itself."""

    _WATCHED = frozenset({_POOL_CLASS, "list", "dict"})

    def __init__(self) -> None:
        self.used: set[str] = set()
        self.rebound: set[str] = set()

    def _bind(self, target: cst.CSTNode | None) -> None:
        if isinstance(target, cst.Name) and target.value in self._WATCHED:
            self.rebound.add(target.value)
        elif isinstance(target, cst.Tuple | cst.List):
            for element in target.elements:
                self._bind(element.value)
        elif isinstance(target, cst.StarredElement):
            self._bind(target.value)

    def visit_Name(self, node: cst.Name) -> None:
        self.used.add(node.value)

    def visit_AssignTarget(self, node: cst.AssignTarget) -> None:
        self._bind(node.target)

    def visit_AnnAssign(self, node: cst.AnnAssign) -> None:
        self._bind(node.target)

    def visit_AugAssign(self, node: cst.AugAssign) -> None:
        self._bind(node.target)

    def visit_For(self, node: cst.For) -> None:
        self._bind(node.target)

    def visit_NamedExpr(self, node: cst.NamedExpr) -> None:
        self._bind(node.target)

    def visit_AsName(self, node: cst.AsName) -> None:
        self._bind(node.name)

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        self._bind(node.name)

    def visit_ClassDef(self, node: cst.ClassDef) -> None:
        self._bind(node.name)

    def visit_Param(self, node: cst.Param) -> None:
        self._bind(node.name)

    def visit_Import(self, node: cst.Import) -> None:
        for alias in node.names:
            if alias.asname is None:
                root = alias.name
                while isinstance(root, cst.Attribute):
                    root = root.value
                self._bind(root)

    def visit_ImportFrom(self, node: cst.ImportFrom) -> None:
        if isinstance(node.names, cst.ImportStar):
            return
        module = cst.Module([]).code_for_node(node.module) if node.module else ""
        ours = not node.relative and module in (_POOL_MODULE, f"{_POOL_MODULE}.thread")
        for alias in node.names:
            if alias.asname is None and not (ours and alias.evaluated_name == _POOL_CLASS):
                self._bind(alias.name)

    def visit_MatchAs(self, node: cst.MatchAs) -> None:
        self._bind(node.name)

    def visit_MatchStar(self, node: cst.MatchStar) -> None:
        self._bind(node.name)


def _module_names(module: cst.Module) -> _ModuleNames:
    collector = _NameCollector()
    module.visit(collector)
    return _ModuleNames(frozenset(collector.used), frozenset(collector.rebound))


def _fresh_name(base: str, used: frozenset[str]) -> str:
    """``base``, or ``base_1``, ``base_2``, … : the first the module does not use anywhere."""
    if base not in used:
        return base
    index = 1
    while f"{base}_{index}" in used:
        index += 1
    return f"{base}_{index}"


# --- building the rewrite -------------------------------------------------------------------------


def _parenthesized(expression: cst.BaseExpression) -> cst.BaseExpression:
    """Bare tuples and generator expressions need parentheses as an argument or lambda body."""
    if isinstance(expression, cst.Tuple | cst.GeneratorExp) and not expression.lpar:
        return expression.with_changes(lpar=[cst.LeftParen()], rpar=[cst.RightParen()])
    return expression


def _is_name_chain(expression: cst.BaseExpression) -> bool:
    if isinstance(expression, cst.Attribute):
        return _is_name_chain(expression.value)
    return isinstance(expression, cst.Name)


def _direct_callable(value: cst.BaseExpression, target: str) -> cst.BaseExpression | None:
    """``F`` when ``value`` is ``F(target)``, so ``map`` can call F itself without a lambda."""
    if not isinstance(value, cst.Call) or len(value.args) != 1:
        return None
    arg = value.args[0]
    if arg.keyword is not None or arg.star or not isinstance(arg.value, cst.Name):
        return None
    if arg.value.value != target or not _is_name_chain(value.func):
        return None
    if target in _names_read(value.func):
        return None  # e.g. `item.load(item)`: F depends on the item
    return value.func


def _mapped_function(shape: LoopShape) -> cst.BaseExpression:
    """The callable handed to ``executor.map``: F itself, or a lambda of the loop variable."""
    if shape.key is None:
        direct = _direct_callable(shape.value, shape.target)
        if direct is not None:
            return direct
        body: cst.BaseExpression = _parenthesized(shape.value)
    else:
        comma = cst.Comma(whitespace_after=cst.SimpleWhitespace(" "))
        body = cst.Tuple(
            [
                cst.Element(_parenthesized(shape.key), comma=comma),
                cst.Element(_parenthesized(shape.value)),
            ]
        )
    return cst.Lambda(params=cst.Parameters(params=[cst.Param(cst.Name(shape.target))]), body=body)


def _map_call(shape: LoopShape, executor: str) -> cst.Call:
    iterable: cst.BaseExpression = _parenthesized(shape.iterable)
    if shape.conditions:
        # The filter stays serial and in front: only the elements go to the pool.
        iterable = cst.ListComp(
            elt=cst.Name(shape.target),
            for_in=cst.CompFor(
                target=cst.Name(shape.target), iter=iterable, ifs=list(shape.conditions)
            ),
        )
    comma = cst.Comma(whitespace_after=cst.SimpleWhitespace(" "))
    return cst.Call(
        func=cst.Attribute(value=cst.Name(executor), attr=cst.Name("map")),
        args=[cst.Arg(_mapped_function(shape), comma=comma), cst.Arg(iterable)],
    )


def _call_on(name: str, method: str, argument: cst.BaseExpression) -> cst.Call:
    return cst.Call(
        func=cst.Attribute(value=cst.Name(name), attr=cst.Name(method)),
        args=[cst.Arg(argument)],
    )


@dataclass(frozen=True, slots=True)
class _Names:
    executor: str
    result: str


def _pool_with(
    workers: int,
    executor: str,
    body: Sequence[cst.BaseStatement],
    leading_lines: Sequence[cst.EmptyLine],
    header: cst.TrailingWhitespace | None = None,
    footer: Sequence[cst.EmptyLine] = (),
) -> cst.With:
    pool = cst.Call(
        func=cst.Name(_POOL_CLASS),
        args=[
            cst.Arg(
                cst.Integer(str(workers)),
                keyword=cst.Name("max_workers"),
                equal=cst.AssignEqual(
                    whitespace_before=cst.SimpleWhitespace(""),
                    whitespace_after=cst.SimpleWhitespace(""),
                ),
            )
        ],
    )
    return cst.With(
        items=[cst.WithItem(item=pool, asname=cst.AsName(name=cst.Name(executor)))],
        body=cst.IndentedBlock(
            body=list(body), header=header or cst.TrailingWhitespace(), footer=list(footer)
        ),
        leading_lines=list(leading_lines),
    )


def _rewrite_for(loop: cst.For, shape: LoopShape, workers: int, names: _Names) -> cst.With:
    """The `with` that replaces a `for` loop, keeping the comments of its header and body."""
    if isinstance(loop.body, cst.IndentedBlock):
        line = loop.body.body[0]
        assert isinstance(line, cst.SimpleStatementLine)
        header: cst.TrailingWhitespace | None = loop.body.header
        footer: Sequence[cst.EmptyLine] = loop.body.footer
    else:  # `for x in xs: acc.append(x)` on one line
        assert isinstance(loop.body, cst.SimpleStatementSuite)
        line = cst.SimpleStatementLine(
            body=loop.body.body, trailing_whitespace=loop.body.trailing_whitespace
        )
        header, footer = None, ()
    statement = line.body[0]
    map_call = _map_call(shape, names.executor)
    accumulator = shape.accumulator
    assert accumulator is not None
    new_body: cst.BaseStatement
    if shape.form == "for_append":
        assert isinstance(statement, cst.Expr) and isinstance(statement.value, cst.Call)
        call = statement.value
        assert isinstance(call.func, cst.Attribute)
        extend = call.with_changes(
            func=call.func.with_changes(attr=cst.Name("extend")), args=[cst.Arg(map_call)]
        )
        new_body = line.with_changes(
            body=[statement.with_changes(value=extend, semicolon=cst.MaybeSentinel.DEFAULT)]
        )
    elif shape.form == "for_dict_item":
        update = cst.Expr(_call_on(accumulator, "update", map_call))
        new_body = line.with_changes(body=[update])
    else:
        assert isinstance(statement, cst.AugAssign)
        reduce = statement.with_changes(
            value=cst.Name(names.result), semicolon=cst.MaybeSentinel.DEFAULT
        )
        new_body = cst.For(
            target=cst.Name(names.result),
            iter=map_call,
            body=cst.IndentedBlock(
                [line.with_changes(body=[reduce], leading_lines=[])],
            ),
            leading_lines=line.leading_lines,
        )
    return _pool_with(workers, names.executor, [new_body], loop.leading_lines, header, footer)


def _rewrite_comprehension(
    line: cst.SimpleStatementLine, shape: LoopShape, workers: int, names: _Names
) -> cst.With:
    """The `with` that turns ``x = [...]`` / ``return [...]`` into a ``list``/``dict`` of a map."""
    statement = line.body[0]
    assert isinstance(statement, cst.Assign | cst.AnnAssign | cst.Return)
    collect = _collecting_builtin(shape.form)
    assert collect is not None
    value = cst.Call(func=cst.Name(collect), args=[cst.Arg(_map_call(shape, names.executor))])
    changes: dict[str, object] = {"value": value, "semicolon": cst.MaybeSentinel.DEFAULT}
    spacing = getattr(statement, "whitespace_after_return", None)
    if isinstance(spacing, cst.SimpleWhitespace) and not spacing.value:
        changes["whitespace_after_return"] = cst.SimpleWhitespace(" ")  # was `return[...]`
    new_line = line.with_changes(body=[statement.with_changes(**changes)], leading_lines=[])
    return _pool_with(workers, names.executor, [new_line], line.leading_lines)


def _comments(node: cst.CSTNode) -> list[cst.Comment]:
    collector = _CommentCollector()
    node.visit(collector)
    return collector.comments


class _CommentCollector(cst.CSTVisitor):
    def __init__(self) -> None:
        self.comments: list[cst.Comment] = []

    def visit_Comment(self, node: cst.Comment) -> None:
        self.comments.append(node)


def _keep_comments(old: cst.CSTNode, new: cst.With) -> cst.With:
    """Put every comment of ``old`` the rewrite dropped (e.g. between comprehension clauses) in
    front of the new statement, so no comment is ever lost."""
    kept = {id(comment) for comment in _comments(new)}
    lost = [cst.EmptyLine(comment=c) for c in _comments(old) if id(c) not in kept]
    if not lost:
        return new
    return new.with_changes(leading_lines=[*new.leading_lines, *lost])


# --- the codemod ----------------------------------------------------------------------------------


class ThreadPoolCodemod(VisitorBasedCodemodCommand):
    """Rewrites the loops that start on the requested lines of a module.

    Lines are matched on the original tree (``PositionProvider``) while visiting top-down, and
    the matched statements are replaced when left. Requested lines that hold no rewritable loop
    are collected and raised together as one :class:`RewriteError`."""

    DESCRIPTION: str = "Rewrite serial I/O loops into ThreadPoolExecutor.map, keeping result order."
    METADATA_DEPENDENCIES = (PositionProvider,)

    def __init__(self, context: CodemodContext, loops: Mapping[int, int]) -> None:
        super().__init__(context)
        self.loops = dict(loops)
        self.problems: dict[int, str] = {}
        self._claimed: set[int] = set()
        self._planned: dict[cst.CSTNode, int] = {}
        self._class_body: list[bool] = []
        self._module_names = _ModuleNames(frozenset(), frozenset())
        self._names = _Names("executor", "result")

    def transform_module_impl(self, tree: cst.Module) -> cst.Module:
        new_tree = super().transform_module_impl(tree)
        for line in self.loops:
            if line not in self._claimed:
                self.problems.setdefault(line, "no loop starts on this line")
        if self.problems:
            raise RewriteError(
                "; ".join(f"line {line}: {why}" for line, why in sorted(self.problems.items()))
            )
        return new_tree

    def visit_Module(self, node: cst.Module) -> None:
        self.problems, self._claimed, self._planned = {}, set(), {}
        self._module_names = _module_names(node)
        used = self._module_names.used
        self._names = _Names(_fresh_name("executor", used), _fresh_name("result", used))

    # Lambdas in a class body cannot see the class's names, and `executor` would become a
    # class attribute: loops directly in a class body are refused.
    def visit_ClassDef(self, node: cst.ClassDef) -> None:
        self._class_body.append(True)

    def leave_ClassDef(
        self, original_node: cst.ClassDef, updated_node: cst.ClassDef
    ) -> cst.ClassDef:
        self._class_body.pop()
        return updated_node

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        self._class_body.append(False)

    def leave_FunctionDef(
        self, original_node: cst.FunctionDef, updated_node: cst.FunctionDef
    ) -> cst.FunctionDef:
        self._class_body.pop()
        return updated_node

    def _claim(self, node: cst.CSTNode) -> int | None:
        """The requested line ``node`` starts on, if it is requested and nothing claimed it."""
        line = self.get_metadata(PositionProvider, node).start.line
        if line not in self.loops or line in self._claimed:
            return None
        self._claimed.add(line)
        return line

    def _plan(self, node: cst.CSTNode, line: int, shape: LoopShape | str) -> None:
        workers = self.loops[line]
        if isinstance(shape, str):
            self.problems[line] = shape
        elif isinstance(workers, bool) or not isinstance(workers, int) or workers < 1:
            self.problems[line] = f"max_workers must be a positive integer, not {workers!r}"
        elif self._class_body and self._class_body[-1]:
            self.problems[line] = "loop is directly in a class body"
        elif _POOL_CLASS in self._module_names.rebound:
            self.problems[line] = f"the module binds {_POOL_CLASS} to something else"
        elif (collect := _collecting_builtin(shape.form)) in self._module_names.rebound:
            self.problems[line] = f"the module rebinds the builtin {collect}"
        else:
            self._planned[node] = workers

    def visit_For(self, node: cst.For) -> None:
        line = self._claim(node)
        if line is not None:
            self._plan(node, line, recognise_loop_shape(node))

    def visit_While(self, node: cst.While) -> None:
        line = self._claim(node)
        if line is not None:
            self.problems[line] = "while loops are not rewritten"

    def visit_SimpleStatementLine(self, node: cst.SimpleStatementLine) -> None:
        line = self._claim(node)
        if line is not None:
            self._plan(node, line, recognise_loop_shape(node))

    def visit_SimpleStatementSuite(self, node: cst.SimpleStatementSuite) -> None:
        # `if ok: x = [...]`: the statement shares its line with a block header (a `for` on the
        # same line claimed it first), and a `with` cannot follow a colon on the same line.
        line = self._claim(node)
        if line is not None:
            shape = recognise_loop_shape(node)
            self.problems[line] = (
                "statement is on the same line as its block header"
                if isinstance(shape, LoopShape)
                else shape
            )

    def leave_For(
        self, original_node: cst.For, updated_node: cst.For
    ) -> cst.BaseStatement | cst.FlattenSentinel[cst.BaseStatement] | cst.RemovalSentinel:
        workers = self._planned.get(original_node)
        if workers is None:
            return updated_node
        shape = recognise_loop_shape(updated_node)
        assert isinstance(shape, LoopShape)
        return self._replaced(updated_node, _rewrite_for(updated_node, shape, workers, self._names))

    def leave_SimpleStatementLine(
        self, original_node: cst.SimpleStatementLine, updated_node: cst.SimpleStatementLine
    ) -> cst.BaseStatement | cst.FlattenSentinel[cst.BaseStatement] | cst.RemovalSentinel:
        workers = self._planned.get(original_node)
        if workers is None:
            return updated_node
        shape = recognise_loop_shape(updated_node)
        assert isinstance(shape, LoopShape)
        new = _rewrite_comprehension(updated_node, shape, workers, self._names)
        return self._replaced(updated_node, new)

    def _replaced(self, old: cst.CSTNode, new: cst.With) -> cst.With:
        AddImportsVisitor.add_needed_import(self.context, _POOL_MODULE, _POOL_CLASS)
        return _keep_comments(old, new)


def _collecting_builtin(form: LoopForm) -> str | None:
    """The builtin a comprehension's rewrite calls to collect the results, if any."""
    return {"list_comp": "list", "dict_comp": "dict"}.get(form)


def _syntax_error(code: str) -> SyntaxError | None:
    try:
        compile(code, "<rewrite>", "exec", dont_inherit=True)
    except (SyntaxError, ValueError) as error:
        return error if isinstance(error, SyntaxError) else SyntaxError(str(error))
    return None


def rewrite_loops_to_thread_pool(source: str, loops: Mapping[int, int]) -> str:
    """`loops` maps the first line of each loop statement to max_workers. Returns the new source.

    Raises RewriteError (message names the line and the reason) if a requested line holds no
    rewritable loop. Raises nothing else for valid Python (libcst's ``ParserSyntaxError`` for
    source it cannot parse); the result compiles whenever the source does."""
    if not loops:
        return source
    module = cst.parse_module(source)
    codemod = ThreadPoolCodemod(CodemodContext(), loops)
    rewritten = codemod.transform_module(module).code
    error = _syntax_error(rewritten)
    if error is not None and _syntax_error(source) is None:
        # A bug of ours, never the user's: refuse rather than hand back code that will not run.
        raise RewriteError(f"line {error.lineno}: the rewrite does not compile ({error.msg})")
    return rewritten
