"""What CA201 (a Thread per item) and CA202 (a Process per item) share: finding the loop that
makes a worker per item, and why running its items in a pool could behave differently."""

from __future__ import annotations

import ast
from dataclasses import dataclass

from advisor.analysis.effects import Effects
from advisor.analysis.pool_checker import (
    COMPREHENSIONS,
    EnclosingLoop,
    PoolChecker,
    canonical,
    kind_of,
    safety_of,
)
from advisor.analysis.pool_shapes import (
    appended_to,
    assigned_name,
    is_method_call,
    parameter_names,
    read_names,
)
from advisor.model import FixSafety, Kind, Suggestion
from advisor.syntax.bindings import dotted_name, walk_scope

# Process-wide state a fresh process discards at exit but a reused pool worker keeps (CA202).
_PROCESS_STATE = frozenset(
    {"os.chdir", "os.fchdir", "os.putenv", "os.unsetenv", "os.environ.update",
     "os.environ.setdefault", "os.environ.pop", "os.environ.clear", "os.setsid", "os.setpgrp",
     "os.nice", "os.umask", "os.setuid", "os.setgid", "signal.signal", "sys.setrecursionlimit",
     "sys.path.append", "sys.path.insert", "resource.setrlimit"}
)  # fmt: skip
# Methods by which a thread's target waits on, or signals, other threads: argument-free forms of
# ambiguous names only (`q.get()` is a queue, `d.get(k)` a dict).
_SYNC_METHODS = frozenset(
    {"wait", "wait_for", "acquire", "release", "put", "put_nowait", "get_nowait", "task_done",
     "notify", "notify_all", "abort"}
)  # fmt: skip
_SYNC_IF_NO_ARGUMENTS = frozenset({"get", "set", "join"})


@dataclass(frozen=True, slots=True)
class WorkerPerItem:
    """A worker made and started for every item of ``loop``, and what a pool fix would risk."""

    loop: EnclosingLoop
    kind: Kind  # what the target does
    fix_safety: FixSafety
    reasons: tuple[str, ...]
    # every doubt is one a verified run settles: `profile --apply` tries the fix
    run_checkable: bool = False


def worker_per_item(
    checker: PoolChecker, call: ast.Call, kind: str, *, subclass: bool
) -> WorkerPerItem | None:
    """``call`` makes a Thread or Process (``kind``) that is started for every item of a loop
    over data (not a fixed count): the loop and why a pool would differ; None otherwise (and
    when the same iteration also joins it, which is CA205's)."""
    if not checker.loops:
        return None
    loop = checker.loops[-1]
    parent = checker.parents[-1]
    grand = checker.parents[-2] if len(checker.parents) > 1 else None
    started = is_method_call(parent, grand, ("start",))
    collection = appended_to(parent, call)
    if collection is None and parent is loop.node and isinstance(loop.node, COMPREHENSIONS):
        collection = assigned_name(checker.parents[loop.depth - 1], loop.node)
    _name, uses = checker.worker_uses(call)
    if uses.called("start") and uses.called("join"):
        return None  # started and joined in one iteration: CA205
    collection = collection or uses.appended_to
    started = started or uses.called("start")
    lists = checker.collections()
    if not started and collection not in lists.started:
        return None  # never started where we can see: no thread runs here
    per_item = _per_item_loop(checker, call)
    if per_item is None:
        return None
    target_reasons, effects, target = _target_reasons(checker, call, kind, subclass=subclass)
    doubts = checker.loop_doubts(per_item)
    if kind == "thread" and target is not None:
        # the target's items already run concurrently, all at once: a pool runs them with
        # fewer at a time, an interleaving the threads could already have had. What the
        # target does to what they share is no new doubt; items waiting on each other
        # (_synchronisation) and thread identity (_thread_identity) are.
        doubts = [d for d in doubts if d.by != target.name]
        target_reasons += _thread_identity(checker, target)
    reasons = [d.reason for d in doubts if not d.checkable] + target_reasons
    checkable = [d.reason for d in doubts if d.checkable]
    noun, nouns = kind, f"{kind}{'es' if kind == 'process' else 's'}"
    if uses.other:
        reasons.append(f"the {noun} object is used other than to be started and joined")
    if collection is not None and collection in lists.other:
        reasons.append(f"`{collection}` is used other than to start and join the {nouns}")
    if collection not in lists.joined:
        reasons.append(
            f"the {nouns} are not joined here: the caller goes on while they run, and a "
            "pool's `map` would make it wait"
        )
    for keyword in call.keywords:
        if keyword.arg not in ("target", "args", "kwargs"):
            setting = f"`{keyword.arg}=`" if keyword.arg else "`**` arguments"
            reasons.append(f"each {noun} is created with {setting}, which pool workers lack")
    # Always true, so the fix is never safe: a bare worker reports its exception and the
    # others go on, a pool raises it in the caller. Loud either way: a run that raises shows it.
    checkable.append(
        f"an exception in the target, which a bare {kind} reports while the others go on, "
        "is raised by the pool in the caller"
    )
    _safety, why = safety_of([*reasons, *checkable])
    # threads only: a process pool's reused workers keep what a fresh process would discard,
    # which no run is sure to show
    run_checkable = kind == "thread" and not reasons
    return WorkerPerItem(per_item, kind_of(effects), "unsafe", why, run_checkable)


