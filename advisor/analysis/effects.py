"""What a piece of code does when it runs: blocking calls, ordered output, GIL-releasing native
calls, Python-CPU calls, and writes to shared state.

Facts of same-module functions are followed transitively, so ``for u in urls: fetch(u)`` is known
to block when ``fetch`` calls ``urlopen`` three calls down. Nested definitions and lambdas do
nothing until called, so they are not entered.
"""

from __future__ import annotations

import ast
import dataclasses
from collections.abc import Iterable
from dataclasses import dataclass, field

from advisor.analysis.knowledge import CallKnowledge
from advisor.syntax.bindings import bound_in, dotted_name, parameters, walk_scope
from advisor.syntax.item_flow import MUTATING_METHODS
from advisor.syntax.resolve import NameResolver

FunctionNode = ast.FunctionDef | ast.AsyncFunctionDef


@dataclass(frozen=True, slots=True)
class Effects:
    blocking: frozenset[str] = frozenset()
    output: frozenset[str] = frozenset()
    native: frozenset[str] = frozenset()
    cpu: frozenset[str] = frozenset()
    shared_writes: frozenset[str] = frozenset()

    def __or__(self, other: Effects) -> Effects:
        return Effects(
            self.blocking | other.blocking,
            self.output | other.output,
            self.native | other.native,
            self.cpu | other.cpu,
            self.shared_writes | other.shared_writes,
        )


@dataclass
class EffectAnalyzer:
    """Computes Effects of code in one module, memoising same-module functions."""

    tree: ast.Module
    resolver: NameResolver
    knowledge: CallKnowledge
    functions: dict[str, FunctionNode] = field(default_factory=dict)
    _memo: dict[str, Effects] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for statement in self.tree.body:
            if isinstance(statement, (ast.FunctionDef, ast.AsyncFunctionDef)):
                self.functions[statement.name] = statement

    def function_effects(self, name: str) -> Effects:
        if name in self._memo:
            return self._memo[name]
        self._memo[name] = Effects()  # guards recursion
        function = self.functions[name]
        effects = self._collect(function.body, function)
        self._memo[name] = effects
        return effects

    def effects_of(self, nodes: ast.AST | Iterable[ast.AST]) -> Effects:
        """Effects of running ``nodes`` (a loop body, an expression) in place."""
        return self._collect([nodes] if isinstance(nodes, ast.AST) else nodes, None)

    def classify_call(self, qualified: str) -> Effects:
        k = self.knowledge
        one = frozenset({qualified})
        return Effects(
            blocking=one if k.blocking_io.matches(qualified) else frozenset(),
            output=one if k.ordered_output.matches(qualified) else frozenset(),
            native=one if k.releases_gil.matches(qualified) else frozenset(),
            cpu=one if k.cpu_bound.matches(qualified) else frozenset(),
        )

    def _collect(self, nodes: Iterable[ast.AST], function: FunctionNode | None) -> Effects:
        effects = Effects()
        locals_ = _locals_and_globals(function) if function is not None else None
        params = set(parameters(function.args, packed=False)) if function is not None else set()
        where = f" in `{function.name}()`" if function is not None else ""
        writes: set[str] = set()
        nodes = list(walk_scope(nodes))
        run = _coroutines_run(nodes)
        for node in nodes:
            if isinstance(node, ast.Call):
                if not self._makes_a_coroutine_only(node, run):
                    effects = effects | self._call_effects(node)
                if locals_ is not None:
                    writes |= _mutation_of(node, locals_, params, where)
            elif isinstance(node, ast.Global):
                writes.add(f"writes global `{', '.join(node.names)}`{where}")
            elif isinstance(node, ast.Nonlocal):
                writes.add(f"writes nonlocal `{', '.join(node.names)}`{where}")
            elif locals_ is not None and isinstance(node, (ast.Assign, ast.AugAssign)):
                targets = node.targets if isinstance(node, ast.Assign) else [node.target]
                for target in targets:
                    writes |= _shared_target_write(target, locals_, params, where)
        if writes:
            effects = effects | Effects(shared_writes=frozenset(writes))
        return effects

    def _makes_a_coroutine_only(self, node: ast.Call, run: set[int]) -> bool:
        """Calling a same-module `async def` runs nothing: its body runs when the coroutine is
        awaited or handed to a call (asyncio.run); one made in a generator for `gather` is not
        this code's work."""
        if not isinstance(node.func, ast.Name) or id(node) in run:
            return False
        function = self.functions.get(node.func.id)
        return isinstance(function, ast.AsyncFunctionDef) and (
            self.resolver.qualify(node.func) is None
        )

    def _call_effects(self, node: ast.Call) -> Effects:
        qualified = self.resolver.qualify(node.func)
        if qualified is not None:
            effects = self.classify_call(qualified)
            if (
                effects.native
                and self.knowledge.small_data_keeps_gil.matches(qualified)
                and _visibly_small(_hashed_data(node))
            ):
                return dataclasses.replace(effects, native=frozenset())
            return effects
        if isinstance(node.func, ast.Name) and node.func.id in self.functions:
            return self.function_effects(node.func.id)
        return Effects()


