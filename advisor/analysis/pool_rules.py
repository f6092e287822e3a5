"""The pool rules: concurrency machinery used so that it cannot help, or cannot work.

CA201 a Thread per item, CA202 a Process per item, CA205 work waited for in the iteration that
handed it over, CA206 a pool built in every iteration, CA207 a task a process pool cannot pickle,
CA208 a process pool or Process started by code that runs on import.

One walk over Python's ``ast``. Names resolve through the module's imports (``facts.resolver``)
and through what each function binds itself (``with ProcessPoolExecutor() as pool``,
``ctx = mp.get_context("spawn")``); a name bound more than one way, or not at all, cannot be
told and gives no finding.
"""

from __future__ import annotations

import ast
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field

from advisor.analysis.effects import Effects
from advisor.analysis.facts import ModuleFacts
from advisor.analysis.knowledge import load_knowledge
from advisor.analysis.safety import comprehension_reasons, for_loop_reasons
from advisor.model import Finding, FixSafety, Kind
from advisor.syntax import bindings as binding_model
from advisor.syntax.bindings import SCOPE_NODES, bound_names, dotted_name, walk_scope
from advisor.syntax.sites import node_shape, site_of
from advisor.syntax.statements import statements_in

# A module that imports none of these cannot create a thread, process or pool: skip it unwalked.
_PACKAGES = frozenset({"threading", "multiprocessing", "concurrent"})

# What starts threads, processes and pools, and what pickle refuses: data (pools.toml).
_POOLS = load_knowledge().pools
THREADS = _POOLS.threads
PROCESSES = _POOLS.processes
PROCESS_EXECUTORS = _POOLS.process_executors
OTHER_EXECUTORS = _POOLS.other_executors
MP_PROCESS_POOLS = _POOLS.mp_process_pools
MP_THREAD_POOLS = _POOLS.mp_thread_pools
EXECUTORS = _POOLS.executors
MP_POOLS = _POOLS.mp_pools
POOLS = _POOLS.pools
PROCESS_POOLS = _POOLS.process_pools  # these pickle every task they are given

# Methods of a process pool that pickle the callable they are given (CA207).
_PICKLING_METHODS = {
    "executor": frozenset({"submit", "map"}),
    "mp": frozenset(
        {"map", "imap", "imap_unordered", "starmap", "apply", "apply_async", "map_async",
         "starmap_async"}
    ),
}  # fmt: skip
# A submission and the methods that wait for its result (CA205); `apply` waits by itself.
_WAITS = {"submit": ("result",), "apply_async": ("get", "wait"), "apply": ()}
# Methods whose result is a finished list: using them keeps a per-iteration pool's barrier.
_EAGER = {"executor": frozenset(), "mp": frozenset({"map", "starmap", "apply"})}
_MAPS = frozenset({"map", "imap", "imap_unordered", "starmap"})
_LIFECYCLE = frozenset({"close", "join", "shutdown", "terminate"})

# Objects that pickle refuses (CA207): a bound method of an instance holding one cannot be sent
# to a process pool.
UNPICKLABLE = _POOLS.unpicklable
# Calls bounded by the machine, not the data: `range(os.cpu_count())` is a fixed worker count.
_CPU_COUNTS = frozenset({"os.cpu_count", "os.process_cpu_count", "multiprocessing.cpu_count"})
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
_PICKLE_HOOKS = frozenset({"__getstate__", "__reduce__", "__reduce_ex__"})
# The last component of every callee a rule looks at: other calls are not resolved at all.
_CALLED_NAMES = frozenset(
    {name.rpartition(".")[2] for name in (*THREADS, *PROCESSES, *POOLS)}
    | {method for methods in _PICKLING_METHODS.values() for method in methods}
    | _WAITS.keys()
)
MIN_POOL_ITERATIONS = _POOLS.min_iterations  # fewer make a pool per iteration not worth it

_COMPREHENSIONS = (ast.ListComp, ast.SetComp, ast.DictComp, ast.GeneratorExp)
_MODULE = "__main__."  # qualified-name prefix of this module's own functions and classes
_NESTED = "<local>."  # ... of a function defined inside another function
_LAMBDA = "<lambda>"
_SAFE_REWRITE: tuple[FixSafety, tuple[str, ...]] = ("safe", ())


def _canonical(qualified: str) -> str:
    """``multiprocessing.get_context().Pool`` is a ``multiprocessing.Pool``."""
    prefix = "multiprocessing.get_context()."
    if qualified.startswith(prefix):
        return "multiprocessing." + qualified[len(prefix) :]
    return qualified


def _pool_family(pool: str) -> str:
    return "executor" if pool in EXECUTORS else "mp"


def _with_ancestors(nodes: Iterable[ast.AST]) -> Iterator[tuple[ast.AST, tuple[ast.AST, ...]]]:
    """``_in_scope`` with each node's ancestors inside ``nodes`` (the parent last)."""
    stack: list[tuple[ast.AST, tuple[ast.AST, ...]]] = [(n, ()) for n in reversed(list(nodes))]
    while stack:
        node, ancestors = stack.pop()
        yield node, ancestors
        if not isinstance(node, SCOPE_NODES):
            inner = (*ancestors, node)
            stack.extend((child, inner) for child in reversed(list(ast.iter_child_nodes(node))))


