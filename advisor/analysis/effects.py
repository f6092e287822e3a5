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
from pathlib import Path

from advisor.analysis.knowledge import CallKnowledge
from advisor.analysis.project import ProjectModules
from advisor.syntax.bindings import bound_in, dotted_name, parameters, walk_scope
from advisor.syntax.item_flow import MUTATING_METHODS
from advisor.syntax.resolve import NameResolver
from advisor.syntax.scopes import FunctionScopes

FunctionNode = ast.FunctionDef | ast.AsyncFunctionDef
Enclosing = tuple[FunctionNode, ...]  # the functions around a loop, outermost first


@dataclass(frozen=True, slots=True)
class Effects:
    blocking: frozenset[str] = frozenset()
    output: frozenset[str] = frozenset()
    native: frozenset[str] = frozenset()
    cpu: frozenset[str] = frozenset()
    shared_writes: frozenset[str] = frozenset()
    # what functions of the project's other modules do that concurrent items must not (print,
    # write shared state), said with where: "`helper.fetch()` (helper.py) prints (`print`)"
    elsewhere: frozenset[str] = frozenset()

    def __or__(self, other: Effects) -> Effects:
        return Effects(
            self.blocking | other.blocking,
            self.output | other.output,
            self.native | other.native,
            self.cpu | other.cpu,
            self.shared_writes | other.shared_writes,
            self.elsewhere | other.elsewhere,
        )


@dataclass
class EffectAnalyzer:
    """Computes Effects of code in one module, memoising same-module functions."""

    tree: ast.Module
    resolver: NameResolver
    knowledge: CallKnowledge
    scopes: FunctionScopes
    project: ProjectModules | None = None  # the module's project, to follow calls into
    _memo: dict[str, Effects] = field(default_factory=dict)
    _resolvers: dict[int, NameResolver] = field(default_factory=dict)  # by innermost function

    @property
    def functions(self) -> dict[str, FunctionNode]:
        """The module's own functions, by name."""
        return self.scopes.module.functions

    def function_effects(self, name: str) -> Effects:
        if name in self._memo:
            return self._memo[name]
        self._memo[name] = Effects()  # guards recursion
        function = self.functions[name]
        resolver = self._objects_seen_in((function,))
        made_here = bound_in(function.body)  # its own objects, made on every call
        effects = self._collect(function.body, function, resolver, made_here)
        self._memo[name] = effects
        return effects

    def effects_of(self, nodes: ast.AST | Iterable[ast.AST], within: Enclosing = ()) -> Effects:
        """Effects of running ``nodes`` (a loop body, an expression) in place, inside the
        functions ``within`` (whose locals name objects: ``s.get(url)`` in ``with
        requests.Session() as s``)."""
        nodes = [nodes] if isinstance(nodes, ast.AST) else list(nodes)
        resolver = self._objects_seen_in(within)
        return self._collect(nodes, None, resolver, bound_in(nodes))

    def _objects_seen_in(self, within: Enclosing) -> NameResolver:
        """The module's names, plus the locals and attributes holding an object of a known
        type (objects.toml). Other locals stay unresolved: a local bound to any call's result
        (``q = numpy.linalg.pinv(a)``) would make ``q.item()`` look like numpy.linalg's."""
        if not within:
            return self.resolver
        key = id(within[-1])
        resolver = self._resolvers.get(key)
        if resolver is None:
            scope = self.scopes.of(within).resolver
            known = self.knowledge.object_types
            aliases = self.resolver.aliases | {
                name: kind
                for name, kind in scope.aliases.items()
                if kind in known and name not in self.resolver.aliases
            }
            attributes = {name: k for name, k in scope.attributes.items() if k in known}
            resolver = self._resolvers[key] = NameResolver(
                aliases,
                self.resolver.defined - aliases.keys(),
                attributes,
                self.resolver.made,
                self.resolver.returns,
            )
        return resolver

    def classify_call(self, qualified: str) -> Effects:
        k = self.knowledge
        one = frozenset({qualified})
        return Effects(
            blocking=one if k.blocking_io.matches(qualified) else frozenset(),
            output=one if k.ordered_output.matches(qualified) else frozenset(),
            native=one if k.releases_gil.matches(qualified) else frozenset(),
            cpu=one if k.cpu_bound.matches(qualified) else frozenset(),
        )

    def _collect(
        self,
        nodes: Iterable[ast.AST],
        function: FunctionNode | None,
        resolver: NameResolver,
        made_here: set[str],
    ) -> Effects:
        """``made_here``: the names this code binds itself, so that an object they hold is its
        own (a connection it opens), not one every item shares."""
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
                    effects = effects | self._call_effects(node, resolver, made_here)
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

    def _elsewhere(self, qualified: str) -> Effects:
        """What a function of another module of the project does, analysed where it lives."""
        assert self.project is not None
        callee = self.project.function(qualified)
        if callee is None:
            return _NOTHING
        facts, name = callee
        effects = facts.effects.function_effects(name)
        where = f"`{qualified}()` ({Path(facts.path).name})"
        said = [
            f"{where} writes ordered output (`{call.removeprefix('builtins.')}`): concurrent "
            "items would interleave their lines"
            for call in sorted(effects.output)
        ]
        said += [f"{where} {write}" for write in sorted(effects.shared_writes)]
        return dataclasses.replace(effects, elsewhere=effects.elsewhere | frozenset(said))

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

    def _call_effects(self, node: ast.Call, resolver: NameResolver, made_here: set[str]) -> Effects:
        qualified = resolver.qualify(node.func)
        if qualified is not None:
            if self.knowledge.one_at_a_time.matches(qualified) and not _made_here(
                node.func, made_here
            ):
                # one conversation (a socket, a cursor, a hash): its calls overlap only on
                # objects of their own, made here, not on one every item shares
                return Effects()
            effects = self.classify_call(qualified)
            if effects == _NOTHING and self.project is not None:
                return self._elsewhere(qualified)
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


_NOTHING = Effects()


def _made_here(func: ast.expr, made_here: set[str]) -> bool:
    """Is the object whose method ``func`` is made by this code: a name it binds, or a call in
    the same expression (``sqlite3.connect(p).execute(q)``)?"""
    receiver = func.value if isinstance(func, ast.Attribute) else func
    while isinstance(receiver, ast.Attribute | ast.Subscript):
        receiver = receiver.value
    if isinstance(receiver, ast.Call):
        return True
    return isinstance(receiver, ast.Name) and receiver.id in made_here


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
