"""The pool rules' one walk over a module: scopes, names, enclosing loops and import-time code.

Ruff's habit: the checker walks the tree once and keeps what every rule asks (which scope a name
is bound in and to what, the loops around the node being visited, whether the code runs on
import); at each call that makes a thread, a process or a pool, or calls a pool's method, it hands
the call to the rules' hooks (``on_worker``, ``on_pool``, ``on_pool_method``), one small module
per rule in ``advisor/analysis/checks/``.

Names resolve through the module's imports (``facts.resolver``) and through what each function
binds itself (``with ProcessPoolExecutor() as pool``, ``ctx = mp.get_context("spawn")``); a name
bound more than one way, or not at all, cannot be told and gives no finding.
"""

from __future__ import annotations

import ast
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from advisor.analysis.effects import Effects
from advisor.analysis.facts import ModuleFacts
from advisor.analysis.independence import Doubt
from advisor.analysis.knowledge import load_knowledge
from advisor.analysis.pool_shapes import (
    Collections,
    WorkerUses,
    assigned_name,
    collections_of,
    decorator_names,
    method_uses,
    parameter_names,
    scope_body,
    stored_names,
)
from advisor.analysis.safety import comprehension_doubts, for_loop_doubts
from advisor.model import Finding, FixSafety, Kind
from advisor.syntax import bindings as binding_model
from advisor.syntax.bindings import bound_names
from advisor.syntax.script_guard import main_guard_branch
from advisor.syntax.sites import node_shape, site_of
from advisor.syntax.statements import statements_in

_PACKAGES = frozenset({"threading", "multiprocessing", "concurrent"})

# What starts threads, processes and pools, and what pickle refuses: data (pools.toml).
POOL_KNOWLEDGE = load_knowledge().pools
THREADS = POOL_KNOWLEDGE.threads
PROCESSES = POOL_KNOWLEDGE.processes
PROCESS_EXECUTORS = POOL_KNOWLEDGE.process_executors
OTHER_EXECUTORS = POOL_KNOWLEDGE.other_executors
MP_PROCESS_POOLS = POOL_KNOWLEDGE.mp_process_pools
MP_THREAD_POOLS = POOL_KNOWLEDGE.mp_thread_pools
EXECUTORS = POOL_KNOWLEDGE.executors
MP_POOLS = POOL_KNOWLEDGE.mp_pools
POOLS = POOL_KNOWLEDGE.pools
PROCESS_POOLS = POOL_KNOWLEDGE.process_pools  # these pickle every task they are given

# Methods of a process pool that pickle the callable they are given (CA207).
PICKLING_METHODS = {
    "executor": frozenset({"submit", "map"}),
    "mp": frozenset(
        {"map", "imap", "imap_unordered", "starmap", "apply", "apply_async", "map_async",
         "starmap_async"}
    ),
}  # fmt: skip
# A submission and the methods that wait for its result (CA205); `apply` waits by itself.
WAITS = {"submit": ("result",), "apply_async": ("get", "wait"), "apply": ()}

# Calls bounded by the machine, not the data: `range(os.cpu_count())` is a fixed worker count.
_CPU_COUNTS = frozenset({"os.cpu_count", "os.process_cpu_count", "multiprocessing.cpu_count"})
# The last component of every callee a rule looks at: other calls are not resolved at all.
_CALLED_NAMES = frozenset(
    {name.rpartition(".")[2] for name in (*THREADS, *PROCESSES, *POOLS)}
    | {method for methods in PICKLING_METHODS.values() for method in methods}
    | WAITS.keys()
)

COMPREHENSIONS = (ast.ListComp, ast.SetComp, ast.DictComp, ast.GeneratorExp)
MODULE_PREFIX = "__main__."  # qualified-name prefix of this module's own functions and classes
_NESTED = "<local>."  # ... of a function defined inside another function
_LAMBDA = "<lambda>"
_SAFE_REWRITE: tuple[FixSafety, tuple[str, ...]] = ("safe", ())