def _stored_names(nodes: Iterable[ast.AST]) -> set[str]:
    return {
        n.id for n in walk_scope(nodes) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store)
    }


def _read_names(nodes: Iterable[ast.AST]) -> set[str]:
    return {
        n.id for n in walk_scope(nodes) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load)
    }


def _body(node: ast.AST) -> list[ast.AST]:
    if isinstance(node, ast.Lambda):
        return [node.body]
    return list(getattr(node, "body", []))


def _parameters(function: ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda) -> list[str]:
    args = function.args
    names = [a.arg for a in (*args.posonlyargs, *args.args, *args.kwonlyargs)]
    return names + [a.arg for a in (args.vararg, args.kwarg) if a is not None]


def _decorator_names(function: ast.FunctionDef | ast.AsyncFunctionDef) -> set[str]:
    return {dotted_name(d) or "" for d in function.decorator_list}


def _main_guard(test: ast.expr) -> str | None:
    """Which branch of an ``if`` runs only as a script: "body", "orelse" or None."""
    if isinstance(test, ast.BoolOp) and isinstance(test.op, ast.And):
        return "body" if any(_main_guard(v) == "body" for v in test.values) else None
    if not (isinstance(test, ast.Compare) and len(test.ops) == 1):
        return None
    sides = (test.left, test.comparators[0])
    is_name = [isinstance(s, ast.Name) and s.id == "__name__" for s in sides]
    is_main = [isinstance(s, ast.Constant) and s.value == "__main__" for s in sides]
    if not (is_name[0] and is_main[1]) and not (is_main[0] and is_name[1]):
        return None
    if isinstance(test.ops[0], ast.Eq):
        return "body"
    return "orelse" if isinstance(test.ops[0], ast.NotEq) else None


def _kind_of(effects: Effects | None) -> Kind:
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


def _safety(reasons: Iterable[str]) -> tuple[FixSafety, tuple[str, ...]]:
    unique = tuple(dict.fromkeys(reasons))
    return ("unsafe", unique) if unique else _SAFE_REWRITE


# --- names: what each scope binds ---------------------------------------------------------------

_PARAMETER, _OTHER, _IMPORT = "parameter", "other", "import"


@dataclass(frozen=True, slots=True)
class _SelfOf:
    """The first parameter of a method: an instance of its class."""

    cls: ast.ClassDef


@dataclass(eq=False)
class _Scope:
    """A module, function, lambda or class body; what it binds is read on first use (most
    functions never hold a call any rule needs to resolve)."""

    node: ast.AST  # Module, FunctionDef, AsyncFunctionDef, Lambda or ClassDef
    parent: _Scope | None
    kind: str  # "module" | "function" | "class"
    resolved: dict[str, str | None] = field(default_factory=dict)
    collections: _Collections | None = None  # lists of threads/processes, computed on demand
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


def _bindings_of(node: ast.AST, parent: _Scope | None) -> tuple[dict[str, list[object]], set[str]]:
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
            and not {"staticmethod", "classmethod"} & _decorator_names(node)
            else None
        )
        for position, name in enumerate(_parameters(node)):
            is_self = position == 0 and isinstance(method_of, ast.ClassDef) and node.args.args
            bind(name, _SelfOf(method_of) if is_self else _PARAMETER)  # type: ignore[arg-type]
    for binding in binding_model.bindings(_body(node)):
        bind(binding.name, _bound_value(binding))
    if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
        for name, keyword in binding_model.declarations(node).items():
            if keyword == "global":
                declared.add(name)
            else:
                bind(name, _OTHER)  # a nonlocal: bound elsewhere, to something unknown here
    elif not isinstance(node, ast.Lambda):
        for statement in statements_in(_body(node)):  # a module's or class's own `global`
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
class _Loop:
    node: ast.AST  # For, AsyncFor, While or a comprehension
    depth: int  # its index in the walker's stack of ancestors
    iterables: tuple[ast.expr, ...]  # what it iterates (nested, for a comprehension); () for while
    scope: _Scope  # where it runs
    # (iterates a literal or a range bounded by constants, iterations when written out as
    # literals, iterates only ranges or literals): computed when a rule asks
    count: tuple[bool, int | None, bool] | None = None

    @property
    def phrase(self) -> str:
        what = "comprehension" if isinstance(self.node, _COMPREHENSIONS) else "loop"
        return f"the {what} at line {self.node.lineno}"  # type: ignore[attr-defined]

    @property
    def statements(self) -> list[ast.stmt]:
        return [] if isinstance(self.node, _COMPREHENSIONS) else self.node.body  # type: ignore[attr-defined]

    def bound_names(self) -> set[str]:
        if isinstance(self.node, _COMPREHENSIONS):
            return {n for g in self.node.generators for n in bound_names(g.target)}
        target = getattr(self.node, "target", None)
        own = bound_names(target) if target is not None else set()
        return own | _stored_names(self.statements)


@dataclass(frozen=True, slots=True)
class _Task:
    """A callable given to a process pool, and why pickle refuses it."""

    problem: str  # "lambda" | "nested" | "bound"
    described: str  # for the message
    node: ast.AST  # the lambda / def / class
    reasons: tuple[str, ...] = ()


