"""CA205: work handed to a pool (or a thread) and waited for in the same iteration runs one item
at a time. The rewrite submits every item first and then collects the results in input order,
so results keep their order and the first failing item's exception still surfaces where it did.

Three shapes, from the most to the least common:

- ``out.append(pool.submit(f, x).result())`` (or ``pool.apply(f, (x,))``) in a loop or a
  comprehension: ``out.extend(pool.map(f, xs))`` / ``list(pool.map(f, xs))`` (``imap`` for a
  multiprocessing pool: it yields in order and raises at the failing item, as the loop did);
- anything else that waits: a list of futures (``apply_async`` results) made first, then the
  original body run over it, with ``fut.result()`` where the wait was;
- ``t = Thread(...)``, ``t.start()``, ``t.join()`` in one iteration: start all of them, keeping
  them in a list, then join them all.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import libcst as cst
from libcst.helpers import parse_template_expression, parse_template_statement

from advisor.analysis.knowledge import load_knowledge
from advisor.codemods.pool_edit import (
    ParsedModule,
    RewriteError,
    finish,
    is_name_chain,
    line_of,
    lost_comments,
    names_read,
    names_stored,
    walk,
)
from advisor.model import Finding, Site
from advisor.syntax.names import fresh_name

__all__ = ["fix_serial_submit"]

_POOLS = load_knowledge().pools  # what starts threads and processes: data (pools.toml)
THREADS, PROCESSES = _POOLS.threads, _POOLS.processes
# A submission method, the method that waits for what it returns, and the order-keeping map.
_WAIT = {"submit": "result", "apply_async": "get", "apply": "get"}
# Every method that waits for a submission (`AsyncResult.wait()` waits without the result).
_WAITS = {"submit": ("result",), "apply_async": ("get", "wait")}
_MAP = {"submit": "map", "apply_async": "imap", "apply": "imap"}
# Names of the new list and of one item of it, by the pool family.
_NAMES = {"submit": ("futures", "future"), "apply_async": ("pending", "result")}
_COMPREHENSIONS = (cst.ListComp, cst.SetComp, cst.DictComp, cst.GeneratorExp)
_SCOPES = (cst.FunctionDef, cst.ClassDef, cst.Lambda)
_COLLECTORS = {cst.ListComp: "list", cst.SetComp: "set"}


def fix_serial_submit(source: str, finding: Finding) -> str:
    """CA205: submit all, then collect in order (or start all threads, then join them)."""
    parsed = ParsedModule.for_finding(source, finding)
    call = _submission_at(parsed, finding.site or finding.line)
    loop = _innermost_loop(parsed, call)
    if parsed.in_class_body(loop):
        raise RewriteError("the loop is directly in a class body")
    replacements: dict[cst.CSTNode, object]
    if _is_worker(parsed, call):
        if not isinstance(loop, cst.For):
            raise RewriteError("threads started and joined in a comprehension are not rewritten")
        replacements = {loop: _start_all_then_join(parsed, call, loop)}
    elif isinstance(loop, cst.For):
        replacements = {loop: _collect_for(parsed, call, loop)}
    else:
        replacements = _collect_comprehension(parsed, call, loop)
    return finish(parsed, replacements)  # type: ignore[arg-type]


# --- where the finding is --------------------------------------------------------------------


def _method(call: cst.Call) -> str | None:
    return call.func.attr.value if isinstance(call.func, cst.Attribute) else None


def _is_worker(parsed: ParsedModule, call: cst.Call) -> bool:
    return bool(parsed.qualified_names(call.func) & (THREADS | PROCESSES)) or (
        _method(call) == "Process"
    )


def _submission_at(parsed: ParsedModule, where: int | Site) -> cst.Call:
    for call in parsed.calls_at(where):
        if _method(call) in _WAIT or _is_worker(parsed, call):
            return call
    line = line_of(where)
    raise RewriteError(f"no submission, apply or Thread/Process call starts on line {line}")


def _innermost_loop(parsed: ParsedModule, call: cst.Call) -> cst.CSTNode:
    for ancestor in parsed.ancestors(call):
        if isinstance(ancestor, (cst.For, cst.While, *_COMPREHENSIONS)):
            if isinstance(ancestor, cst.While):
                raise RewriteError("while loops are not rewritten: their items are not known")
            return ancestor
        if isinstance(ancestor, _SCOPES):
            break
    raise RewriteError("the submission is not inside a loop of its function")


# --- checks shared by loops and comprehensions ---------------------------------------------


def _target_names(target: cst.BaseExpression) -> set[str]:
    for node in walk(target):
        if isinstance(node, cst.Attribute | cst.Subscript):
            raise RewriteError("the loop target is not a plain name or tuple of names")
    return {n.value for n in walk(target) if isinstance(n, cst.Name)}


def _late_binding_reason(submission: cst.Call, targets: set[str]) -> str | None:
    """A closure handed over reads the loop variable when it runs, and once all items are
    submitted first it would see a later item; `:=` would bind in another scope."""
    for node in walk(submission):
        if isinstance(node, cst.NamedExpr):
            return "the submission uses an assignment expression (:=)"
        if isinstance(node, cst.Await | cst.Yield):
            return "the submission awaits or yields"
        if isinstance(node, (cst.Lambda, *_COMPREHENSIONS)) and names_read(node) & targets:
            return "the submission makes a closure over the loop variable"
    return None


def _wait_of(parsed: ParsedModule, call: cst.Call, method: str) -> cst.Call | None:
    """The call that waits for this submission right where it is made (``.result()``)."""
    if method == "apply":
        return call  # `apply` waits by itself
    attribute = parsed.parent(call)
    waiting = parsed.parent(attribute) if attribute is not None else None
    if (
        isinstance(attribute, cst.Attribute)
        and attribute.value is call
        and attribute.attr.value in _WAITS[method]
        and isinstance(waiting, cst.Call)
        and waiting.func is attribute
    ):
        return waiting
    return None


def _require_unconditional(parsed: ParsedModule, node: cst.CSTNode, within: cst.CSTNode) -> None:
    """Submitting all items first is only the same work if every item was submitted."""
    child = node
    for ancestor in parsed.ancestors(node):
        if ancestor is within:
            return
        if isinstance(ancestor, cst.BooleanOperation) and ancestor.right is child:
            raise RewriteError("the submission is on the right of `and`/`or`: not every item")
        if isinstance(ancestor, cst.IfExp) and ancestor.test is not child:
            raise RewriteError("the submission is in a conditional expression: not every item")
        if isinstance(ancestor, (cst.Lambda, *_COMPREHENSIONS)):
            raise RewriteError("the submission is inside a lambda or an inner comprehension")
        child = ancestor
    raise RewriteError("the submission is not where it was expected")


def _submitting(call: cst.Call, method: str) -> cst.Call:
    """The call that submits without waiting: ``apply`` becomes ``apply_async``."""
    if method != "apply":
        return call
    if not isinstance(call.func, cst.Attribute):
        raise RewriteError("unexpected code shape: `call.func` is not an Attribute")
    return call.with_changes(func=call.func.with_changes(attr=cst.Name("apply_async")))


def _waiting_on(name: str, wait: cst.Call, method: str) -> cst.Call:
    """``name.result(...)``: the wait, now on an item of the list (its method and arguments
    kept)."""
    if method == "apply":
        return cst.Call(func=cst.Attribute(value=cst.Name(name), attr=cst.Name("get")))
    if not isinstance(wait.func, cst.Attribute):
        raise RewriteError("unexpected code shape: `wait.func` is not an Attribute")
    return wait.with_changes(func=wait.func.with_changes(value=cst.Name(name)))


def _waits_plainly(wait: cst.Call, method: str) -> bool:
    """A wait for the result without a timeout, which ``map`` can stand for."""
    if method == "apply":
        return True
    if not isinstance(wait.func, cst.Attribute):
        raise RewriteError("unexpected code shape: `wait.func` is not an Attribute")
    return wait.func.attr.value == _WAIT[method] and not wait.args


@dataclass(frozen=True, slots=True)
class _Mapped:
    """A submission ``map`` can make by itself: ``pool.submit(f, x)`` for ``for x in xs``."""

    pool: cst.BaseExpression
    function: cst.BaseExpression
    method: str  # "map" or "imap"


def _mapped(submission: cst.Call, method: str, target: cst.BaseExpression) -> _Mapped | None:
    if not isinstance(target, cst.Name) or not isinstance(submission.func, cst.Attribute):
        return None
    args = submission.args
    if len(args) != 2 or any(a.keyword is not None or a.star for a in args):
        return None
    function, item = args[0].value, args[1].value
    if method != "submit":  # apply(f, (x,)): the arguments come as one tuple
        if not (isinstance(item, cst.Tuple) and len(item.elements) == 1):
            return None
        element = item.elements[0]
        if isinstance(element, cst.StarredElement):
            return None
        item = element.value
    if not (isinstance(item, cst.Name) and item.value == target.value):
        return None
    if not is_name_chain(function) or target.value in names_read(function):
        return None  # the function depends on the item, or evaluating it runs code
    return _Mapped(submission.func.value, function, _MAP[method])


def _map_call(mapped: _Mapped, iterable: cst.BaseExpression) -> cst.BaseExpression:
    return parse_template_expression(
        "{pool}.{method}({function}, {iterable})",
        pool=mapped.pool,
        method=cst.Name(mapped.method),
        function=mapped.function,
        iterable=iterable,
    )


def _parenthesized(target: cst.BaseExpression) -> cst.BaseExpression:
    if isinstance(target, cst.Tuple) and not target.lpar:
        return target.with_changes(lpar=[cst.LeftParen()], rpar=[cst.RightParen()])
    return target


def _fresh_pair(parsed: ParsedModule, method: str) -> tuple[str, str]:
    listed, item = _NAMES["submit" if method == "submit" else "apply_async"]
    listed = fresh_name(listed, parsed.identifiers)
    return listed, fresh_name(item, {*parsed.identifiers, listed})


# --- a for loop ----------------------------------------------------------------------------


class _Exits(cst.CSTVisitor):
    """break/return/yield/await that would stop or suspend the submitting."""

    def __init__(self, *, with_continue: bool) -> None:
        self.found: str | None = None
        self.with_continue = with_continue
        self._loops = 0

    def on_visit(self, node: cst.CSTNode) -> bool:
        if isinstance(node, _SCOPES):
            return False
        if isinstance(node, cst.For | cst.While):
            self._loops += 1
        kind = {cst.Return: "return", cst.Yield: "yield", cst.Await: "await"}.get(type(node))
        if kind is None and not self._loops:
            if isinstance(node, cst.Break):
                kind = "break"
            elif isinstance(node, cst.Continue) and self.with_continue:
                kind = "continue"
        if kind is not None and self.found is None:
            self.found = kind
        return True

    def on_leave(self, original_node: cst.CSTNode) -> None:
        if isinstance(original_node, cst.For | cst.While):
            self._loops -= 1


def _require_plain_loop(loop: cst.For, *, with_continue: bool) -> list[cst.BaseStatement]:
    if loop.asynchronous is not None:
        raise RewriteError("async for loops are not rewritten")
    if loop.orelse is not None:
        raise RewriteError("the loop has an else clause")
    if not isinstance(loop.body, cst.IndentedBlock):
        raise RewriteError("the loop body is on the same line as its header")
    exits = _Exits(with_continue=with_continue)
    loop.body.visit(exits)
    if exits.found is not None:
        raise RewriteError(f"the loop body uses {exits.found}")
    return list(loop.body.body)


def _collect_for(parsed: ParsedModule, call: cst.Call, loop: cst.For) -> cst.FlattenSentinel:
    method = _method(call) or ""
    statements = _require_plain_loop(loop, with_continue=False)
    first = statements[0]
    if not any(node is call for node in walk(first)):
        raise RewriteError("code runs before the submission in each iteration")
    if not isinstance(first, cst.SimpleStatementLine):
        raise RewriteError("the submission is in a nested block of the loop body")
    if len(first.body) != 1:
        raise RewriteError("the submission shares its line with other statements")
    small = first.body[0]
    targets = _target_names(loop.target)
    submission = _submitting(call, method)
    assigned = (
        isinstance(small, cst.Assign)
        and small.value is call
        and len(small.targets) == 1
        and isinstance(small.targets[0].target, cst.Name)
        and method != "apply"
    )
    if assigned:  # fut = pool.submit(...) ... fut.result() later in the body
        if not isinstance(small, cst.Assign):
            raise RewriteError("unexpected code shape: `small` is not an Assign")
        if not isinstance(small.targets[0].target, cst.Name):
            raise RewriteError("unexpected code shape: `small.targets[0].target` is not a Name")
        item = small.targets[0].target.value
        listed = _fresh_pair(parsed, method)[0]
        body: list[cst.BaseStatement] = statements[1:]
        wait = _first_wait(body, item, method)
        if wait is None:
            raise RewriteError("the submitted work is not waited for in the loop")
        if parsed.references_outside(item, loop, [wait]):
            wait = None  # the future is used besides the wait: it must stay a future
    else:
        wait = _wait_of(parsed, call, method)
        if wait is None:
            raise RewriteError("the result is not waited for where it is submitted")
        _require_unconditional(parsed, wait, small)
        listed, item = _fresh_pair(parsed, method)
        waiting = _waiting_on(item, wait, method)
        body = [_replaced_in(first, {wait: waiting}), *statements[1:]]
    reason = _late_binding_reason(submission, targets)
    if reason is not None:
        raise RewriteError(reason)
    # concadvise: ignore[CA102]: a few statements of one loop body
    carried = names_read(submission) & (
        set().union(*(names_stored(s) for s in statements)) - targets - {item}
    )
    if carried:
        raise RewriteError(f"the submission reads `{sorted(carried)[0]}`, which the body sets")
    pairs = any(parsed.references_outside(name, loop, [call]) for name in targets)
    mapped = None if pairs or wait is None else _mapped(submission, method, loop.target)
    if mapped is not None and wait is not None and _waits_plainly(wait, method):
        extended = _extended(body, item, method, loop.iter, mapped)
        if extended is not None:
            new_line = extended.with_changes(leading_lines=loop.leading_lines)
            lost = lost_comments([loop], [new_line])
            new_line = new_line.with_changes(leading_lines=[*new_line.leading_lines, *lost])
            return cst.FlattenSentinel([new_line])
    element: cst.BaseExpression = submission
    collected_target: cst.BaseExpression = cst.Name(item)
    if pairs:
        element = parse_template_expression(
            "({target}, {submission})", target=_parenthesized(loop.target), submission=submission
        )
        collected_target = parse_template_expression(
            "{target}, {item}", target=_parenthesized(loop.target), item=cst.Name(item)
        )
    submit_all = parse_template_statement(
        "{listed} = [{element} for {target} in {iterable}]\n",
        listed=cst.Name(listed),
        element=element,
        target=loop.target,
        iterable=loop.iter,
    )
    collect = loop.with_changes(
        target=collected_target, iter=cst.Name(listed), body=loop.body.with_changes(body=body)
    )
    collect = collect.with_changes(leading_lines=[])
    lost = lost_comments([loop], [submit_all, collect])
    submit_all = submit_all.with_changes(leading_lines=[*loop.leading_lines, *lost])
    return cst.FlattenSentinel([submit_all, collect])


def _first_wait(body: Sequence[cst.BaseStatement], item: str, method: str) -> cst.Call | None:
    """The first ``item.result()`` (or ``.get()``) in the body, in source order."""
    for statement in body:
        for node in walk(statement):
            if (
                isinstance(node, cst.Call)
                and isinstance(node.func, cst.Attribute)
                and isinstance(node.func.value, cst.Name)
                and node.func.value.value == item
                and node.func.attr.value in _WAITS[method]
            ):
                return node
    return None


def _extended(
    body: Sequence[cst.BaseStatement],
    item: str,
    method: str,
    iterable: cst.BaseExpression,
    mapped: _Mapped,
) -> cst.SimpleStatementLine | None:
    """``acc.extend(pool.map(f, xs))`` when the body only appends each waited result."""
    if len(body) != 1 or not isinstance(body[0], cst.SimpleStatementLine):
        return None
    line = body[0]
    statement = line.body[0] if len(line.body) == 1 else None
    call = statement.value if isinstance(statement, cst.Expr) else None
    if not (
        isinstance(call, cst.Call)
        and isinstance(call.func, cst.Attribute)
        and call.func.attr.value == "append"
        and isinstance(call.func.value, cst.Name)
        and len(call.args) == 1
        and not call.args[0].star
        and call.args[0].keyword is None
    ):
        return None
    expected = cst.Call(cst.Attribute(cst.Name(item), cst.Name(_WAIT[method])))
    if not call.args[0].value.deep_equals(expected):
        return None
    accumulator = call.func.value.value
    if accumulator in names_read(iterable) | names_read(mapped.function) | {item}:
        return None
    extend = call.with_changes(
        func=call.func.with_changes(attr=cst.Name("extend")),
        args=[cst.Arg(_map_call(mapped, iterable))],
    )
    if not isinstance(statement, cst.Expr):
        raise RewriteError("unexpected code shape: `statement` is not an Expr")
    return line.with_changes(body=[statement.with_changes(value=extend)])


def _replaced_in(node: cst.CSTNode, replacements: dict[cst.CSTNode, cst.CSTNode]) -> object:
    """``node`` with some of its descendants replaced (identity, not equality)."""
    for old, new in replacements.items():
        node = node.deep_replace(old, new)  # type: ignore[assignment]
    return node


# --- a comprehension -----------------------------------------------------------------------


def _collect_comprehension(
    parsed: ParsedModule, call: cst.Call, comprehension: cst.CSTNode
) -> dict[cst.CSTNode, object]:
    if not isinstance(comprehension, _COMPREHENSIONS):
        raise RewriteError("unexpected code shape: `comprehension` is not a comprehension")
    method = _method(call) or ""
    clause = comprehension.for_in
    if clause.asynchronous is not None or clause.inner_for_in is not None:
        raise RewriteError("the comprehension is async or has several for clauses")
    if isinstance(comprehension, cst.GeneratorExp) and not _consumed_at_once(parsed, comprehension):
        raise RewriteError("a generator expression not consumed at once runs its items lazily")
    parts = (
        ("key", "value") if isinstance(comprehension, cst.DictComp) else ("elt",)
    )  # fmt: skip
    part = next((p for p in parts if any(n is call for n in walk(getattr(comprehension, p)))), None)
    if part is None:
        raise RewriteError("the submission is not in the comprehension's element")
    wait = _wait_of(parsed, call, method)
    if wait is None:
        raise RewriteError("the result is not waited for where it is submitted")
    element = getattr(comprehension, part)
    if wait is not element:
        _require_unconditional(parsed, wait, element)
    targets = _target_names(clause.target)
    submission = _submitting(call, method)
    reason = _late_binding_reason(submission, targets)
    if reason is not None:
        raise RewriteError(reason)
    item = _fresh_pair(parsed, method)[1]
    mapped = _mapped(submission, method, clause.target)
    collector = _COLLECTORS.get(type(comprehension))
    if (
        mapped is not None
        and wait is element
        and _waits_plainly(wait, method)
        and not clause.ifs
        and (collector is not None or isinstance(comprehension, cst.GeneratorExp))
        and not (collector is not None and parsed.rebinds(collector))
    ):
        mapping = _map_call(mapped, clause.iter)
        if collector is None:
            return _with_lost_comments(parsed, comprehension, mapping)
        collected = parse_template_expression(
            "{collector}({mapping})", collector=cst.Name(collector), mapping=mapping
        )
        return _with_lost_comments(
            parsed, comprehension, collected.with_changes(lpar=comprehension.lpar)
        )
    new_parts = {
        p: _replaced_in(getattr(comprehension, p), {wait: _waiting_on(item, wait, method)})
        for p in parts
    }
    pairs = any(targets & names_read(new_parts[p]) for p in parts)  # type: ignore[arg-type]
    inner_element: cst.BaseExpression = submission
    outer_target: cst.BaseExpression = cst.Name(item)
    if pairs:
        inner_element = parse_template_expression(
            "({target}, {submission})", target=_parenthesized(clause.target), submission=submission
        )
        outer_target = parse_template_expression(
            "{target}, {item}", target=_parenthesized(clause.target), item=cst.Name(item)
        )
    inner = parse_template_expression(
        "[{element} for {target} in {iterable}]",
        element=inner_element,
        target=clause.target,
        iterable=clause.iter,
    )
    if not isinstance(inner, cst.ListComp):
        raise RewriteError("unexpected code shape: `inner` is not a ListComp")
    inner = inner.with_changes(for_in=inner.for_in.with_changes(ifs=clause.ifs))
    outer_clause = clause.with_changes(target=outer_target, iter=inner, ifs=())
    return _with_lost_comments(
        parsed, comprehension, comprehension.with_changes(for_in=outer_clause, **new_parts)
    )


def _consumed_at_once(parsed: ParsedModule, generator: cst.GeneratorExp) -> bool:
    """``sum(f(x) for x in xs)``: the sole argument of a call, read as soon as it is made."""
    argument = parsed.parent(generator)
    call = parsed.parent(argument) if argument is not None else None
    return isinstance(argument, cst.Arg) and isinstance(call, cst.Call) and len(call.args) == 1


def _with_lost_comments(
    parsed: ParsedModule, old: cst.CSTNode, new: cst.CSTNode
) -> dict[cst.CSTNode, object]:
    """Replace ``old`` by ``new``; comments the new expression dropped go above its statement."""
    lost = lost_comments([old], [new])
    if not lost:
        return {old: new}
    statement = next(
        a
        for a in parsed.ancestors(old)
        if isinstance(a, cst.SimpleStatementLine | cst.BaseCompoundStatement)
    )

    def add_comments(updated: cst.CSTNode) -> cst.CSTNode:
        return updated.with_changes(leading_lines=[*updated.leading_lines, *lost])  # type: ignore[attr-defined]

    return {old: new, statement: add_comments}


# --- threads and processes started and joined in one iteration ------------------------------


def _start_all_then_join(
    parsed: ParsedModule, call: cst.Call, loop: cst.For
) -> cst.FlattenSentinel:
    assign = parsed.parent(call)
    line = parsed.parent(assign) if assign is not None else None
    if not (
        isinstance(assign, cst.Assign)
        and len(assign.targets) == 1
        and isinstance(assign.targets[0].target, cst.Name)
        and isinstance(line, cst.SimpleStatementLine)
        and len(line.body) == 1
    ):
        raise RewriteError("the thread is not assigned to a name on its own line")
    statements = _require_plain_loop(loop, with_continue=True)
    if not any(s is line for s in statements):
        raise RewriteError("the thread is not created directly in the loop body")
    name = assign.targets[0].target.value
    join = statements[-1]
    if not _is_method_statement(join, name, "join"):
        raise RewriteError(f"`{name}.join()` is not the last statement of the loop body")
    index = next(i for i, s in enumerate(statements) if s is line)
    starts = [s for s in statements[index + 1 : -1] if _is_method_statement(s, name, "start")]
    if len(starts) != 1:
        raise RewriteError(f"`{name}.start()` is not called once in the loop body")
    others = [s for s in statements if s is not line and s is not join and s is not starts[0]]
    if any(name in names_read(s) for s in others):
        raise RewriteError(f"the {name!r} object is used other than to be started and joined")
    kind = "processes" if _is_process(parsed, call) else "threads"
    listed = fresh_name(kind, parsed.identifiers)
    started = parse_template_statement("{listed} = []\n", listed=cst.Name(listed))
    started = started.with_changes(leading_lines=loop.leading_lines)
    keep = parse_template_statement(
        "{listed}.append({name})\n", listed=cst.Name(listed), name=cst.Name(name)
    )
    start_all = loop.with_changes(
        body=loop.body.with_changes(body=[*statements[:-1], keep]), leading_lines=[]
    )
    join_all = parse_template_statement(
        "for {name} in {listed}:\n    pass\n", name=cst.Name(name), listed=cst.Name(listed)
    )
    if not isinstance(join_all, cst.For):
        raise RewriteError("unexpected code shape: `join_all` is not a For")
    if not isinstance(join_all.body, cst.IndentedBlock):
        raise RewriteError("unexpected code shape: `join_all.body` is not an IndentedBlock")
    join_all = join_all.with_changes(body=join_all.body.with_changes(body=[join]))
    return cst.FlattenSentinel([started, start_all, join_all])


def _is_process(parsed: ParsedModule, call: cst.Call) -> bool:
    return bool(parsed.qualified_names(call.func) & PROCESSES) or _method(call) == "Process"


def _is_method_statement(statement: cst.CSTNode, name: str, method: str) -> bool:
    """``name.method()`` alone on its line."""
    if not isinstance(statement, cst.SimpleStatementLine) or len(statement.body) != 1:
        return False
    expression = statement.body[0]
    expected = cst.Call(cst.Attribute(cst.Name(name), cst.Name(method)))
    return isinstance(expression, cst.Expr) and expression.value.deep_equals(expected)