def canonical(qualified: str) -> str:
    """``multiprocessing.get_context().Pool`` is a ``multiprocessing.Pool``."""
    prefix = "multiprocessing.get_context()."
    if qualified.startswith(prefix):
        return "multiprocessing." + qualified[len(prefix) :]
    return qualified


def pool_family(pool: str) -> str:
    return "executor" if pool in EXECUTORS else "mp"


def kind_of(effects: Effects | None) -> Kind:
    if effects is None:
        return "unknown"
    kinds: list[Kind] = [
        kind
        for kind, calls in (
            ("io", effects.blocking),
            ("cpu", effects.cpu),
            ("native", effects.native),
        )
        if calls
    ]
    if not kinds:
        return "unknown"
    return kinds[0] if len(kinds) == 1 else "mixed"


def safety_of(reasons: Iterable[str]) -> tuple[FixSafety, tuple[str, ...]]:
    unique = tuple(dict.fromkeys(reasons))
    return ("unsafe", unique) if unique else _SAFE_REWRITE


# --- names: what each scope binds ---------------------------------------------------------------

_PARAMETER, _OTHER, _IMPORT = "parameter", "other", "import"


@dataclass(frozen=True, slots=True)
class _SelfOf:
    """The first parameter of a method: an instance of its class."""

    cls: ast.ClassDef


@dataclass(eq=False)
class PoolScope:
    """A module, function, lambda or class body; what it binds is read on first use (most
    functions never hold a call any rule needs to resolve)."""

    node: ast.AST  # Module, FunctionDef, AsyncFunctionDef, Lambda or ClassDef
    parent: PoolScope | None
    kind: str  # "module" | "function" | "class"
    resolved: dict[str, str | None] = field(default_factory=dict)
    collections: Collections | None = None  # lists of threads/processes, computed on demand
    _bindings: tuple[dict[str, list[object]], set[str]] | None = None

    def _read(self) -> tuple[dict[str, list[object]], set[str]]:
        if self._bindings is None:
            self._bindings = _bindings_of(self.node, self.parent)
        return self._bindings

    @property
    def bindings(self) -> dict[str, list[object]]:
        """Every way each name is bound here: an expression, a def/class node, or a marker."""
        return self._read()[0]

    @property
    def globals(self) -> set[str]:
        """Names declared `global` here."""
        return self._read()[1]


def _bindings_of(
    node: ast.AST, parent: PoolScope | None
) -> tuple[dict[str, list[object]], set[str]]:
    """One pass over a scope's own code (not its nested defs) collecting what it binds."""
    bindings: dict[str, list[object]] = {}
    declared: set[str] = set()

    def bind(name: str, value: object) -> None:
        bindings.setdefault(name, []).append(value)

    if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
        method_of = (
            parent.node
            if parent is not None
            and isinstance(parent.node, ast.ClassDef)
            and not isinstance(node, ast.Lambda)
            and not {"staticmethod", "classmethod"} & decorator_names(node)
            else None
        )
        for position, name in enumerate(parameter_names(node)):
            is_self = position == 0 and isinstance(method_of, ast.ClassDef) and node.args.args
            bind(name, _SelfOf(method_of) if is_self else _PARAMETER)  # type: ignore[arg-type]
    for binding in binding_model.bindings(scope_body(node)):
        bind(binding.name, _bound_value(binding))
    if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
        for name, keyword in binding_model.declarations(node).items():
            if keyword == "global":
                declared.add(name)
            else:
                bind(name, _OTHER)  # a nonlocal: bound elsewhere, to something unknown here
    elif not isinstance(node, ast.Lambda):
        for statement in statements_in(scope_body(node)):  # a module's or class's own `global`
            if isinstance(statement, ast.Global):
                declared.update(statement.names)
    return bindings, declared


