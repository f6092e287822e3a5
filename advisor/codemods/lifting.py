"""The callable a process pool runs for each item: picklable, so a module-level function.

A process receives the function by reference (its module and name) and every argument by value.
So the per-item work is either a module-level (or imported, or builtin) function ``F`` when each
item's value is ``F(item)``, or it moves into a new module-level function whose parameters are
the item and, by keyword, every local value the work reads (``functools.partial`` carries them).
A local function, lambda or class cannot be sent; state declared ``global`` or ``nonlocal`` would
not be seen changing; both are refused.
"""

from __future__ import annotations

import ast
import builtins
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

import libcst as cst

from advisor.codemods.item_call import direct_callable, item_function
from advisor.errors import RewriteError
from advisor.syntax.bindings import bound_in, bound_names, declarations, locals_of, reads_of
from advisor.syntax.imports import ImportItem
from advisor.syntax.item_flow import filtered_body
from advisor.syntax.loop_shape import LoopAt
from advisor.syntax.region import render_statements
from advisor.syntax.script_guard import main_guard_branch
from advisor.syntax.serial_tail import serial_tail
from advisor.syntax.source import Source
from advisor.syntax.statements import statements_in

__all__ = ["Lifted", "lift_item_function", "worker_entry_names"]

_DEFINED = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Import, ast.ImportFrom)


@dataclass(frozen=True, slots=True)
class Lifted:
    """What ``executor.map`` is given, and what that needs added to the module."""

    mapped: cst.BaseExpression  # F, the new function, or functools.partial(new, a=a, ...)
    helper_text: str  # source of the new module-level function; "" when F is mapped directly
    entry: frozenset[str]  # module-level names the worker starts from (F, or what the new reads)
    imports: tuple[ImportItem, ...]


@dataclass(frozen=True, slots=True)
class _ModuleBinding:
    definition: bool  # a def, class or import (picklable by reference), not an assignment
    callable_value: bool  # a def, class or lambda: it cannot be passed by value
    on_import: bool  # runs when the module is imported (not under the guard, not moved there)


def _module_bindings(module: Source, moved: Sequence[ast.stmt]) -> dict[str, list[_ModuleBinding]]:
    moved_ids = {id(s) for s in moved}
    walrus = ":=" in module.text  # else no expression binds a name
    found: dict[str, list[_ModuleBinding]] = {}
    for statement in module.tree.body:
        guarded = id(statement) in moved_ids or (
            isinstance(statement, ast.If) and main_guard_branch(statement.test) is not None
        )
        if _is_plain_assignment(statement) and not walrus:
            # A big module is mostly `NAME = value` lines: no walk for those.
            if not isinstance(statement, ast.Assign):
                raise RewriteError("unexpected code shape: `statement` is not an Assign")
            is_lambda = isinstance(statement.value, ast.Lambda)
            for target in statement.targets:
                binding = _ModuleBinding(False, is_lambda, not guarded)
                found.setdefault(target.id, []).append(binding)  # type: ignore[attr-defined]
            continue
        definition = isinstance(statement, _DEFINED)
        callables = _callables([statement])
        for name in bound_in([statement]):
            binding = _ModuleBinding(definition, name in callables, not guarded)
            found.setdefault(name, []).append(binding)
    return found


def _is_plain_assignment(statement: ast.stmt) -> bool:
    return isinstance(statement, ast.Assign) and all(
        isinstance(t, ast.Name) for t in statement.targets
    )


def _callables(statements: Sequence[ast.stmt]) -> set[str]:
    """Names the statements bind to a function, class or lambda (in their own scope)."""
    names: set[str] = set()
    for node in statements_in(statements):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            names.add(node.name)
        elif isinstance(node, ast.Assign) and isinstance(node.value, ast.Lambda):
            names |= {t.id for t in node.targets if isinstance(t, ast.Name)}
    return names


def _globally_declared(module: Source) -> set[str]:
    """Names some function of the module declares ``global``: the parent may have changed them
    since the import a worker sees."""
    if not re.search(r"\bglobal\b", module.text):
        return set()
    return {
        name
        for node in statements_in(module.tree.body, into_definitions=True)
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
        for name, keyword in declarations(node).items()
        if keyword == "global"
    }


