"""Loop fission: the statements at the end of a loop body that can stay serial, in order, while
the work before them runs in a pool.

A real loop seldom ends with one ``acc.append(v)``: it prints what it fetched, logs, counts, or
collects into several results. An expert splits such a loop in two: the independent blocking
work runs in the pool and returns what the rest needs, then a serial loop over the results, in
the original order, prints and collects. The output is byte-identical because every statement
of the tail runs exactly as before, serially and in order; what moves is only that later
items' work may happen before an earlier item's tail. That is invisible when the work cannot see
what the tail does, so the tail is held to statements whose only effects are ones the work does
not read: ordered output (``print``, a logger, ``sys.stdout.write``), accumulation into names
the work never mentions (``acc.append(v)``, ``n += 1``, ``d[k] = v``, ``best = v``, a group's
``d[k].append(v)``), and ``if`` blocks of those, with arguments and tests that call nothing but
pure builtins and methods.

Both the analysis (which judges only the work as concurrent) and the rewrite ask here.
"""

from __future__ import annotations

import ast
from collections.abc import Sequence
from dataclasses import dataclass

from advisor.syntax.bindings import bound_in, bound_names, dotted_name
from advisor.syntax.item_flow import ACCUMULATING_METHODS, filtered_body, loop_accumulator

__all__ = ["SerialTail", "serial_tail", "writes_output"]

# Names a logger usually has; `logging.info(...)` and `logging.getLogger(...).info(...)` too.
_LOGGER_NAMES = frozenset({"logging", "logger", "log", "LOGGER", "LOG", "_log", "_logger"})
_LOG_METHODS = frozenset(
    {"debug", "info", "warning", "warn", "error", "exception", "critical", "log"}
)
_STREAM_WRITES = frozenset({"sys.stdout.write", "sys.stderr.write"})
# Methods that write in order to what a name holds: an open file, a csv writer. In the tail they
# run serially and in order, as before; the name then counts as written, so the work must not
# mention it (a child process given `stdout=f` writes to it too).
_WRITE_METHODS = frozenset({"write", "writelines", "writerow", "writerows"})
# Builtins that only compute a value from their arguments.
_PURE_BUILTINS = frozenset(
    {"len", "str", "repr", "int", "float", "bool", "round", "abs", "format", "min", "max",
     "sum", "sorted", "tuple", "list", "hex", "bin", "oct", "chr", "ord", "isinstance", "bytes",
     "divmod", "ascii", "type", "id", "hash"}
)  # fmt: skip
# Methods of strings, bytes and mappings that only read their receiver.
_PURE_METHODS = frozenset(
    {"format", "strip", "lstrip", "rstrip", "upper", "lower", "title", "capitalize", "join",
     "split", "rsplit", "splitlines", "replace", "decode", "encode", "startswith", "endswith",
     "keys", "values", "items", "hexdigest", "count", "index", "find", "zfill", "ljust",
     "rjust", "center", "partition", "rpartition", "casefold", "isdigit", "isalpha", "copy",
     "removeprefix", "removesuffix", "isoformat", "strftime", "total_seconds"}
)  # fmt: skip


@dataclass(frozen=True, slots=True)
class SerialTail:
    """A loop body split in two: ``work`` (its first ``work_length`` statements after the
    filter) runs in the pool and returns ``returned``; ``tail`` runs serially over the results,
    in order. ``written``: the names the tail changes (they stay in the caller's scope)."""

    work: tuple[ast.stmt, ...]
    tail: tuple[ast.stmt, ...]
    returned: tuple[str, ...]
    written: frozenset[str]
    # output before the work (``print(f"Downloading {url}")``), asked for with ``head=True``:
    # it stays serial too, each item's run just before its result is taken, so its output comes
    # before the item's failure as it did; the serial loop then binds the item itself, and
    # ``returned`` holds only the work's names
    head: tuple[ast.stmt, ...] = ()