def _bound_value(binding: binding_model.Binding) -> object:
    """What a binding binds its name to, as far as the rules follow it: the value of
    ``name = value`` (and of ``name: T = value``, ``name := value``, ``with value as name``), a
    def or class node, or a marker (an import, anything else)."""
    node = binding.node
    if isinstance(node, ast.Assign):
        single = any(isinstance(t, ast.Name) and t.id == binding.name for t in node.targets)
        return node.value if single else _OTHER
    if isinstance(node, ast.AnnAssign | ast.NamedExpr):
        single = isinstance(node.target, ast.Name) and node.value is not None
        return node.value if single else _OTHER
    if isinstance(node, ast.withitem):
        return node.context_expr if isinstance(node.optional_vars, ast.Name) else _OTHER
    if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
        return node
    if isinstance(node, ast.Import | ast.ImportFrom):
        return _IMPORT
    return _OTHER


@dataclass(eq=False)
class EnclosingLoop:
    node: ast.AST  # For, AsyncFor, While or a comprehension
    depth: int  # its index in the walker's stack of ancestors
    iterables: tuple[ast.expr, ...]  # what it iterates (nested, for a comprehension); () for while
    scope: PoolScope  # where it runs
    # (iterates a literal or a range bounded by constants, iterations when written out as
    # literals, iterates only ranges or literals): computed when a rule asks
    count: tuple[bool, int | None, bool] | None = None

    @property
    def phrase(self) -> str:
        what = "comprehension" if isinstance(self.node, COMPREHENSIONS) else "loop"
        return f"the {what} at line {self.node.lineno}"  # type: ignore[attr-defined]

    @property
    def statements(self) -> list[ast.stmt]:
        return [] if isinstance(self.node, COMPREHENSIONS) else self.node.body  # type: ignore[attr-defined]

    def bound_names(self) -> set[str]:
        if isinstance(self.node, COMPREHENSIONS):
            return {n for g in self.node.generators for n in bound_names(g.target)}
        target = getattr(self.node, "target", None)
        own = bound_names(target) if target is not None else set()
        return own | stored_names(self.statements)


WorkerHook = Callable[..., None]  # (checker, call, kind: "thread" | "process", *, subclass: bool)
PoolHook = Callable[..., None]  # (checker, call, pool: its qualified class name)
PoolMethodHook = Callable[..., None]  # (checker, call, pool, method: the method called)


@dataclass(frozen=True, slots=True)
class PoolHooks:
    """The rules' functions the checker calls, by event: a Thread or Process (or a subclass of
    one) made, a pool made, a pool's method called."""

    on_worker: tuple[WorkerHook, ...] = ()
    on_pool: tuple[PoolHook, ...] = ()
    on_pool_method: tuple[PoolMethodHook, ...] = ()