def _item_work(at: LoopAt) -> tuple[list[ast.stmt], list[ast.expr], set[str]]:
    """The per-item work in ``ast``: the statements before the last one, the expressions whose
    value each item contributes, and the names the item binds (its loop variables: ``k, v``
    of ``for k, v in pairs``, which the item function unpacks from its one argument)."""
    node = at.located.node
    if isinstance(node, ast.For):
        item_names = bound_names(node.target) | {at.shape.target}
        if at.shape.form == "for_tail":
            split = serial_tail(node, head=True)  # the work goes to the workers; the rest stays
            if split is None:
                raise RewriteError("unexpected code shape: no serial tail")
            return list(split.work), [], item_names
        body = filtered_body(node)  # a filter stays in the parent, serial
        entered: list[ast.expr] = []
        if at.shape.wrapper is not None and len(body) == 1 and isinstance(body[0], ast.With):
            # the whole body is a `with` block the item function enters: what its items read
            # goes to the worker too, and what they bind (`as f`) is the worker's own
            block = body[0]
            entered = [item.context_expr for item in block.items]
            for item in block.items:
                if item.optional_vars is not None:
                    item_names |= bound_names(item.optional_vars)
            body = block.body
        *prelude, last = body
        if isinstance(last, ast.Expr) and isinstance(last.value, ast.Call):
            return prelude, [*entered, *last.value.args], item_names
        if not isinstance(last, ast.Assign | ast.AugAssign):
            raise RewriteError("unexpected code shape: `last` is not an Assign or AugAssign")
        return prelude, [*entered, last.value], item_names
    comprehension = next(n for n in ast.walk(node) if isinstance(n, ast.ListComp | ast.DictComp))
    if isinstance(comprehension, ast.DictComp):
        return [], [comprehension.key, comprehension.value], {at.shape.target}
    return [], [comprehension.elt], {at.shape.target}


def lift_item_function(
    module: Source,
    at: LoopAt,
    *,
    helper_name: Callable[[], str],
    moved: Sequence[ast.stmt],
    rebinds: Callable[[str], bool],
) -> Lifted | str:
    """The picklable callable for the loop's items, or why there is none. ``moved``: the
    statements the rewrite puts under the ``__main__`` guard (a worker does not run them);
    ``rebinds(name)``: does the module bind that builtin or module name to something else."""
    shape = at.shape
    bindings = _module_bindings(module, moved)
    scopes = _Scopes(module, at.located.functions, bindings)
    direct = _direct(at, scopes)
    if direct is not None:
        return direct
    prelude, values, item_names = _item_work(at)
    own = bound_in(prelude) | item_names
    passed: list[str] = []
    entry: set[str] = set()
    for name in reads_of([*prelude, *values]):
        if name in own:
            continue
        verdict = scopes.how_to_send(name)
        if verdict == _PASS:
            passed.append(name)
        elif verdict == _GLOBAL:
            entry.add(name)
        elif verdict != _BUILTIN:
            return verdict
    needed = (["functools"] if passed else []) + (["list"] if shape.form == "for_extend" else [])
    for builtin in needed:
        if rebinds(builtin):
            return f"the module binds {builtin} to something else"
    name = helper_name()
    value = None
    if shape.form == "for_extend":
        # `acc.extend(v)` takes any iterable, but only a list of its items can be pickled back.
        value = cst.Call(cst.Name("list"), [cst.Arg(shape.value)])
    helper = item_function(name, shape, passed, value)
    text = render_statements([helper], "", unit=module.indent_unit, newline=module.newline)
    if not passed:
        return Lifted(cst.Name(name), text, frozenset(entry), ())
    return Lifted(_partial(name, passed), text, frozenset(entry), (ImportItem("functools"),))


# How a name the per-item work reads gets to the worker: as a keyword argument, as a global of
# the module the worker imports, or as a builtin. Anything else is the reason it cannot.
_PASS, _GLOBAL, _BUILTIN = "pass", "global", "builtin"