def serial_tail(loop: ast.For, *, head: bool = False) -> SerialTail | None:
    """The split of ``loop`` into pooled work and a serial tail, when it has one: at least one
    statement of work, and a tail the work does not read (an empty tail: a body of effects
    only, whose results are consumed in order so exceptions surface). None for a loop with
    nothing to split, for the plain forms (the body ends with its one collecting statement),
    and for a loop whose body is one ``if`` block (its filter goes in front of the pool).

    ``head``: also keep the output statements that open the body serial (the thread and process
    pool rewrites can: they take each result after its item's head has run; a gather cannot, it
    raises before any output), when the loop variable is one name and the head reads nothing
    the work binds."""
    if head:
        split = _with_head(loop)
        if split is not None:
            return split
    return _split(loop, 0)


def _with_head(loop: ast.For) -> SerialTail | None:
    if not _names_only(loop.target):
        return None
    body = filtered_body(loop)
    # What the head's output needs, computed from the item alone, opens the head and the work
    # alike, each needs the names: `for item in pairs: k, v = item` (a tuple target made one
    # name, by the rewrite) and pure assignments (`name = url.split("/")[-1]`). Pure, so running
    # them twice changes nothing.
    shared = 0
    while shared < len(body) and _shared_statement(body[shared], loop.target):
        shared += 1
    lead = shared
    while lead < len(body) and _output_statement(body[lead]):
        lead += 1
    if lead == shared:
        return None
    split = _split(loop, lead, shared)
    if split is None or (not split.tail and loop_accumulator(loop) is not None):
        return None  # `print(u); out.append(fetch(u))`: the collecting would go to the pool
    read = {n.id for s in split.head for n in ast.walk(s) if isinstance(n, ast.Name)}
    return None if read & bound_in(split.work[shared:]) else split


def _names_only(target: ast.expr) -> bool:
    if isinstance(target, ast.Name):
        return True
    if isinstance(target, ast.Tuple | ast.List):
        return bool(target.elts) and all(_names_only(e) for e in target.elts)
    return False


def _shared_statement(statement: ast.stmt, target: ast.expr) -> bool:
    """The item unpacked, or a name computed from it by a pure expression."""
    if _unpacks(statement, target):
        return True
    return (
        isinstance(statement, ast.Assign)
        and len(statement.targets) == 1
        and isinstance(statement.targets[0], ast.Name)
        and _pure(statement.value)
    )


def _unpacks(statement: ast.stmt, target: ast.expr) -> bool:
    """``k, v = item`` where ``item`` is the loop variable."""
    return (
        isinstance(target, ast.Name)
        and isinstance(statement, ast.Assign)
        and len(statement.targets) == 1
        and isinstance(statement.targets[0], ast.Tuple | ast.List)
        and _names_only(statement.targets[0])
        and isinstance(statement.value, ast.Name)
        and statement.value.id == target.id
    )


def _output_statement(statement: ast.stmt) -> bool:
    """``print(...)``, a logger's call or a standard stream's write, with pure arguments."""
    return (
        isinstance(statement, ast.Expr)
        and isinstance(statement.value, ast.Call)
        and _output(statement.value)
        and _pure_arguments(statement.value)
    )