class PoolChecker:
    """One walk over the module, keeping the scope, the enclosing loops of the current function,
    the chain of ancestors, and whether the code runs on import."""

    def __init__(self, facts: ModuleFacts, hooks: PoolHooks) -> None:
        self.facts = facts
        self.hooks = hooks
        self.module = PoolScope(facts.source.tree, None, "module")
        self.scope = self.module
        self.loops: list[EnclosingLoop] = []
        self.parents: list[ast.AST] = []
        self.on_import = True  # module-level code outside the `__main__` guard
        self.findings: list[Finding] = []
        self._loop_doubts: dict[int, list[Doubt]] = {}
        self._subclass_kinds: dict[str, str | None] = {}
        # names a call through a bare name must have to matter: the classes and methods
        # themselves, what the module imports them as, and every module-level name (classes,
        # `ctx = get_context()`, `P = multiprocessing.Process`)
        self.called_names = (
            _CALLED_NAMES
            | {
                alias
                for alias, qualified in facts.resolver.aliases.items()
                if qualified.removesuffix("()").rpartition(".")[2] in _CALLED_NAMES
            }
            | self.module.bindings.keys()
        )

    # --- names ---------------------------------------------------------------------------------

    def owner(self, name: str, scope: PoolScope) -> PoolScope | None:
        """The scope whose binding ``name`` refers to; None: imported, builtin, or unbound."""
        current: PoolScope | None = scope
        skip_class = False
        while current is not None:
            if name in current.globals:
                current = self.module
            if not (current.kind == "class" and skip_class) and name in current.bindings:
                return current
            skip_class = True  # methods do not see their class body's names
            current = current.parent
        return None

    def resolve(self, name: str, scope: PoolScope) -> str | None:
        owner = self.owner(name, scope)
        if owner is None:
            return self.facts.resolver.qualify(ast.Name(id=name, ctx=ast.Load()))
        if name in owner.resolved:
            return owner.resolved[name]
        owner.resolved[name] = None  # a binding that refers to itself cannot be told
        values = {self._binding_value(b, name, owner) for b in owner.bindings[name]}
        result = values.pop() if len(values) == 1 else None
        owner.resolved[name] = result
        return result

    def _binding_value(self, binding: object, name: str, scope: PoolScope) -> str | None:
        if binding == _IMPORT:
            return self.facts.resolver.aliases.get(name)
        if isinstance(binding, _SelfOf):
            is_module_class = self.module.bindings.get(binding.cls.name) == [binding.cls]
            return f"{MODULE_PREFIX}{binding.cls.name}()" if is_module_class else None
        if isinstance(binding, (ast.FunctionDef, ast.AsyncFunctionDef)):
            return f"{MODULE_PREFIX if scope.kind == 'module' else _NESTED}{name}"
        if isinstance(binding, ast.ClassDef):
            return f"{MODULE_PREFIX}{name}" if scope.kind == "module" else None
        if isinstance(binding, ast.Lambda):
            return _LAMBDA
        if isinstance(binding, ast.expr):
            return self.qualify(binding, scope)
        return None

    def qualify(self, expr: ast.expr, scope: PoolScope | None = None) -> str | None:
        scope = scope or self.scope
        if isinstance(expr, ast.Call):
            inner = self.qualify(expr.func, scope)
            return None if inner is None else f"{inner}()"
        if isinstance(expr, ast.Attribute):
            base = self.qualify(expr.value, scope)
            return None if base is None else f"{base}.{expr.attr}"
        if isinstance(expr, ast.Name):
            return self.resolve(expr.id, scope)
        return None

    def single_binding(self, name: str, scope: PoolScope) -> tuple[PoolScope, object] | None:
        owner = self.owner(name, scope)
        if owner is None or len(owner.bindings[name]) != 1:
            return None
        return owner, owner.bindings[name][0]

    def module_class(self, qualified: str | None) -> ast.ClassDef | None:
        """The class of this module that ``__main__.Name`` or ``__main__.Name()`` names."""
        if qualified is None or not qualified.startswith(MODULE_PREFIX):
            return None
        name = qualified[len(MODULE_PREFIX) :].removesuffix("()")
        bindings = self.module.bindings.get(name, [])
        return bindings[0] if len(bindings) == 1 and isinstance(bindings[0], ast.ClassDef) else None

    def module_function(self, qualified: str | None) -> ast.FunctionDef | None:
        if qualified is None or not qualified.startswith(MODULE_PREFIX):
            return None
        return self.facts.effects.functions.get(qualified[len(MODULE_PREFIX) :])  # type: ignore[return-value]

    def subclass_kind(self, cls: ast.ClassDef) -> str | None:
        """ "thread" / "process" for a class of this module deriving from Thread / Process."""
        if cls.name in self._subclass_kinds:
            return self._subclass_kinds[cls.name]
        self._subclass_kinds[cls.name] = None  # guards `class A(B)` / `class B(A)`
        kind = None
        for base in cls.bases:
            qualified = self.qualify(base, self.module)
            name = canonical(qualified or "")
            if name in THREADS or name in PROCESSES:
                kind = "thread" if name in THREADS else "process"
            elif (parent := self.module_class(qualified)) is not None:
                kind = self.subclass_kind(parent)
            if kind:
                break
        self._subclass_kinds[cls.name] = kind
        return kind

    def start_method(self, expr: ast.expr | None, scope: PoolScope, depth: int = 0) -> str | None:
        """The start method a `multiprocessing.get_context("...")` expression names."""
        if isinstance(expr, ast.Call):
            if canonical(self.qualify(expr.func, scope) or "") != "multiprocessing.get_context":
                return None
            first = expr.args[0] if expr.args else None
            if isinstance(first, ast.Constant) and isinstance(first.value, str):
                return first.value
            return None
        if isinstance(expr, ast.Name) and depth < 8:
            found = self.single_binding(expr.id, scope)
            if found is not None and isinstance(found[1], ast.expr):
                return self.start_method(found[1], found[0], depth + 1)
        return None

    def forks(self, call: ast.Call) -> bool:
        """Created through an explicit fork context: children do not import the module again."""
        contexts = [kw.value for kw in call.keywords if kw.arg in ("mp_context", "context")]
        if isinstance(call.func, ast.Attribute):
            contexts.append(call.func.value)
        return any(self.start_method(c, self.scope) == "fork" for c in contexts)

    def text(self, node: ast.AST) -> str:
        """The source of ``node`` as written (quotes and spacing kept), on one line."""
        written = ast.get_source_segment(self.facts.source.text, node)
        return " ".join((written or ast.unparse(node)).split())

    # --- the walk ------------------------------------------------------------------------------

    def visit(self, node: ast.AST) -> None:
        if isinstance(node, ast.Call):
            self.check_call(node)
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
            self.visit_function(node)
        elif isinstance(node, ast.ClassDef):
            self.visit_class(node)
        elif isinstance(node, (ast.For, ast.AsyncFor)):
            self.visit_for(node)
        elif isinstance(node, ast.While):
            self.enter(node)
            self.push_loop(node)
            self.visit_all([node.test, *node.body])
            self.loops.pop()
            self.visit_all(node.orelse)
            self.leave()
        elif isinstance(node, COMPREHENSIONS):
            self.visit_comprehension(node)
        elif isinstance(node, ast.If):
            self.visit_if(node)
        else:
            self.enter(node)
            self.visit_all(ast.iter_child_nodes(node))
            self.leave()

    def enter(self, node: ast.AST) -> None:
        self.parents.append(node)

    def leave(self) -> None:
        self.parents.pop()

    def visit_all(self, nodes: Iterable[ast.AST]) -> None:
        for node in nodes:
            self.visit(node)

    def visit_function(self, node: ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda) -> None:
        self.enter(node)
        # decorators and defaults run where the def is, when it runs
        decorators = [] if isinstance(node, ast.Lambda) else node.decorator_list
        defaults = [d for d in (*node.args.defaults, *node.args.kw_defaults) if d is not None]
        self.visit_all([*decorators, *defaults])
        saved = (self.scope, self.loops, self.on_import)
        self.scope = PoolScope(node, self.scope, "function")
        self.loops, self.on_import = [], False
        self.visit_all(scope_body(node))
        self.scope, self.loops, self.on_import = saved
        self.leave()

    def visit_class(self, node: ast.ClassDef) -> None:
        self.enter(node)
        self.visit_all([*node.decorator_list, *node.bases, *node.keywords])
        saved = (self.scope, self.loops)
        # a class body runs where the class statement is: on import, at module level
        self.scope, self.loops = PoolScope(node, self.scope, "class"), []
        self.visit_all(node.body)
        self.scope, self.loops = saved
        self.leave()

    def visit_for(self, node: ast.For | ast.AsyncFor) -> None:
        self.enter(node)
        self.visit_all([node.iter, node.target])
        self.push_loop(node, node.iter)
        self.visit_all(node.body)
        self.loops.pop()
        self.visit_all(node.orelse)
        self.leave()

    def visit_comprehension(self, node: ast.expr) -> None:
        self.enter(node)
        first, *others = node.generators  # type: ignore[attr-defined]
        self.visit(first.iter)  # evaluated once, before the first item
        self.push_loop(node, *(g.iter for g in node.generators))  # type: ignore[attr-defined]
        self.enter(first)
        self.visit_all([first.target, *first.ifs])
        self.leave()
        self.visit_all(others)
        parts = ("key", "value") if isinstance(node, ast.DictComp) else ("elt",)
        self.visit_all([getattr(node, part) for part in parts])
        self.loops.pop()
        self.leave()

    def visit_if(self, node: ast.If) -> None:
        self.enter(node)
        self.visit(node.test)
        guard = main_guard_branch(node.test)
        for part in ("body", "orelse"):
            saved = self.on_import
            self.on_import = saved and guard != part
            self.visit_all(getattr(node, part))
            self.on_import = saved
        self.leave()

    def push_loop(self, node: ast.AST, *iterables: ast.expr) -> None:
        """A loop over ``iterables`` (nested, for a comprehension with several `for`s)."""
        self.loops.append(EnclosingLoop(node, len(self.parents) - 1, iterables, self.scope))

    def loop_count(self, loop: EnclosingLoop) -> tuple[bool, int | None, bool]:
        """(fixed count, number of iterations when written out, only ranges or literals)."""
        if loop.count is None:
            saved, self.scope = self.scope, loop.scope
            fixed, items, over_range = bool(loop.iterables), 1, bool(loop.iterables)
            for iterable in loop.iterables:
                bounded, count = self.iteration_count(iterable)
                is_range = (
                    isinstance(iterable, ast.Call)
                    and self.qualify(iterable.func) == "builtins.range"
                )
                fixed = fixed and bounded
                items = None if items is None or count is None else items * count
                over_range = over_range and (is_range or bounded)
            loop.count = (fixed, items if loop.iterables else None, over_range)
            self.scope = saved
        return loop.count

    def iteration_count(self, iterable: ast.expr | None) -> tuple[bool, int | None]:
        """(bounded by constants, number of items when written out) of a loop's iterable."""
        if isinstance(iterable, (ast.Tuple, ast.List, ast.Set)):
            if not any(isinstance(e, ast.Starred) for e in iterable.elts):
                return True, len(iterable.elts)
            return False, None
        if not (
            isinstance(iterable, ast.Call)
            and self.qualify(iterable.func) == "builtins.range"
            and 1 <= len(iterable.args) <= 3
            and not iterable.keywords
        ):
            return False, None
        bounded = all(self.is_bounded(a) for a in iterable.args)
        literals = [a.value for a in iterable.args if isinstance(a, ast.Constant)]
        if len(literals) == len(iterable.args) and all(type(v) is int for v in literals):
            try:
                return bounded, len(range(*literals))
            except (ValueError, OverflowError):
                return bounded, None
        return bounded, None

    def is_bounded(self, expr: ast.expr) -> bool:
        """A count fixed by the program, not the data: literals, names bound once to an integer
        literal (`WORKERS = 8`), the number of cores, and arithmetic of them."""
        if isinstance(expr, ast.Constant):
            return type(expr.value) is int
        if isinstance(expr, ast.Name):
            found = self.single_binding(expr.id, self.scope)
            return (
                found is not None
                and isinstance(found[1], ast.Constant)
                and type(found[1].value) is int
            )
        if isinstance(expr, ast.BinOp):
            return self.is_bounded(expr.left) and self.is_bounded(expr.right)
        if isinstance(expr, ast.BoolOp):
            return all(self.is_bounded(v) for v in expr.values)
        if isinstance(expr, ast.UnaryOp):
            return self.is_bounded(expr.operand)
        if isinstance(expr, ast.Call):
            called = self.qualify(expr.func)
            if called in _CPU_COUNTS:
                return True
            if called == "builtins.min":
                return any(self.is_bounded(a) for a in expr.args)
            if called == "builtins.max":
                return bool(expr.args) and all(self.is_bounded(a) for a in expr.args)
        return False

    # --- calls ---------------------------------------------------------------------------------

    def check_call(self, call: ast.Call) -> None:
        func = call.func
        if isinstance(func, ast.Attribute):
            relevant = func.attr in _CALLED_NAMES
        else:
            relevant = isinstance(func, ast.Name) and func.id in self.called_names
        if not relevant:
            return  # cannot be a thread, process, pool or pool method: skip resolving it
        qualified = self.qualify(func)
        if qualified is None:
            return
        name = canonical(qualified)
        cls = self.module_class(qualified)
        worker = (
            "thread"
            if name in THREADS
            else "process"
            if name in PROCESSES
            else self.subclass_kind(cls)
            if cls is not None
            else None
        )
        if worker is not None:
            for on_worker in self.hooks.on_worker:
                on_worker(self, call, worker, subclass=cls is not None)
        elif name in POOLS:
            for on_pool in self.hooks.on_pool:
                on_pool(self, call, name)
        else:
            receiver, _, method = name.rpartition(".")
            if receiver.endswith("()") and receiver[:-2] in POOLS:
                for on_pool_method in self.hooks.on_pool_method:
                    on_pool_method(self, call, receiver[:-2], method)

    def add(self, rule: str, call: ast.AST, message: str, **details: object) -> None:
        end: ast.AST = details.pop("end", call)  # type: ignore[assignment]
        self.findings.append(
            Finding(
                rule=rule,
                path=self.facts.path,
                line=call.lineno,  # type: ignore[attr-defined]
                end_line=end.end_lineno or end.lineno,  # type: ignore[attr-defined]
                message=message,
                **details,  # type: ignore[arg-type]
                site=site_of(self.facts.source, call, node_shape(call)),
            )
        )

    def loop_reasons(self, loop: EnclosingLoop) -> list[str]:
        """Why the loop's iterations are not independent (CA101's conditions), a doubt a run
        settles counted as unsafe (the pool rules' fixes are not verified by `fix`)."""
        return [doubt.reason for doubt in self.loop_doubts(loop)]

    def loop_doubts(self, loop: EnclosingLoop) -> list[Doubt]:
        """:meth:`loop_reasons` as the proof's doubts, each with whose code raises it."""
        key = id(loop.node)
        if key not in self._loop_doubts:
            node = loop.node
            if isinstance(node, ast.While):
                doubts = [Doubt("a `while` loop: its items are not known before it runs")]
            elif isinstance(node, COMPREHENSIONS):
                doubts = comprehension_doubts(node, self.facts)  # type: ignore[arg-type]
            else:
                doubts = for_loop_doubts(node, self.facts)  # type: ignore[arg-type]
            self._loop_doubts[key] = doubts
        return self._loop_doubts[key]

    def worker_uses(self, call: ast.Call) -> tuple[str | None, WorkerUses]:
        """The name a new worker is assigned to in the innermost loop, and how that loop's body
        uses it (started, joined, appended to a list)."""
        name = assigned_name(self.parents[-1], call)
        uses = method_uses(name, self.loops[-1].statements) if name else WorkerUses()
        return name, uses

    def collections(self) -> Collections:
        """How this scope uses its lists of workers: which are started, joined, used otherwise."""
        if self.scope.collections is None:
            self.scope.collections = collections_of(scope_body(self.scope.node))
        return self.scope.collections

    def statement_index(self, loop: EnclosingLoop) -> int | None:
        """Index in the loop body of the statement holding the node being visited."""
        if loop.depth + 1 >= len(self.parents):
            return None
        child = self.parents[loop.depth + 1]
        return next((i for i, s in enumerate(loop.statements) if s is child), None)

    def callable_effects(self, task: ast.expr | None) -> Effects | None:
        """What a callable handed to a pool does, when it is this module's (or a lambda)."""
        task = self.unwrap_partial(task)
        if isinstance(task, ast.Lambda):
            return self.facts.effects.effects_of(task.body)
        function = self.module_function(self.qualify(task)) if task is not None else None
        return self.facts.effects.function_effects(function.name) if function else None

    def unwrap_partial(self, task: ast.expr | None) -> ast.expr | None:
        while (
            isinstance(task, ast.Call)
            and task.args
            and self.qualify(task.func) == "functools.partial"
        ):
            task = task.args[0]
        return task


def detect_pool_rules(facts: ModuleFacts, hooks: PoolHooks) -> list[Finding]:
    """The findings ``hooks`` report on one walk of the module (none when it imports nothing
    that can make a thread, a process or a pool)."""
    imported = {name.split(".")[0] for name in facts.resolver.aliases.values()}
    if not imported & _PACKAGES:
        return []
    checker = PoolChecker(facts, hooks)
    checker.visit_all(facts.source.tree.body)
    return checker.findings
