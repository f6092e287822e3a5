"""CA207: a task a process pool cannot pickle: a lambda, a function nested in another, or a
bound method of an object holding something pickle refuses (a lock, a connection, a file)."""

from __future__ import annotations

import ast
from dataclasses import dataclass

from advisor.analysis.pool_checker import (
    PICKLING_METHODS,
    POOL_KNOWLEDGE,
    PROCESS_POOLS,
    PoolChecker,
    PoolScope,
    canonical,
    kind_of,
    pool_family,
    safety_of,
)
from advisor.analysis.pool_shapes import decorator_names, scope_body
from advisor.syntax.bindings import walk_scope

RULE = "CA207"

# Objects that pickle refuses (CA207): a bound method of an instance holding one cannot be sent
# to a process pool.
UNPICKLABLE = POOL_KNOWLEDGE.unpicklable
_PICKLE_HOOKS = frozenset({"__getstate__", "__reduce__", "__reduce_ex__"})


@dataclass(frozen=True, slots=True)
class _Task:
    """A callable given to a process pool, and why pickle refuses it."""

    problem: str  # "lambda" | "nested" | "bound"
    described: str  # for the message
    node: ast.AST  # the lambda / def / class
    reasons: tuple[str, ...] = ()


def on_pool_method(checker: PoolChecker, call: ast.Call, pool: str, method: str) -> None:
    if pool not in PROCESS_POOLS or method not in PICKLING_METHODS[pool_family(pool)]:
        return
    given = call.args[0] if call.args else None
    given = given or next((k.value for k in call.keywords if k.arg in ("fn", "func")), None)
    task = _unpicklable_task(checker, checker.unwrap_partial(given))
    if task is None:
        return
    if not isinstance(call.func, ast.Attribute):
        return
    sent = f"`{checker.text(call.func)}`"
    if task.problem == "bound":
        checker.add(
            RULE,
            call,
            f"{sent} sends {task.described} to a process pool, which cannot pickle it: move "
            "the work into a module-level function that takes plain data",
            kind="unknown",
            suggestion="process_pool",
            fix_safety="none",
            reasons=task.reasons,
        )
        return
    body = scope_body(task.node)
    effects = checker.facts.effects.effects_of(body)
    safety, why = safety_of(task.reasons)
    checker.add(
        RULE,
        call,
        f"{sent} sends {task.described} to a process pool, which cannot pickle it: define "
        "it as a function at module level",
        kind=kind_of(effects),
        suggestion="process_pool",
        fix_safety=safety,
        reasons=why,
    )


def _unpicklable_task(checker: PoolChecker, given: ast.expr | None) -> _Task | None:
    if isinstance(given, ast.Lambda):
        return _Task("lambda", "a lambda", given, _free_variables(checker, given, checker.scope))
    if isinstance(given, ast.Name):
        found = checker.single_binding(given.id, checker.scope)
        if found is None:
            return None
        owner, binding = found
        if isinstance(binding, ast.Lambda):
            described = f"`{given.id}`, a lambda,"
            return _Task("lambda", described, binding, _free_variables(checker, binding, owner))
        if (
            isinstance(binding, (ast.FunctionDef, ast.AsyncFunctionDef))
            and owner.kind == "function"
        ):
            outer = getattr(owner.node, "name", "lambda")
            reasons = _free_variables(checker, binding, owner)
            if given.id in checker.module.bindings or given.id in checker.facts.resolver.aliases:
                reasons += (f"a module-level `{given.id}` already exists",)
            if binding.decorator_list:
                reasons += ("it is decorated: the decorator must work at module level too",)
            described = f"`{given.id}`, a function nested in `{outer}()`,"
            return _Task("nested", described, binding, reasons)
        return None
    if isinstance(given, ast.Attribute):
        instance = checker.qualify(given.value)
        cls = checker.module_class(instance)
        if cls is None or not (instance or "").endswith("()"):
            return None  # not an instance of a class of this module
        held = _unpicklable_attribute(checker, cls, set())
        if held is None or _method_kind(checker, cls, given.attr, set()) != "method":
            return None
        attribute, creator = held
        described = (
            f"`{checker.text(given)}`, a bound method of a `{cls.name}` whose `{attribute}` "
            f"holds a `{creator}`,"
        )
        reason = (
            f"no mechanical fix: pickling `{checker.text(given)}` pickles its `{cls.name}` "
            f"instance, and `{creator}` cannot be pickled; split the work from the object"
        )
        return _Task("bound", described, cls, (reason,))
    return None


def _free_variables(checker: PoolChecker, function: ast.AST, where: PoolScope) -> tuple[str, ...]:
    """Reasons: names ``function`` reads from an enclosing function (they must become
    parameters when it moves to module level)."""
    own = PoolScope(function, where, "function")
    name = getattr(function, "name", None)
    free = sorted(
        n.id
        for n in ast.walk(function)
        if isinstance(n, ast.Name)
        and isinstance(n.ctx, ast.Load)
        and n.id not in own.bindings
        and n.id != name
    )
    what = f"`{name}()`" if name else "the lambda"
    reasons = []
    for variable in dict.fromkeys(free):
        owner = checker.owner(variable, where)
        if owner is not None and owner.kind == "function":
            reasons.append(
                f"{what} uses `{variable}` of the enclosing function: it must become a "
                "parameter (passed with `functools.partial`)"
            )
    return tuple(reasons)


def _unpicklable_attribute(
    checker: PoolChecker, cls: ast.ClassDef, seen: set[str]
) -> tuple[str, str] | None:
    """(attribute, creator) of an unpicklable object `__init__` stores on `self`."""
    if cls.name in seen:
        return None
    seen.add(cls.name)
    methods = {
        s.name: s for s in cls.body if isinstance(s, (ast.FunctionDef, ast.AsyncFunctionDef))
    }
    if _PICKLE_HOOKS & methods.keys():
        return None  # the class decides what is pickled
    init = methods.get("__init__")
    if init is not None and init.args.args:
        self_name = init.args.args[0].arg
        scope = PoolScope(init, checker.module, "function")
        for node in walk_scope(init.body):
            if not isinstance(node, (ast.Assign, ast.AnnAssign)) or node.value is None:
                continue
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            for target in targets:
                if not (
                    isinstance(target, ast.Attribute)
                    and isinstance(target.value, ast.Name)
                    and target.value.id == self_name
                ):
                    continue
                created = checker.qualify(node.value, scope) or ""
                creator = canonical(created.removesuffix("()"))
                if created.endswith("()") and creator in UNPICKLABLE:
                    return target.attr, creator
    for base in cls.bases:
        parent = checker.module_class(checker.qualify(base, checker.module))
        if parent is not None and (held := _unpicklable_attribute(checker, parent, seen)):
            return held
    return None


def _method_kind(checker: PoolChecker, cls: ast.ClassDef, name: str, seen: set[str]) -> str | None:
    """ "method", "static" or "class" for a method defined in ``cls`` or its bases here."""
    if cls.name in seen:
        return None
    seen.add(cls.name)
    for statement in cls.body:
        if isinstance(statement, (ast.FunctionDef, ast.AsyncFunctionDef)) and (
            statement.name == name
        ):
            decorators = decorator_names(statement)
            if "staticmethod" in decorators:
                return "static"
            return "class" if "classmethod" in decorators else "method"
    for base in cls.bases:
        parent = checker.module_class(checker.qualify(base, checker.module))
        if parent is not None and (kind := _method_kind(checker, parent, name, seen)):
            return kind
    return None