class _Scopes:
    """Where the names the per-item work reads are bound: in the functions around the loop, or
    at module level (on import, or only by the script's main code)."""

    def __init__(
        self,
        module: Source,
        functions: Sequence[ast.FunctionDef | ast.AsyncFunctionDef],
        bindings: dict[str, list[_ModuleBinding]],
    ) -> None:
        self.module = module
        self.functions = [(f, locals_of(f), declarations(f)) for f in functions]
        self.bindings = bindings
        self._declared_global: set[str] | None = None

    def local_owner(self, name: str) -> tuple[ast.FunctionDef | ast.AsyncFunctionDef, str] | None:
        """The innermost function around the loop that binds or declares ``name``, and how
        ("local", "global" or "nonlocal")."""
        for function, own, declared in self.functions:
            if name in declared:
                return function, declared[name]
            if name in own:
                return function, "local"
        return None

    def declared_global(self, name: str) -> bool:
        """Does some function of the module declare ``name`` global (the parent may have changed
        it since the import a worker sees)?"""
        if self._declared_global is None:
            self._declared_global = _globally_declared(self.module)
        return name in self._declared_global

    def how_to_send(self, name: str) -> str:
        owner = self.local_owner(name)
        if owner is not None:
            function, how = owner
            if how != "local":
                return (
                    f"`{name}` is {how} state of `{function.name}()`: a worker process would "
                    "not see it change"
                )
            if name in _callables(function.body):
                return (
                    f"`{name}` is a function defined inside `{function.name}()`: a worker "
                    "process cannot receive it (define it at module level)"
                )
            return _PASS
        found = self.bindings.get(name)
        if found is None:
            return _BUILTIN  # (or a name the module never binds: its own NameError)
        if not all(b.on_import for b in found):
            if any(b.callable_value and not b.on_import for b in found):
                return (
                    f'`{name}` is defined under `if __name__ == "__main__":`, which a worker '
                    "process does not run (define it at module level)"
                )
            return _PASS
        # Pass the value the parent has now, not the one the worker gets on import.
        return _PASS if self.declared_global(name) else _GLOBAL


def _partial(name: str, passed: Sequence[str]) -> cst.Call:
    """``functools.partial(name, a=a, b=b)``."""
    keywords = [
        cst.Arg(
            cst.Name(p),
            keyword=cst.Name(p),
            equal=cst.AssignEqual(cst.SimpleWhitespace(""), cst.SimpleWhitespace("")),
            comma=_comma() if index < len(passed) - 1 else cst.MaybeSentinel.DEFAULT,
        )
        for index, p in enumerate(passed)
    ]
    return cst.Call(
        func=cst.Attribute(cst.Name("functools"), cst.Name("partial")),
        args=[cst.Arg(cst.Name(name), comma=_comma()), *keywords],
    )


def _comma() -> cst.Comma:
    return cst.Comma(whitespace_after=cst.SimpleWhitespace(" "))


def _direct(at: LoopAt, scopes: _Scopes) -> Lifted | None:
    """``F`` itself when each item's value is ``F(item)`` and F is picklable by reference: a
    function, class or import bound only at module level on import, or a builtin."""
    if at.shape.form == "for_extend":
        return None  # its value is an iterable that might not pickle: see lift_item_function
    callable_ = direct_callable(at.shape)
    if callable_ is None:
        return None
    root = callable_
    while isinstance(root, cst.Attribute):
        root = root.value
    if not isinstance(root, cst.Name):
        raise RewriteError("unexpected code shape: `root` is not a Name")
    name = root.value
    if scopes.local_owner(name) is not None:
        return None
    found = scopes.bindings.get(name)
    if found is None:
        if not hasattr(builtins, name):
            return None
    elif not all(b.definition and b.on_import for b in found) or scopes.declared_global(name):
        return None
    return Lifted(callable_, "", frozenset({name}), ())


def worker_entry_names(module: Source, lifted: Lifted) -> list[ast.AST]:
    """The module's functions and classes a worker may run: those the mapped callable names,
    and those they name, transitively."""
    definitions = {
        s.name: s
        for s in module.tree.body
        if isinstance(s, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef)
    }
    seen: set[str] = set()
    queue = [n for n in lifted.entry if n in definitions]
    while queue:
        name = queue.pop()
        if name in seen:
            continue
        seen.add(name)
        queue += [n for n in _names_in([definitions[name]]) if n in definitions]
    return [definitions[n] for n in sorted(seen)]


def _names_in(nodes: Iterable[ast.AST]) -> set[str]:
    return {n.id for node in nodes for n in ast.walk(node) if isinstance(n, ast.Name)}