class _PoolWalker:
    """One walk over the module, keeping the scope, the enclosing loops of the current function,
    the chain of ancestors, and whether the code runs on import."""

    def __init__(self, facts: ModuleFacts) -> None:
        self.facts = facts
        self.module = _Scope(facts.source.tree, None, "module")
        self.scope = self.module
        self.loops: list[_Loop] = []
        self.parents: list[ast.AST] = []
        self.on_import = True  # module-level code outside the `__main__` guard
        self.findings: list[Finding] = []
        self._loop_reasons: dict[int, list[str]] = {}
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

    def owner(self, name: str, scope: _Scope) -> _Scope | None:
        """The scope whose binding ``name`` refers to; None: imported, builtin, or unbound."""
        current: _Scope | None = scope
        skip_class = False
        while current is not None:
            if name in current.globals:
                current = self.module
            if not (current.kind == "class" and skip_class) and name in current.bindings:
                return current
            skip_class = True  # methods do not see their class body's names
            current = current.parent
        return None

    def resolve(self, name: str, scope: _Scope) -> str | None:
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

    def _binding_value(self, binding: object, name: str, scope: _Scope) -> str | None:
        if binding == _IMPORT:
            return self.facts.resolver.aliases.get(name)
        if isinstance(binding, _SelfOf):
            is_module_class = self.module.bindings.get(binding.cls.name) == [binding.cls]
            return f"{_MODULE}{binding.cls.name}()" if is_module_class else None
        if isinstance(binding, (ast.FunctionDef, ast.AsyncFunctionDef)):
            return f"{_MODULE if scope.kind == 'module' else _NESTED}{name}"
        if isinstance(binding, ast.ClassDef):
            return f"{_MODULE}{name}" if scope.kind == "module" else None
        if isinstance(binding, ast.Lambda):
            return _LAMBDA
        if isinstance(binding, ast.expr):
            return self.qualify(binding, scope)
        return None

    def qualify(self, expr: ast.expr, scope: _Scope | None = None) -> str | None:
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

    def single_binding(self, name: str, scope: _Scope) -> tuple[_Scope, object] | None:
        owner = self.owner(name, scope)
        if owner is None or len(owner.bindings[name]) != 1:
            return None
        return owner, owner.bindings[name][0]

    def module_class(self, qualified: str | None) -> ast.ClassDef | None:
        """The class of this module that ``__main__.Name`` or ``__main__.Name()`` names."""
        if qualified is None or not qualified.startswith(_MODULE):
            return None
        name = qualified[len(_MODULE) :].removesuffix("()")
        bindings = self.module.bindings.get(name, [])
        return bindings[0] if len(bindings) == 1 and isinstance(bindings[0], ast.ClassDef) else None

    def module_function(self, qualified: str | None) -> ast.FunctionDef | None:
        if qualified is None or not qualified.startswith(_MODULE):
            return None
        return self.facts.effects.functions.get(qualified[len(_MODULE) :])  # type: ignore[return-value]

    def subclass_kind(self, cls: ast.ClassDef) -> str | None:
        """ "thread" / "process" for a class of this module deriving from Thread / Process."""
        if cls.name in self._subclass_kinds:
            return self._subclass_kinds[cls.name]
        self._subclass_kinds[cls.name] = None  # guards `class A(B)` / `class B(A)`
        kind = None
        for base in cls.bases:
            qualified = self.qualify(base, self.module)
            name = _canonical(qualified or "")
            if name in THREADS or name in PROCESSES:
                kind = "thread" if name in THREADS else "process"
            elif (parent := self.module_class(qualified)) is not None:
                kind = self.subclass_kind(parent)
            if kind:
                break
        self._subclass_kinds[cls.name] = kind
        return kind

    def start_method(self, expr: ast.expr | None, scope: _Scope, depth: int = 0) -> str | None:
        """The start method a `multiprocessing.get_context("...")` expression names."""
        if isinstance(expr, ast.Call):
            if _canonical(self.qualify(expr.func, scope) or "") != "multiprocessing.get_context":
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
        elif isinstance(node, _COMPREHENSIONS):
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
        self.scope = _Scope(node, self.scope, "function")
        self.loops, self.on_import = [], False
        self.visit_all(_body(node))
        self.scope, self.loops, self.on_import = saved
        self.leave()

    def visit_class(self, node: ast.ClassDef) -> None:
        self.enter(node)
        self.visit_all([*node.decorator_list, *node.bases, *node.keywords])
        saved = (self.scope, self.loops)
        # a class body runs where the class statement is: on import, at module level
        self.scope, self.loops = _Scope(node, self.scope, "class"), []
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
        guard = _main_guard(node.test)
        for part in ("body", "orelse"):
            saved = self.on_import
            self.on_import = saved and guard != part
            self.visit_all(getattr(node, part))
            self.on_import = saved
        self.leave()

    def push_loop(self, node: ast.AST, *iterables: ast.expr) -> None:
        """A loop over ``iterables`` (nested, for a comprehension with several `for`s)."""
        self.loops.append(_Loop(node, len(self.parents) - 1, iterables, self.scope))

    def loop_count(self, loop: _Loop) -> tuple[bool, int | None, bool]:
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
        name = _canonical(qualified)
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
            self.worker_created(call, worker, subclass=cls is not None)
        elif name in POOLS:
            self.pool_created(call, name)
        else:
            receiver, _, method = name.rpartition(".")
            if receiver.endswith("()") and receiver[:-2] in POOLS:
                self.pool_method(call, receiver[:-2], method)

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

    def loop_reasons(self, loop: _Loop) -> list[str]:
        """Why the loop's iterations are not independent (CA101's conditions)."""
        key = id(loop.node)
        if key not in self._loop_reasons:
            node = loop.node
            if isinstance(node, ast.While):
                reasons = ["a `while` loop: its items are not known before it runs"]
            elif isinstance(node, _COMPREHENSIONS):
                reasons = comprehension_reasons(node, self.facts)  # type: ignore[arg-type]
            else:
                reasons = for_loop_reasons(node, self.facts)  # type: ignore[arg-type]
            self._loop_reasons[key] = reasons
        return self._loop_reasons[key]

    def statement_index(self, loop: _Loop) -> int | None:
        """Index in the loop body of the statement holding the node being visited."""
        if loop.depth + 1 >= len(self.parents):
            return None
        child = self.parents[loop.depth + 1]
        return next((i for i, s in enumerate(loop.statements) if s is child), None)

    # --- CA208: process pools and processes started on import -----------------------------------

    def check_import_time(self, call: ast.Call, what: str) -> None:
        if not self.on_import or self.forks(call):
            return
        self.add(
            "CA208",
            call,
            f"`{self.text(call.func)}(...)` starts {what} on import, which every worker "
            "repeats when it imports the module under the spawn and forkserver start methods: "
            'move it under `if __name__ == "__main__":`',
            kind="unknown",
            suggestion="none",
            fix_safety="unsafe",
            reasons=(
                "code moved under the guard no longer runs when the module is imported, and "
                "nothing proves that no other module imports this one",
            ),
        )

    # --- CA201, CA202, CA205: a Thread or Process per item --------------------------------------

    def worker_created(self, call: ast.Call, kind: str, *, subclass: bool) -> None:
        if kind == "process":
            self.check_import_time(call, "a process")
        if not self.loops:
            return
        loop = self.loops[-1]
        parent = self.parents[-1]
        grand = self.parents[-2] if len(self.parents) > 1 else None
        started = _is_method_call(parent, grand, ("start",))
        name = _assigned_name(parent, call)
        collection = _appended_to(parent, call)
        if collection is None and parent is loop.node and isinstance(loop.node, _COMPREHENSIONS):
            collection = _assigned_name(self.parents[loop.depth - 1], loop.node)
        uses = _method_uses(name, loop.statements) if name else _Uses()
        if uses.called("start") and uses.called("join"):
            self.serial_worker(call, kind, loop, name or "", uses)
            return
        collection = collection or uses.appended_to
        started = started or uses.called("start")
        lists = self.collections()
        if not started and collection not in lists.started:
            return  # never started where we can see: no thread runs here
        per_item = self.per_item_loop(call)
        if per_item is None:
            return
        reasons = list(self.loop_reasons(per_item))
        target_reasons, effects = self.target_reasons(call, kind, subclass=subclass)
        reasons += target_reasons
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
        # others go on, a pool raises it in the caller.
        reasons.append(
            f"an exception in the target, which a bare {kind} reports while the others go on, "
            "is raised by the pool in the caller"
        )
        safety, why = _safety(reasons)
        source = self.text(call.func)
        if kind == "thread":
            message = (
                f"`{source}(...)` starts a new thread for every item of {per_item.phrase}, with "
                "no bound on how many run at once: use a ThreadPoolExecutor with bounded "
                "`max_workers`"
            )
            rule, suggestion = "CA201", "bounded_pool"
        else:
            message = (
                f"`{source}(...)` starts a new process for every item of {per_item.phrase}: "
                "run the items in one ProcessPoolExecutor"
            )
            rule, suggestion = "CA202", "process_pool"
        self.add(
            rule,
            call,
            message,
            kind=_kind_of(effects),
            suggestion=suggestion,
            fix_safety=safety,
            reasons=why,
        )

    def per_item_loop(self, call: ast.Call) -> _Loop | None:
        """The loop that makes a new worker per item: the innermost one not over a fixed count;
        none when a `while` loop comes first (a server's accept loop is not a list of items).

        ``for _ in range(n)`` whose workers take nothing from the loop makes ``n`` identical
        workers (a hand-made pool reading a queue): ``n`` is a worker count, not an item count.
        """
        arguments = _read_names([*call.args, *call.keywords])
        for loop in reversed(self.loops):
            if isinstance(loop.node, ast.While):
                return None
            fixed, _items, over_range = self.loop_count(loop)
            if fixed or (over_range and not arguments & loop.bound_names()):
                continue
            return loop
        return None

    def collections(self) -> _Collections:
        """How this scope uses its lists of workers: which are started, joined, used otherwise."""
        if self.scope.collections is None:
            self.scope.collections = _collections_of(_body(self.scope.node))
        return self.scope.collections

    def target_reasons(
        self, call: ast.Call, kind: str, *, subclass: bool
    ) -> tuple[list[str], Effects | None]:
        """Why running a Thread/Process target in a pool could behave differently."""
        noun = kind.capitalize()
        target = next((kw.value for kw in call.keywords if kw.arg == "target"), None)
        if target is None and len(call.args) > 1:
            target = call.args[1]
        if subclass:
            return [f"a `{noun}` subclass: its `run()` must first become a function"], None
        if target is None:
            return [f"the {kind} has no `target=`"], None
        function = self.module_function(self.qualify(target))
        if function is None:
            return [
                f"the target `{self.text(target)}` is not a function of this module: nothing "
                "proves it only uses its arguments and returns a value"
            ], None
        # what the target does is judged with the loop's per-item work (it runs the target)
        effects = self.facts.effects.function_effects(function.name)
        reasons = self.synchronisation(function)
        if kind == "process":
            reasons += self.process_state(function)
        return reasons, effects

    def synchronisation(self, function: ast.FunctionDef) -> list[str]:
        """Targets that wait on or signal other items can deadlock when fewer run at once."""
        parameters = set(_parameters(function))
        found: list[str] = []
        for node in walk_scope(function.body):
            if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)):
                continue
            method = node.func.attr
            if method not in _SYNC_METHODS and not (
                method in _SYNC_IF_NO_ARGUMENTS and not node.args
            ):
                continue
            receiver = dotted_name(node.func.value)
            qualified = _canonical(self.qualify(node.func.value, self.module) or "")
            shared = qualified.split(".")[0] in ("threading", "queue", "multiprocessing")
            if receiver is not None and (receiver.split(".")[0] in parameters or shared):
                found.append(
                    f"`{function.name}()` waits on or signals `{receiver}` (`.{method}()`): "
                    "items that wait on each other can deadlock when fewer run at once"
                )
        return found

    def process_state(self, function: ast.FunctionDef) -> list[str]:
        calls = sorted(
            {
                qualified
                for node in walk_scope(function.body)
                if isinstance(node, ast.Call)
                and (qualified := self.qualify(node.func, self.module)) in _PROCESS_STATE
            }
        )
        return [
            f"`{function.name}()` sets process-wide state (`{c}`) that a fresh process discards "
            "at exit but a reused pool worker keeps"
            for c in calls
        ]

    def serial_worker(self, call: ast.Call, kind: str, loop: _Loop, name: str, uses: _Uses) -> None:
        """CA205: `t = Thread(...)`, `t.start()`, `t.join()` in one iteration."""
        reasons = list(self.loop_reasons(loop))
        target = next((kw.value for kw in call.keywords if kw.arg == "target"), None)
        function = self.module_function(self.qualify(target)) if target is not None else None
        effects = self.facts.effects.function_effects(function.name) if function else None
        safety, why = _safety(reasons)
        join = uses.calls["join"][-1]
        self.add(
            "CA205",
            call,
            f"`{name}.join()` right after `{name}.start()` in the same iteration of "
            f"{loop.phrase} runs the {kind}{'es' if kind == 'process' else 's'} one at a time: "
            "start them all, then join them",
            end=join,
            kind=_kind_of(effects),
            suggestion="bounded_pool",
            fix_safety=safety,
            reasons=why,
        )

    # --- CA206, CA208: pools ---------------------------------------------------------------------

    def pool_created(self, call: ast.Call, pool: str) -> None:
        if pool in PROCESS_POOLS:
            self.check_import_time(call, "a process pool")
        if isinstance(self.parents[-1], ast.Expr):
            return  # made and thrown away (a test that expects the constructor to raise)
        loop = next(
            (
                loop
                for loop in reversed(self.loops)
                if (items := self.loop_count(loop)[1]) is None or items >= MIN_POOL_ITERATIONS
            ),
            None,
        )
        if loop is None:
            return
        safety, why = _safety(self.pool_in_loop_reasons(call, pool, loop))
        self.add(
            "CA206",
            call,
            f"`{self.text(call.func)}(...)` creates a new pool in every iteration of "
            f"{loop.phrase}: create one pool before the loop and reuse it",
            kind="unknown",
            suggestion="bounded_pool",
            fix_safety=safety,
            reasons=why,
        )

    def pool_in_loop_reasons(self, call: ast.Call, pool: str, loop: _Loop) -> list[str]:
        """Moving the pool out is safe when its arguments do not change per iteration and every
        task it is given is finished within the iteration anyway."""
        reasons = [
            f"the pool's arguments use `{name}`, which changes in every iteration"
            for name in sorted(_read_names([*call.args, *call.keywords]) & loop.bound_names())
        ]
        parent = self.parents[-1]
        name = (
            parent.optional_vars.id
            if isinstance(parent, ast.withitem) and isinstance(parent.optional_vars, ast.Name)
            else _assigned_name(parent, call)
        )
        if name is None:
            return [*reasons, "the pool is not bound to a name, so its uses cannot be followed"]
        family = _pool_family(pool)
        region = loop.statements or [loop.node]
        for node, up in _with_ancestors(region):
            if not (isinstance(node, ast.Name) and node.id == name):
                continue
            use = up[-1] if up else None
            if not isinstance(node.ctx, ast.Load) or isinstance(use, ast.withitem):
                continue
            method = use.attr if isinstance(use, ast.Attribute) else None
            if method in _LIFECYCLE or method in _EAGER[family]:
                continue
            if method in _MAPS:
                called = up[-2] if len(up) > 1 else None
                holder = up[-3] if len(up) > 2 and _is_method_call(use, called, _MAPS) else None
                if _consumes(holder, called):
                    continue
                reasons.append(
                    f"the result of `{name}.{method}(...)` (line {node.lineno}) is not consumed "
                    "where it is made, so the pool's shutdown may be what waits for it"
                )
            elif method in {*_WAITS, "map_async", "starmap_async"}:
                reasons.append(
                    f"tasks given with `{name}.{method}` (line {node.lineno}) are waited for by "
                    "the pool's shutdown at the end of every iteration, and later code may rely "
                    "on that"
                )
            else:
                reasons.append(
                    f"the pool is used as `{self.text(use or node)}` (line {node.lineno}), "
                    "so its uses cannot be followed"
                )
        return reasons

    # --- CA205, CA207: what is handed to a pool -------------------------------------------------

    def pool_method(self, call: ast.Call, pool: str, method: str) -> None:
        if pool in PROCESS_POOLS and method in _PICKLING_METHODS[_pool_family(pool)]:
            self.check_picklable(call, method)
        waits = _WAITS.get(method)
        if waits is None or not self.loops:
            return
        if (method == "submit") != (pool in EXECUTORS):
            return  # `submit` is an executor's, `apply`/`apply_async` a multiprocessing pool's
        self.check_serial_submit(call, method, waits)

    def check_serial_submit(self, call: ast.Call, method: str, waits: Sequence[str]) -> None:
        loop = self.loops[-1]
        parent = self.parents[-1]
        grand = self.parents[-2] if len(self.parents) > 1 else None
        assert isinstance(call.func, ast.Attribute)
        receiver = self.text(call.func.value)
        index = self.statement_index(loop)
        wait: ast.Call | None = None
        if method == "apply":
            end: ast.AST = call
            message = (
                f"`{receiver}.apply(...)` inside {loop.phrase} blocks until each task is done, "
                f"so the tasks run one at a time: use `{receiver}.map` (or `apply_async` for "
                "all, then collect)"
            )
        elif _is_method_call(parent, grand, waits):
            assert isinstance(grand, ast.Call) and isinstance(parent, ast.Attribute)
            end = grand
            message = (
                f"`{receiver}.{method}(...).{parent.attr}()` inside {loop.phrase} waits for each "
                "task before the next is submitted, so they run one at a time: submit all, then "
                "collect"
            )
        else:
            name = _assigned_name(parent, call)
            wait = _first_wait(name, waits, loop.statements, after=call) if name else None
            if wait is None:
                return
            assert isinstance(wait.func, ast.Attribute)
            end = wait
            message = (
                f"`{name}.{wait.func.attr}()` waits for `{receiver}.{method}(...)` in the same "
                f"iteration of {loop.phrase}, so the tasks run one at a time: submit all, then "
                "collect"
            )
        if index is not None and self.carried(call, loop, index):
            return  # the next submission needs this result: serial by nature
        reasons = list(self.loop_reasons(loop))
        task = call.args[0] if call.args else None
        effects = self.callable_effects(task)
        if wait is not None and index is not None:
            wait_index = next(
                (
                    i
                    for i, s in enumerate(loop.statements)
                    if s.lineno <= wait.lineno <= (s.end_lineno or s.lineno)
                ),
                index,
            )
            if wait_index > index + 1:
                reasons.append(
                    f"code runs between the submission and the wait (line "
                    f"{loop.statements[index + 1].lineno}); submitting all first reorders it"
                )
        safety, why = _safety(reasons)
        self.add(
            "CA205",
            call,
            message,
            end=end,
            kind=_kind_of(effects),
            suggestion="bounded_pool",
            fix_safety=safety,
            reasons=why,
        )

    def carried(self, call: ast.Call, loop: _Loop, index: int) -> set[str]:
        """Names the submission reads that this iteration writes at or after it: the next
        submission needs this iteration's result (``state = pool.submit(step, state).result()``)."""
        reads = _read_names([*call.args, *call.keywords])
        before = _stored_names(loop.statements[:index])
        after = _stored_names(loop.statements[index:])
        own = (
            bound_names(loop.node.target)
            if isinstance(loop.node, ast.For | ast.AsyncFor)
            else set()
        )
        return (reads & after) - before - own

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

    def check_picklable(self, call: ast.Call, method: str) -> None:
        given = call.args[0] if call.args else None
        given = given or next((k.value for k in call.keywords if k.arg in ("fn", "func")), None)
        task = self.unpicklable_task(self.unwrap_partial(given))
        if task is None:
            return
        assert isinstance(call.func, ast.Attribute)
        sent = f"`{self.text(call.func)}`"
        if task.problem == "bound":
            self.add(
                "CA207",
                call,
                f"{sent} sends {task.described} to a process pool, which cannot pickle it: move "
                "the work into a module-level function that takes plain data",
                kind="unknown",
                suggestion="process_pool",
                fix_safety="none",
                reasons=task.reasons,
            )
            return
        body = _body(task.node)
        effects = self.facts.effects.effects_of(body)
        safety, why = _safety(task.reasons)
        self.add(
            "CA207",
            call,
            f"{sent} sends {task.described} to a process pool, which cannot pickle it: define "
            "it as a function at module level",
            kind=_kind_of(effects),
            suggestion="process_pool",
            fix_safety=safety,
            reasons=why,
        )

    def unpicklable_task(self, given: ast.expr | None) -> _Task | None:
        if isinstance(given, ast.Lambda):
            return _Task("lambda", "a lambda", given, self.free_variables(given, self.scope))
        if isinstance(given, ast.Name):
            found = self.single_binding(given.id, self.scope)
            if found is None:
                return None
            owner, binding = found
            if isinstance(binding, ast.Lambda):
                described = f"`{given.id}`, a lambda,"
                return _Task("lambda", described, binding, self.free_variables(binding, owner))
            if (
                isinstance(binding, (ast.FunctionDef, ast.AsyncFunctionDef))
                and owner.kind == "function"
            ):
                outer = getattr(owner.node, "name", "lambda")
                reasons = self.free_variables(binding, owner)
                if given.id in self.module.bindings or given.id in self.facts.resolver.aliases:
                    reasons += (f"a module-level `{given.id}` already exists",)
                if binding.decorator_list:
                    reasons += ("it is decorated: the decorator must work at module level too",)
                described = f"`{given.id}`, a function nested in `{outer}()`,"
                return _Task("nested", described, binding, reasons)
            return None
        if isinstance(given, ast.Attribute):
            instance = self.qualify(given.value)
            cls = self.module_class(instance)
            if cls is None or not (instance or "").endswith("()"):
                return None  # not an instance of a class of this module
            held = self.unpicklable_attribute(cls, set())
            if held is None or self.method_kind(cls, given.attr, set()) != "method":
                return None
            attribute, creator = held
            described = (
                f"`{self.text(given)}`, a bound method of a `{cls.name}` whose `{attribute}` "
                f"holds a `{creator}`,"
            )
            reason = (
                f"no mechanical fix: pickling `{self.text(given)}` pickles its `{cls.name}` "
                f"instance, and `{creator}` cannot be pickled; split the work from the object"
            )
            return _Task("bound", described, cls, (reason,))
        return None

    def free_variables(self, function: ast.AST, where: _Scope) -> tuple[str, ...]:
        """Reasons: names ``function`` reads from an enclosing function (they must become
        parameters when it moves to module level)."""
        own = _Scope(function, where, "function")
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
            owner = self.owner(variable, where)
            if owner is not None and owner.kind == "function":
                reasons.append(
                    f"{what} uses `{variable}` of the enclosing function: it must become a "
                    "parameter (passed with `functools.partial`)"
                )
        return tuple(reasons)

    def unpicklable_attribute(self, cls: ast.ClassDef, seen: set[str]) -> tuple[str, str] | None:
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
            scope = _Scope(init, self.module, "function")
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
                    created = self.qualify(node.value, scope) or ""
                    creator = _canonical(created.removesuffix("()"))
                    if created.endswith("()") and creator in UNPICKLABLE:
                        return target.attr, creator
        for base in cls.bases:
            parent = self.module_class(self.qualify(base, self.module))
            if parent is not None and (held := self.unpicklable_attribute(parent, seen)):
                return held
        return None

    def method_kind(self, cls: ast.ClassDef, name: str, seen: set[str]) -> str | None:
        """ "method", "static" or "class" for a method defined in ``cls`` or its bases here."""
        if cls.name in seen:
            return None
        seen.add(cls.name)
        for statement in cls.body:
            if isinstance(statement, (ast.FunctionDef, ast.AsyncFunctionDef)) and (
                statement.name == name
            ):
                decorators = _decorator_names(statement)
                if "staticmethod" in decorators:
                    return "static"
                return "class" if "classmethod" in decorators else "method"
        for base in cls.bases:
            parent = self.module_class(self.qualify(base, self.module))
            if parent is not None and (kind := self.method_kind(parent, name, seen)):
                return kind
        return None