# CPython's HASHLIB_GIL_MINSIZE: hashlib hashes smaller buffers with the GIL held.
_GIL_RELEASE_MIN_BYTES = 2048


def _hashed_data(call: ast.Call) -> ast.expr | None:
    """The data a hashlib call hashes: its `data`/`string` keyword, else its last positional
    argument (`sha256(data)`, `new("sha256", data)`, `h.update(data)`); None when given none."""
    keyword = next((k.value for k in call.keywords if k.arg in ("data", "string")), None)
    if keyword is not None:
        return keyword
    if isinstance(call.func, ast.Attribute) and call.func.attr == "new":
        return call.args[1] if len(call.args) > 1 else None
    return call.args[-1] if call.args else None


def _visibly_small(data: ast.expr | None) -> bool:
    """A literal under the threshold, an f-string or `str(...)` (a key, an id), or `.encode()`
    of one of those. No data is not small: `h = sha256()` is fed by `h.update(...)` later, whose
    receiver is not followed (a local object), so the constructor stands for the hashing."""
    if data is None:
        return False
    if isinstance(data, ast.Constant) and isinstance(data.value, str | bytes):
        return len(data.value) < _GIL_RELEASE_MIN_BYTES
    if isinstance(data, ast.JoinedStr):
        return True
    if isinstance(data, ast.Call) and isinstance(data.func, ast.Name):
        return data.func.id in ("str", "repr") and not data.keywords
    if (
        isinstance(data, ast.Call)
        and isinstance(data.func, ast.Attribute)
        and data.func.attr == "encode"
    ):
        return _visibly_small(data.func.value)
    return False


def _coroutines_run(nodes: list[ast.AST]) -> set[int]:
    """The calls whose coroutine this code runs, as far as it can be seen: awaited, or passed
    directly to another call."""
    run: set[int] = set()
    for node in nodes:
        if isinstance(node, ast.Await) and isinstance(node.value, ast.Call):
            run.add(id(node.value))
        elif isinstance(node, ast.Call):
            run.update(id(arg) for arg in node.args if isinstance(arg, ast.Call))
            run.update(id(k.value) for k in node.keywords if isinstance(k.value, ast.Call))
    return run


def _locals_and_globals(function: FunctionNode) -> set[str]:
    """The names the function binds, its parameters included, whether or not it declares them
    global or nonlocal: a write through a declared one is reported by its declaration."""
    return set(parameters(function.args)) | bound_in(function.body)


def _mutation_of(node: ast.Call, locals_: set[str], params: set[str], where: str) -> set[str]:
    func = node.func
    if not (isinstance(func, ast.Attribute) and func.attr in MUTATING_METHODS):
        return set()
    receiver = dotted_name(func.value)
    if receiver is None:
        return set()
    root = receiver.split(".")[0]
    if root not in locals_ or "." in receiver:
        return {f"mutates `{receiver}`{where}"}
    if root in params:
        return {f"mutates argument `{root}`{where}"}
    return set()


def _shared_target_write(
    target: ast.expr, locals_: set[str], params: set[str], where: str
) -> set[str]:
    if isinstance(target, ast.Attribute):
        return {f"writes `{dotted_name(target) or 'an attribute'}`{where}"}
    if isinstance(target, ast.Subscript):
        base = dotted_name(target.value)
        if base is None or base.split(".")[0] not in locals_ or "." in base:
            return {f"writes into `{base or 'a container'}[...]`{where}"}
        if base in params:
            return {f"writes into argument `{base}`{where}"}
    if isinstance(target, (ast.Tuple, ast.List)):
        out: set[str] = set()
        for element in target.elts:
            out |= _shared_target_write(element, locals_, params, where)
        return out
    return set()