def report_worker_per_item(
    checker: PoolChecker,
    call: ast.Call,
    kind: str,
    *,
    subclass: bool,
    rule: str,
    suggestion: Suggestion,
    advice: str,
) -> None:
    """``rule``'s finding when ``call`` makes a ``kind`` worker per item: "`Thread(...)` starts
    a new thread for every item of the loop at line 9<advice>"."""
    found = worker_per_item(checker, call, kind, subclass=subclass)
    if found is None:
        return
    checker.add(
        rule,
        call,
        f"`{checker.text(call.func)}(...)` starts a new {kind} for every item of "
        f"{found.loop.phrase}{advice}",
        kind=found.kind,
        suggestion=suggestion,
        fix_safety=found.fix_safety,
        reasons=found.reasons,
        run_checkable=True if found.run_checkable else None,
    )


def _per_item_loop(checker: PoolChecker, call: ast.Call) -> EnclosingLoop | None:
    """The loop that makes a new worker per item: the innermost one not over a fixed count;
    none when a `while` loop comes first (a server's accept loop is not a list of items).

    ``for _ in range(n)`` whose workers take nothing from the loop makes ``n`` identical
    workers (a hand-made pool reading a queue): ``n`` is a worker count, not an item count.
    """
    arguments = read_names([*call.args, *call.keywords])
    for loop in reversed(checker.loops):
        if isinstance(loop.node, ast.While):
            return None
        fixed, _items, over_range = checker.loop_count(loop)
        if fixed or (over_range and not arguments & loop.bound_names()):
            continue
        return loop
    return None


def _target_reasons(
    checker: PoolChecker, call: ast.Call, kind: str, *, subclass: bool
) -> tuple[list[str], Effects | None, ast.FunctionDef | None]:
    """Why running a Thread/Process target in a pool could behave differently; what the
    target does, and the target when it is a function of this module."""
    noun = kind.capitalize()
    target = next((kw.value for kw in call.keywords if kw.arg == "target"), None)
    if target is None and len(call.args) > 1:
        target = call.args[1]
    if subclass:
        return [f"a `{noun}` subclass: its `run()` must first become a function"], None, None
    if target is None:
        return [f"the {kind} has no `target=`"], None, None
    function = checker.module_function(checker.qualify(target))
    if function is None:
        return (
            [
                f"the target `{checker.text(target)}` is not a function of this module: nothing "
                "proves it only uses its arguments and returns a value"
            ],
            None,
            None,
        )
    # what the target does is judged with the loop's per-item work (it runs the target)
    effects = checker.facts.effects.function_effects(function.name)
    reasons = _synchronisation(checker, function)
    if kind == "process":
        reasons += _process_state(checker, function)
    return reasons, effects, function  # type: ignore[return-value]


def _synchronisation(checker: PoolChecker, function: ast.FunctionDef) -> list[str]:
    """Targets that wait on or signal other items can deadlock when fewer run at once."""
    parameters = set(parameter_names(function))
    found: list[str] = []
    for node in walk_scope(function.body):
        if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)):
            continue
        method = node.func.attr
        if method not in _SYNC_METHODS and not (method in _SYNC_IF_NO_ARGUMENTS and not node.args):
            continue
        receiver = dotted_name(node.func.value)
        qualified = canonical(checker.qualify(node.func.value, checker.module) or "")
        shared = qualified.split(".")[0] in ("threading", "queue", "multiprocessing")
        if receiver is not None and (receiver.split(".")[0] in parameters or shared):
            found.append(
                f"`{function.name}()` waits on or signals `{receiver}` (`.{method}()`): "
                "items that wait on each other can deadlock when fewer run at once"
            )
    return found


# What tells one thread from another: a pool's worker runs many items, so what the target keeps
# per thread (a `threading.local()`) or reads of its thread is shared by the items a worker runs.
_THREAD_IDENTITY = frozenset(
    {"threading.local", "threading.current_thread", "threading.get_ident",
     "threading.get_native_id", "threading.currentThread", "_thread.get_ident"}
)  # fmt: skip


def _thread_identity(checker: PoolChecker, function: ast.FunctionDef) -> list[str]:
    """The target's calls that tell its thread, and the module's `threading.local()` objects it
    reads."""
    found: set[str] = set()
    for node in walk_scope(function.body):
        if isinstance(node, ast.Call):
            qualified = checker.qualify(node.func, checker.module)
            if qualified in _THREAD_IDENTITY:
                found.add(qualified)
        elif (
            isinstance(node, ast.Name)
            and checker.qualify(node, checker.module) == "threading.local()"
        ):
            found.add("threading.local")
    calls = sorted(found)
    return [
        f"`{function.name}()` uses its thread's identity (`{c}`): a pool's worker runs many "
        "items in one thread"
        for c in calls
    ]


def _process_state(checker: PoolChecker, function: ast.FunctionDef) -> list[str]:
    calls = sorted(
        {
            qualified
            for node in walk_scope(function.body)
            if isinstance(node, ast.Call)
            and (qualified := checker.qualify(node.func, checker.module)) in _PROCESS_STATE
        }
    )
    return [
        f"`{function.name}()` sets process-wide state (`{c}`) that a fresh process discards "
        "at exit but a reused pool worker keeps"
        for c in calls
    ]