# --- small shape helpers ---------------------------------------------------------------------


def _is_method_call(attribute: ast.AST, call: ast.AST | None, methods: Iterable[str]) -> bool:
    """``attribute`` is ``<x>.m`` with m in ``methods``, called by ``call``."""
    return (
        isinstance(attribute, ast.Attribute)
        and attribute.attr in methods
        and isinstance(call, ast.Call)
        and call.func is attribute
    )


def _assigned_name(parent: ast.AST, value: ast.AST) -> str | None:
    """``name`` when ``parent`` is ``name = value`` (or ``name := value``)."""
    if isinstance(parent, ast.Assign) and parent.value is value and len(parent.targets) == 1:
        target: ast.expr = parent.targets[0]
    elif isinstance(parent, (ast.AnnAssign, ast.NamedExpr)) and parent.value is value:
        target = parent.target
    else:
        return None
    return target.id if isinstance(target, ast.Name) else None


def _appended_to(parent: ast.AST, value: ast.AST) -> str | None:
    """``c`` when ``parent`` is ``c.append(value)``."""
    if (
        isinstance(parent, ast.Call)
        and isinstance(parent.func, ast.Attribute)
        and parent.func.attr == "append"
        and isinstance(parent.func.value, ast.Name)
        and len(parent.args) == 1
        and parent.args[0] is value
    ):
        return parent.func.value.id
    return None