def _split(loop: ast.For, lead: int, unpack: int = 0) -> SerialTail | None:
    """The split after the first ``lead`` statements of the (filtered) body, a serial head
    whose first ``unpack`` statements (the item unpacked) open the work too."""
    body = filtered_body(loop)
    # a filter stays serial in front of the pool: `if COND: continue` first, or `if COND:` as
    # the whole body (its block is then split as a body would be)
    condition = loop.body[0].test if body is not loop.body else None  # type: ignore[attr-defined]
    start = len(body)
    while start > lead and _tail_statement(body[start - 1]):
        start -= 1
    # `size = len(page)` right after the work: computing is the work's, in parallel; once the
    # tail has printed, a fresh name (`checksum = sum(page) % 256` between two prints) stays in
    # the tail, serial and pure, so the output around it stays in order
    while start < len(body) and _computes_a_fresh_name(body[start], body[start:]):
        start += 1
    own, tail = list(body[lead:start]), list(body[start:])
    work = [*body[:unpack], *own]
    if not own or (not lead and len(tail) <= 1 and loop_accumulator(loop) is not None):
        return None  # nothing to split, or the one collecting statement of the plain forms
    written = _written(tail)
    target = bound_names(loop.target)
    unpacked = {name for s in body[:unpack] if _unpacks(s, loop.target) for name in bound_in([s])}
    item = target | unpacked
    if not item & {n.id for node in own for n in ast.walk(node) if isinstance(n, ast.Name)}:
        return None  # the same work repeated (polling, pacing, retries): not independent items
    # the work with its filter, and the iterable: what runs ahead of the tail once split
    ahead = [loop.iter, *([condition] if condition is not None else []), *work]
    worked = {n.id for node in ahead for n in ast.walk(node) if isinstance(n, ast.Name)}
    if written & (worked | target):
        return None  # the tail feeds the work (or rebinds the item): it cannot lag behind it
    bound = bound_in(own) | (set() if lead else target)  # a head's serial loop binds the item
    # a name computed before the head that the work uses may be changed by it (`parts.append`):
    # the tail takes the work's, as it did, not the serial loop's fresh one
    mentioned = {n.id for node in own for n in ast.walk(node) if isinstance(n, ast.Name)}
    bound |= (bound_in(body[:unpack]) - unpacked) & mentioned
    reads = sorted(
        (name.id not in item, name.lineno, name.col_offset, name.id)
        for node in tail
        for name in ast.walk(node)
        if isinstance(name, ast.Name) and isinstance(name.ctx, ast.Load) and name.id in bound
    )  # the item first, then the work's names in the order the tail reads them
    returned = tuple(dict.fromkeys(name for *_, name in reads))
    return SerialTail(
        tuple(work), tuple(tail), returned, frozenset(written), head=tuple(body[:lead])
    )


def _written(tail: Sequence[ast.stmt]) -> set[str]:
    """The names the tail's statements change: assigned, augmented, or accumulated into."""
    written = bound_in(tail)
    for node in ast.walk(ast.Module(body=list(tail), type_ignores=[])):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            receiver = node.func.value
            if node.func.attr in _WRITE_METHODS and isinstance(receiver, ast.Name):
                written.add(receiver.id)
            root = _accumulator_root(receiver)
            if node.func.attr in ACCUMULATING_METHODS and root is not None:
                written.add(root)
        elif (
            isinstance(node, ast.Subscript)
            and isinstance(node.ctx, ast.Store)
            and isinstance(node.value, ast.Name)
        ):
            written.add(node.value.id)
    return written


def _tail_statement(statement: ast.stmt) -> bool:
    if isinstance(statement, ast.Continue | ast.Pass):
        return True  # `if not page: continue` after the work: the serial loop skips the same
    if isinstance(statement, ast.If):
        return (
            _pure(statement.test)
            and all(map(_tail_statement, statement.body))
            and all(map(_tail_statement, statement.orelse))
        )
    if isinstance(statement, ast.Expr) and isinstance(statement.value, ast.Call):
        call = statement.value
        written = _output(call) or _accumulation(call) or _ordered_write(call)
        return written and _pure_arguments(call)
    if isinstance(statement, ast.AugAssign):
        return isinstance(statement.target, ast.Name) and _pure(statement.value)
    if isinstance(statement, ast.Assign) and len(statement.targets) == 1:
        target = statement.targets[0]
        if isinstance(target, ast.Name):  # `longest = steps` under `if steps > longest:`
            return _pure(statement.value)
        return (
            isinstance(target, ast.Subscript)
            and isinstance(target.value, ast.Name)
            and _pure(target.slice)
            and _pure(statement.value)
        )
    return False