@dataclass
class _Uses:
    """How a name is used in a loop body: methods called on it, lists it is appended to."""

    calls: dict[str, list[ast.Call]] = field(default_factory=dict)
    appended_to: str | None = None
    other: int = 0

    def called(self, method: str) -> bool:
        return bool(self.calls.get(method))


def _method_uses(name: str, statements: Sequence[ast.stmt]) -> _Uses:
    uses = _Uses()
    for node, up in _with_ancestors(statements):
        if not (isinstance(node, ast.Name) and node.id == name and isinstance(node.ctx, ast.Load)):
            continue
        parent = up[-1] if up else None
        grand = up[-2] if len(up) > 1 else None
        if _is_method_call(parent, grand, ("start", "join")):
            uses.calls.setdefault(parent.attr, []).append(grand)  # type: ignore[union-attr,arg-type]
        elif parent is not None and (collection := _appended_to(parent, node)):
            uses.appended_to = collection
        else:
            uses.other += 1
    return uses


def _consumes(holder: ast.AST | None, call: ast.AST | None) -> bool:
    """``list(pool.map(...))``, ``for r in pool.map(...)``: the results are read right away."""
    if isinstance(holder, ast.Call):
        return call is not holder.func
    return isinstance(holder, (ast.For, ast.AsyncFor, ast.comprehension)) and holder.iter is call


def _first_wait(
    name: str, waits: Sequence[str], statements: Sequence[ast.stmt], after: ast.AST
) -> ast.Call | None:
    """The first ``name.result()`` (or another wait) in ``statements`` after ``after``."""
    start = (after.end_lineno, after.end_col_offset)  # type: ignore[attr-defined]
    found = [
        node
        for node in walk_scope(statements)
        if isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr in waits
        and isinstance(node.func.value, ast.Name)
        and node.func.value.id == name
        and (node.lineno, node.col_offset) >= start
    ]
    return min(found, key=lambda n: (n.lineno, n.col_offset), default=None)


@dataclass(frozen=True, slots=True)
class _Collections:
    """Names of lists whose items a loop starts, joins, or uses some other way."""

    started: frozenset[str]
    joined: frozenset[str]
    other: frozenset[str]


def _item_methods(loop: ast.For | ast.AsyncFor) -> set[str]:
    """Methods a loop's body calls on its variable (``for t in ts: t.start()`` → start)."""
    if not isinstance(loop.target, ast.Name):
        return {"<other>"}
    methods: set[str] = set()
    for node, up in _with_ancestors(loop.body):
        if isinstance(node, ast.Name) and node.id == loop.target.id:
            parent = up[-1] if up else None
            called = _is_method_call(parent, up[-2] if len(up) > 1 else None, ("start", "join"))
            methods.add(parent.attr if called else "<other>")  # type: ignore[union-attr]
    return methods