def _computes_a_fresh_name(statement: ast.stmt, tail: Sequence[ast.stmt]) -> bool:
    """Does ``statement`` assign a name the tail does not carry from item to item? Only a
    carried one (``if steps > longest: longest = steps``, read before it is set) must stay
    serial; a fresh one (``size = len(page)``, set before it is read) belongs to the work."""
    occurrences = sorted(
        (node.lineno, node.col_offset, node.id, isinstance(node.ctx, ast.Load))
        for part in tail
        for node in ast.walk(part)
        if isinstance(node, ast.Name)
    )
    first_is_read: dict[str, bool] = {}
    for _line, _column, name, read in occurrences:
        first_is_read.setdefault(name, read)
    assigned = {
        target.id
        for node in ast.walk(statement)
        if isinstance(node, ast.Assign)
        for target in node.targets
        if isinstance(target, ast.Name)
    }
    return any(not first_is_read.get(name, False) for name in assigned)


def writes_output(statements: Sequence[ast.stmt]) -> bool:
    """Does a tail print, log, or write to a standard stream, a file or a csv writer?"""
    return any(
        isinstance(node, ast.Call) and (_output(node) or _ordered_write(node))
        for statement in statements
        for node in ast.walk(statement)
    )


def _output(call: ast.Call) -> bool:
    name = dotted_name(call.func)
    if name == "print" or name in _STREAM_WRITES:
        return True
    func = call.func
    if not isinstance(func, ast.Attribute) or func.attr not in _LOG_METHODS:
        return False
    receiver = func.value
    if isinstance(receiver, ast.Name):
        return receiver.id in _LOGGER_NAMES
    return (  # logging.getLogger(...).info(...)
        isinstance(receiver, ast.Call)
        and dotted_name(receiver.func) == "logging.getLogger"
        and _pure_arguments(receiver)
    )


def _ordered_write(call: ast.Call) -> bool:
    """``out.write(line)``, ``writer.writerow(row)``: a write to what a name holds."""
    func = call.func
    return (
        isinstance(func, ast.Attribute)
        and func.attr in _WRITE_METHODS
        and isinstance(func.value, ast.Name)
    )


def _accumulation(call: ast.Call) -> bool:
    """``acc.append(v)``, or into a group of a dict: ``groups[key].append(v)``,
    ``groups.setdefault(key, []).append(v)``."""
    func = call.func
    return (
        isinstance(func, ast.Attribute)
        and func.attr in ACCUMULATING_METHODS
        and _accumulator_root(func.value) is not None
    )


def _accumulator_root(receiver: ast.expr) -> str | None:
    """The name a tail accumulates into through ``receiver``: ``acc``, ``groups[key]`` or
    ``groups.setdefault(key, [])`` (key and default pure); None for anything else."""
    if isinstance(receiver, ast.Name):
        return receiver.id
    if isinstance(receiver, ast.Subscript) and isinstance(receiver.value, ast.Name):
        return receiver.value.id if _pure(receiver.slice) else None
    if (
        isinstance(receiver, ast.Call)
        and isinstance(receiver.func, ast.Attribute)
        and receiver.func.attr == "setdefault"
        and isinstance(receiver.func.value, ast.Name)
        and not receiver.keywords
        and _pure_arguments(receiver)
    ):
        return receiver.func.value.id
    return None


def _pure_arguments(call: ast.Call) -> bool:
    return all(_pure(a) for a in call.args) and all(_pure(k.value) for k in call.keywords)


def _pure(expression: ast.expr) -> bool:
    """Does evaluating ``expression`` only compute (no call but pure builtins and methods, no
    assignment, await or yield)?"""
    for node in ast.walk(expression):
        if isinstance(node, (ast.NamedExpr, ast.Await, ast.Yield, ast.YieldFrom, ast.Lambda)):
            return False
        if isinstance(node, (ast.ListComp, ast.SetComp, ast.DictComp, ast.GeneratorExp)):
            return False
        if isinstance(node, ast.Call) and not _pure_call(node):
            return False
    return True


def _pure_call(call: ast.Call) -> bool:
    func = call.func
    if isinstance(func, ast.Name):
        return func.id in _PURE_BUILTINS
    return isinstance(func, ast.Attribute) and func.attr in _PURE_METHODS