def _element_methods(comprehension: ast.AST) -> set[str]:
    """The method ``[t.m() for t in ts]`` calls on each item; ``<other>`` for anything else."""
    element = getattr(comprehension, "elt", None)
    generators = getattr(comprehension, "generators", [])
    if (
        len(generators) == 1
        and isinstance(generators[0].target, ast.Name)
        and isinstance(element, ast.Call)
        and isinstance(element.func, ast.Attribute)
        and isinstance(element.func.value, ast.Name)
        and element.func.value.id == generators[0].target.id
    ):
        return {element.func.attr}
    return {"<other>"}


def _collections_of(statements: Sequence[ast.AST]) -> _Collections:
    started: set[str] = set()
    joined: set[str] = set()
    other: set[str] = set()
    for node, up in _with_ancestors(statements):
        if not (isinstance(node, ast.Name) and isinstance(node.ctx, ast.Load)):
            continue
        parent = up[-1] if up else None
        if isinstance(parent, ast.Attribute) and parent.attr == "append":
            continue
        if isinstance(parent, (ast.For, ast.AsyncFor)) and parent.iter is node:
            methods = _item_methods(parent)
        elif isinstance(parent, ast.comprehension) and parent.iter is node and len(up) > 1:
            methods = _element_methods(up[-2])
        else:
            other.add(node.id)
            continue
        if "start" in methods:
            started.add(node.id)
        if "join" in methods:
            joined.add(node.id)
        if methods - {"start", "join"}:
            other.add(node.id)
    return _Collections(frozenset(started), frozenset(joined), frozenset(other))


def detect_pool_rules(facts: ModuleFacts) -> list[Finding]:
    """CA201, CA202, CA205, CA206, CA207 and CA208 from source alone."""
    imported = {name.split(".")[0] for name in facts.resolver.aliases.values()}
    if not imported & _PACKAGES:
        return []
    walker = _PoolWalker(facts)
    walker.visit_all(facts.source.tree.body)
    return walker.findings
