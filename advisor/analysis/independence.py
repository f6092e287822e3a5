"""Whether a loop's items are proven independent: the allowlist proof behind a `safe` fix.

A rewrite runs the per-item work of every item at once, in any order. That is `safe` only when
every operation of that work is known to be safe so: a call the knowledge vouches for
(``rules/knowledge/thread_safety.toml``), a same-module function whose own body is proven the same
way, a method of a value made for this item alone, a write into such a value, and reads. Anything
else is a :class:`Doubt` naming it:

- ``checkable``: an effect a verified run can settle (a file written, a command run, a call
  concadvise cannot see into). `fix` treats it as unsafe; `profile --apply` may try it and keeps
  it only when the run behaves the same.
- unsafe: a doubt a run cannot settle, because the harm is a race or an order that one run may
  not show (a write to an object every item shares, ordered output, a seeded generator, a
  thread-bound or thread-local object).

Values are followed by where they come from (their provenance): made during this item's work
(``fresh``: a literal, a call's result), the loop's own item (``item``: one per iteration, of a type
source cannot show), a function's parameter (``param:NAME``: judged at each call by what the caller
passes), or anything else (``shared``: every item sees the same object).
"""

from __future__ import annotations

import ast
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from advisor.analysis.concurrency_knowledge import ConcurrencyKnowledge
from advisor.syntax.bindings import bindings, dotted_name, parameters, target_names
from advisor.syntax.item_flow import MUTATING_METHODS
from advisor.syntax.resolve import NameResolver
from advisor.syntax.scopes import FunctionScopes, Scope
from advisor.syntax.statements import statements_in

FunctionNode = ast.FunctionDef | ast.AsyncFunctionDef

FRESH, ITEM, SHARED = "fresh", "item", "shared"
_PARAM = "param:"
# Constructors of the built-in collections: a value they make belongs to whoever made it.
_ELEMENTS = ("elt", "key", "value")
# What a hazard is only between threads: coroutines gathered on one thread share it harmlessly.
_PER_THREAD = frozenset({"thread_bound", "thread_local", "not_thread_safe"})
_DISPLAYS = (
    ast.List, ast.Tuple, ast.Set, ast.Dict, ast.Constant, ast.ListComp, ast.SetComp, ast.DictComp,
)  # fmt: skip


@dataclass(frozen=True, slots=True)
class Doubt:
    """One operation of the per-item work the proof cannot vouch for, and why."""

    reason: str
    checkable: bool = False  # a verified run settles it; else only --unsafe-fixes applies it
    # the same-module function whose code (or whose use of what it is given) raises it; None:
    # the per-item work itself
    by: str | None = None


@dataclass(frozen=True, slots=True)
class _Summary:
    """What a call of a same-module function does whatever it is given (``doubts``), and what it
    does to each parameter's object (``through``): harmless for a value the caller made for the
    item, a doubt for the item itself, unsafe for an object every item shares."""

    doubts: tuple[Doubt, ...] = ()
    through: dict[str, tuple[str, ...]] = field(default_factory=dict)


def _weakest(kinds: Iterable[str]) -> str:
    """The provenance of a value that may come from any of ``kinds``."""
    found = set(kinds)
    for kind in (SHARED, *sorted(k for k in found if k.startswith(_PARAM)), ITEM):
        if kind in found:
            return kind
    return FRESH


def _code(node: ast.AST) -> str:
    text = ast.unparse(node)
    return text if len(text) <= 40 else text[:37] + "..."


def opens_to_read(call: ast.Call, qualified: str) -> bool:
    """Does this ``open()`` (``io.open``, ``Path.open``) open for reading only?"""
    return _read_mode(call, 0 if qualified.startswith("pathlib") else 1)


def _read_mode(call: ast.Call, position: int) -> bool:
    """Does this open() call open for reading only (its mode a literal without w, a, x or +)?"""
    mode: ast.expr | None = call.args[position] if len(call.args) > position else None
    for keyword in call.keywords:
        if keyword.arg == "mode":
            mode = keyword.value
    if mode is None:
        return True
    return (
        isinstance(mode, ast.Constant)
        and isinstance(mode.value, str)
        and not set(mode.value) & set("wax+")
    )


class IndependenceProof:
    """The proof for the loops of one module: same-module functions are summarised once."""

    def __init__(
        self,
        tree: ast.Module,
        scopes: FunctionScopes,
        knowledge: ConcurrencyKnowledge,
        *,
        cooperative: bool = False,
    ) -> None:
        self.knowledge = knowledge
        # the items are coroutines on one thread (a gather), not threads: what is per thread
        # (thread-bound, thread-local, not thread-safe) is the same for all of them
        self.cooperative = cooperative
        self.tree = tree
        self.scopes = scopes
        self.module_scope = scopes.module
        self.functions: dict[str, FunctionNode] = scopes.module.functions
        self.classes: dict[str, ast.ClassDef] = {
            s.name: s for s in tree.body if isinstance(s, ast.ClassDef)
        }
        # a method name some class of the module defines is not trusted by name alone
        self.defined_methods = frozenset(
            item.name
            for cls in statements_in(tree.body, into_definitions=True)
            if isinstance(cls, ast.ClassDef)
            for item in cls.body
            if isinstance(item, FunctionNode)
        )
        self._summaries: dict[int, _Summary] = {}

    # -- entry points ------------------------------------------------------------------------

    def loop_doubts(
        self,
        loop: ast.For,
        work: Sequence[ast.AST],
        functions: Sequence[FunctionNode],
        accumulator: str | None,
        cls: ast.ClassDef | None = None,
    ) -> list[Doubt]:
        """Doubts about running ``work`` (what each item of ``loop`` runs) concurrently.
        ``functions``: the functions around the loop, innermost first; ``accumulator``: the
        collection the loop fills (its writes are the rewrite's business, not a doubt)."""
        items = {n.id for n in target_names(loop.target)}
        return self._judge_work(work, items, functions, accumulator, cls)

    def comprehension_doubts(
        self,
        comprehension: ast.ListComp | ast.SetComp | ast.DictComp | ast.GeneratorExp,
        functions: Sequence[FunctionNode],
        cls: ast.ClassDef | None = None,
    ) -> list[Doubt]:
        generator = comprehension.generators[0]
        items = {n.id for g in comprehension.generators for n in target_names(g.target)}
        work: list[ast.AST] = [*generator.ifs, *comprehension.generators[1:]]
        work += [
            getattr(comprehension, a) for a in ("elt", "key", "value") if hasattr(comprehension, a)
        ]
        return self._judge_work(work, items, functions, None, cls)

    # -- the walk ----------------------------------------------------------------------------

    def _scope(self, functions: Sequence[FunctionNode]) -> Scope:
        return self.scopes.of(functions[::-1])  # given innermost first

    def _judge_work(
        self,
        work: Sequence[ast.AST],
        items: set[str],
        functions: Sequence[FunctionNode],
        accumulator: str | None,
        cls: ast.ClassDef | None,
    ) -> list[Doubt]:
        scope = self._scope(functions)
        provenance = dict.fromkeys(items, ITEM)
        walker = _Walker(self, scope, provenance, functions, accumulator, cls, by=None)
        walker.settle(work)
        walker.judge(work)
        return list(dict.fromkeys(walker.doubts))

    def summary(self, function: FunctionNode, cls: ast.ClassDef | None = None) -> _Summary:
        key = id(function)
        if key in self._summaries:
            return self._summaries[key]
        self._summaries[key] = _Summary()  # a recursive call adds nothing new
        args = function.args
        provenance = {name: f"{_PARAM}{name}" for name in parameters(args, packed=False)}
        provenance |= {a.arg: FRESH for a in (args.vararg, args.kwarg) if a is not None}
        scope = self._scope([function])
        walker = _Walker(self, scope, provenance, [function], None, cls, by=function.name)
        walker.settle(function.body)
        walker.judge(function.body)
        summary = _Summary(
            tuple(dict.fromkeys(walker.doubts)),
            {p: tuple(dict.fromkeys(r)) for p, r in walker.through.items()},
        )
        self._summaries[key] = summary
        return summary

    def method(self, cls_name: str, name: str) -> tuple[FunctionNode, ast.ClassDef] | None:
        cls = self.classes.get(cls_name)
        if cls is None:
            return None
        for item in cls.body:
            if isinstance(item, FunctionNode) and item.name == name:
                return item, cls
        return None


class _Walker:
    """Judges one body: the per-item work of a loop, or a same-module function's body."""

    def __init__(
        self,
        proof: IndependenceProof,
        scope: Scope,
        provenance: dict[str, str],
        functions: Sequence[FunctionNode],
        accumulator: str | None,
        cls: ast.ClassDef | None,
        by: str | None,
    ) -> None:
        self.proof = proof
        self.knowledge = proof.knowledge
        self.resolver = scope.resolver
        self.provenance = provenance
        self.functions = functions
        self.accumulator = accumulator
        self.cls = cls
        self.by = by  # the function whose body this is; None: the per-item work
        self.doubts: list[Doubt] = []
        self.through: dict[str, list[str]] = {}
        self.instances: dict[str, str] = {}  # local name → module class it was made from
        self._raised: set[int] = set()  # the exceptions `raise` makes: not calls to judge
        self.nested = {
            node.name: node
            for function in functions[:1]
            for node in ast.walk(function)
            if isinstance(node, FunctionNode) and node is not function
        }

    # -- provenance --------------------------------------------------------------------------

    def settle(self, body: Sequence[ast.AST]) -> None:
        """Where each name the body binds comes from; names bound several times take the
        weakest of their values (run twice: an alias may be bound before what it aliases)."""
        found = list(bindings(body))
        for _ in range(2):
            kinds: dict[str, list[str]] = {}
            for binding in found:
                own_target = isinstance(binding.node, ast.For)
                if own_target and self.provenance.get(binding.name) == ITEM:
                    continue  # the loop's own target
                kinds.setdefault(binding.name, []).append(self._bound_kind(binding.node))
            for name, values in kinds.items():
                if self.provenance.get(name, "").startswith(_PARAM):
                    values.append(self.provenance[name])
                self.provenance[name] = _weakest(values)
        for function in self.functions:
            args = function.args
            for arg in (*args.posonlyargs, *args.args, *args.kwonlyargs):
                annotation = arg.annotation
                if isinstance(annotation, ast.Name) and annotation.id in self.proof.classes:
                    self.instances.setdefault(arg.arg, annotation.id)
        for binding in found:
            node = binding.node
            if isinstance(node, ast.Assign) and isinstance(node.value, ast.Call):
                made = node.value.func
                if isinstance(made, ast.Name) and made.id in self.proof.classes:
                    self.instances[binding.name] = made.id

    def _bound_kind(self, node: ast.AST) -> str:
        if isinstance(node, ast.Assign | ast.AnnAssign | ast.NamedExpr):
            return self.kind(node.value) if node.value is not None else FRESH
        if isinstance(node, ast.AugAssign):
            return FRESH  # `x += v` keeps x's own object or makes a new one
        if isinstance(node, ast.For | ast.AsyncFor):
            return self.kind(node.iter)  # an element of the iterable
        if isinstance(node, ast.withitem):
            return self.kind(node.context_expr)
        return FRESH  # imports, defs, except-as, del, match captures: this run's own

    def kind(self, node: ast.AST) -> str:
        """Where the value of an expression comes from."""
        if isinstance(node, ast.Name):
            return self.provenance.get(node.id, SHARED)
        if isinstance(node, ast.Attribute | ast.Subscript | ast.Starred):
            return self.kind(node.value)
        if isinstance(node, ast.Call):
            return self._result_kind(node)
        if isinstance(node, ast.BoolOp):
            return _weakest(self.kind(v) for v in node.values)
        if isinstance(node, ast.IfExp):
            return _weakest([self.kind(node.body), self.kind(node.orelse)])
        if isinstance(node, ast.NamedExpr):
            return self.kind(node.value)
        return FRESH  # literals, displays, comprehensions, arithmetic, f-strings, awaits

    def _result_kind(self, call: ast.Call) -> str:
        """What a call returns: a new value, unless it is a method of an object it may hand a
        part of (``shared.get(k)``, ``item.children()``)."""
        func = call.func
        qualified = self.resolver.qualify(func)
        if qualified is not None:
            if self.knowledge.shared_getters.matches(qualified):
                return SHARED  # `logging.getLogger()`: the one every caller gets
            if "(" not in qualified:
                return FRESH  # a module's function or class, a builtin
            verdict = self.knowledge.verdict(qualified)
            if verdict is not None and verdict.level != "unsafe":
                return FRESH
        if isinstance(func, ast.Attribute) and func.attr not in self.knowledge.value_methods:
            return self.kind(func.value)
        return FRESH

    # -- judging -----------------------------------------------------------------------------

    def doubt(self, reason: str, *, checkable: bool = False, by: str | None = None) -> None:
        """Record a doubt; ``by`` (default: this body's function) says whose code does it."""
        by = by or self.by
        subject = "per-item work " if by is None else f"`{by}()` "
        self.doubts.append(Doubt(f"{subject}{reason}", checkable, by))

    def judge(self, body: Sequence[ast.AST]) -> None:
        stack = list(body)[::-1]
        while stack:
            node = stack.pop()
            if isinstance(node, FunctionNode | ast.ClassDef):
                continue  # runs when called (a call is followed into it)
            self._judge_node(node)
            stack.extend(reversed(list(ast.iter_child_nodes(node))))

    def _judge_node(self, node: ast.AST) -> None:
        if isinstance(node, ast.Call):
            self._judge_call(node)
        elif isinstance(node, ast.Assign | ast.AugAssign | ast.AnnAssign):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            for target in targets:
                self._judge_store(target)
        elif isinstance(node, ast.Delete):
            for target in node.targets:
                self._judge_store(target)
        elif isinstance(node, ast.Global | ast.Nonlocal):
            keyword = "global" if isinstance(node, ast.Global) else "nonlocal"
            names = ", ".join(node.names)
            self.doubt(f"declares `{keyword} {names}`: every item writes the same variable")
        elif isinstance(node, ast.Raise) and isinstance(node.exc, ast.Call):
            # making the exception it raises changes nothing; what it is given is judged
            self._raised.add(id(node.exc))
            raised = node.exc.func
            if self.resolver.qualify(raised) in ("builtins.StopIteration",):
                self.doubt(
                    "raises StopIteration, which a pool's result generator turns into RuntimeError"
                )
        elif isinstance(node, ast.Raise) and node.exc is not None:
            raised = node.exc.func if isinstance(node.exc, ast.Call) else node.exc
            if self.resolver.qualify(raised) in ("builtins.StopIteration",):
                self.doubt(
                    "raises StopIteration, which a pool's result generator turns into RuntimeError"
                )
        elif isinstance(node, ast.For | ast.AsyncFor | ast.comprehension):
            self._judge_iteration(node.iter)
        elif isinstance(node, ast.withitem):
            self._judge_context(node.context_expr)
        elif isinstance(node, ast.Attribute):
            self._judge_attribute(node)

    def _judge_store(self, target: ast.expr) -> None:
        if isinstance(target, ast.Tuple | ast.List | ast.Starred):
            elements = target.elts if not isinstance(target, ast.Starred) else [target.value]
            for element in elements:
                self._judge_store(element)
            return
        if not isinstance(target, ast.Attribute | ast.Subscript):
            return
        root = target.value
        while isinstance(root, ast.Attribute | ast.Subscript):
            root = root.value
        if isinstance(root, ast.Name) and root.id == self.accumulator:
            return  # the collection the loop fills: the rewrite stores into it, in order
        self._changes(self.kind(target.value), f"writes `{_code(target)}`")

    def _changes(self, kind: str, what: str, *, by: str | None = None) -> None:
        """``what`` changes (or may change) an object of provenance ``kind``."""
        if kind == FRESH:
            return
        if kind.startswith(_PARAM):
            self.through.setdefault(kind.removeprefix(_PARAM), []).append(what)
        elif kind == ITEM:
            self.doubt(
                f"{what}, on the loop's item: items that share an object would race",
                checkable=True,
                by=by,
            )
        elif what.startswith("calls"):
            self.doubt(
                f"{what} on an object every item shares, which concadvise cannot vouch for",
                by=by,
            )
        else:
            self.doubt(f"{what}, which every item shares", by=by)

    def _judge_iteration(self, iterable: ast.expr) -> None:
        kind = self.kind(iterable)
        if kind == SHARED and isinstance(iterable, ast.Name) and not self._collection(iterable.id):
            self.doubt(
                f"iterates `{iterable.id}`, which every item shares: an iterator would be "
                "consumed by all of them at once",
                checkable=True,
            )

    def _collection(self, name: str) -> bool:
        """Is the shared ``name`` bound only to displays (a list, tuple, dict, set or string
        literal, or a comprehension), in the function around the loop or the module? Iterating
        those does not consume them, unlike an iterator's."""
        scopes = [self.functions[-1].body] if self.functions else []
        scopes.append(self.proof.tree.body)
        for body in scopes:
            found = [b.node for b in bindings(body) if b.name == name]
            if found:
                return all(
                    isinstance(node, ast.Assign) and isinstance(node.value, _DISPLAYS)
                    for node in found
                )
        return False

    def _judge_context(self, context: ast.expr) -> None:
        if isinstance(context, ast.Call):
            return  # judged as a call
        kind = self.kind(context)
        if kind == FRESH:
            return
        qualified = self.resolver.qualify(context)
        verdict = None if qualified is None else self.knowledge.verdict(f"{qualified}")
        if verdict is not None and verdict.level == "safe":
            return
        self._changes(kind, f"enters `{_code(context)}` as a context manager")

    # -- calls -------------------------------------------------------------------------------

    def _judge_call(self, call: ast.Call) -> None:
        if id(call) in self._raised:
            return
        for argument in (*call.args, *(k.value for k in call.keywords)):
            # a function of the module handed over (`key=score`, `map(parse, ...)`) is called
            if isinstance(argument, ast.Name) and self._callable_here(argument.id):
                self._judge_named_call(ast.Call(func=argument, args=[], keywords=[]), argument)
        func = call.func
        if isinstance(func, ast.Name):
            self._judge_named_call(call, func)
        elif isinstance(func, ast.Attribute):
            self._judge_method_call(call, func)
        else:
            self.doubt(f"calls `{_code(func)}`, which concadvise cannot see", checkable=True)

    def _callable_here(self, name: str) -> bool:
        """Does ``name`` refer to a function or class of this module (not a local value)?"""
        if name in self.nested:
            return self.provenance.get(name) in (None, FRESH)
        return name not in self.provenance and (
            name in self.proof.functions or name in self.proof.classes
        )

    def _judge_named_call(self, call: ast.Call, func: ast.Name) -> None:
        name = func.id
        own = self.provenance.get(name)
        if name in self.nested and own in (None, FRESH):
            self._apply(self.proof.summary(self.nested[name]), call, skip_first=False)
            return
        if own is not None and name not in self.nested:
            self.doubt(f"calls `{name}`, a function value concadvise cannot see", checkable=True)
            return
        if name in self.proof.functions:
            function = self.proof.functions[name]
            self._judge_decorators(function)
            self._apply(self.proof.summary(function), call, skip_first=False)
            return
        if name in self.proof.classes:
            init = self.proof.method(name, "__init__")
            if init is not None:
                self._apply(self.proof.summary(*init), call, skip_first=True)
            return
        self._judge_qualified(call, self.resolver.qualify(func), func)

    def _judge_decorators(self, function: FunctionNode) -> None:
        """A decorated function's call runs its decorator's wrapper first (a cache, a counter)."""
        for decorator in function.decorator_list:
            maker = decorator.func if isinstance(decorator, ast.Call) else decorator
            qualified = self.resolver.qualify(maker)
            verdict = None if qualified is None else self.knowledge.verdict(qualified)
            shown = f"calls `{function.name}()`, wrapped by `{qualified or _code(maker)}`"
            if verdict is None:
                self.doubt(f"{shown}, which concadvise cannot see", checkable=True)
            elif verdict.level == "unsafe":
                self.doubt(f"{shown}: {verdict.reason}")
            elif verdict.level == "checkable":
                self.doubt(f"{shown}: {verdict.reason}", checkable=True)

    def _judge_attribute(self, node: ast.Attribute) -> None:
        """An attribute of an object that is per thread (a ``threading.local``) or bound to the
        thread that made it reads another value, or nothing, in a worker thread."""
        owner = self.resolver.qualify(node.value)
        if self.proof.cooperative or owner is None or not owner.endswith("()"):
            return
        verdict = self.knowledge.verdict(owner.removesuffix("()"))
        if verdict is not None and verdict.section in ("thread_local", "thread_bound"):
            self.doubt(f"uses `{_code(node)}`: {verdict.reason}")

    def _judge_method_call(self, call: ast.Call, func: ast.Attribute) -> None:
        receiver = func.value
        if isinstance(receiver, ast.Name) and receiver.id == self.accumulator:
            return  # the collection the loop fills: the rewrite collects into it, in order
        qualified = self.resolver.qualify(func)
        fresh = self.kind(receiver) == FRESH
        if qualified is not None and self._judge_known(call, qualified, own_object=fresh):
            return
        kind = self.kind(receiver)
        method = func.attr
        cls_name = self._class_of(receiver)
        if cls_name is not None:
            found = self.proof.method(cls_name, method)
            if found is not None:
                summary = self.proof.summary(*found)
                self._apply(summary, call, skip_first=True)
                for what in summary.through.get(_self_name(found[0]), ()):
                    self._changes(kind, what, by=found[0].name)
                return
        if kind == FRESH:
            return  # a method of a value made for this item alone
        trusted = method not in self.proof.defined_methods and (
            method in self.knowledge.value_methods
            or (kind != SHARED and method in self.knowledge.item_methods)
        )
        if trusted:
            return
        if qualified is not None and kind == SHARED and _module_function(self.resolver, receiver):
            # a function of a module no knowledge lists: `somelib.fetch(x)`
            self.doubt(f"calls `{qualified}`, which concadvise cannot vouch for", checkable=True)
            return
        what = f"calls `{_code(func)}()`"
        if method in MUTATING_METHODS and isinstance(receiver, ast.Name):
            what = f"mutates `{receiver.id}` (`.{method}()`)"
        if kind.startswith(_PARAM):
            self.through.setdefault(kind.removeprefix(_PARAM), []).append(what)
        elif kind == ITEM:
            self.doubt(f"{what} on the loop's item, a method concadvise cannot see", checkable=True)
        else:
            root = receiver
            while isinstance(root, ast.Attribute | ast.Subscript | ast.Call):
                root = root.func if isinstance(root, ast.Call) else root.value
            owner = f"`{root.id}`" if isinstance(root, ast.Name) else "an object"
            if what.startswith("mutates"):
                self.doubt(f"{what}, which every item shares")
            else:
                self.doubt(
                    f"{what} on {owner}, an object every item shares, which concadvise cannot "
                    "vouch for"
                )

    def _class_of(self, receiver: ast.expr) -> str | None:
        """The module class of ``self`` in its methods, of a local made by its constructor, or the
        class itself (``Cls.make(...)``, a class method)."""
        if isinstance(receiver, ast.Name):
            if receiver.id in self.proof.classes and receiver.id not in self.provenance:
                return receiver.id
            if (
                self.cls is not None
                and self.functions
                and _self_name(self.functions[0]) == receiver.id
            ):
                return self.cls.name
            return self.instances.get(receiver.id)
        return None

    def _judge_known(self, call: ast.Call, qualified: str, *, own_object: bool = False) -> bool:
        """Judge a call the resolver names; False when the knowledge does not know it.
        ``own_object``: a method of an object made for this item alone, where what the
        knowledge says of a shared one (a hash fed by every item) does not hold; only its
        output still interleaves with the other items'."""
        if self.knowledge.opens_for_reading(qualified):
            position = 0 if qualified.startswith("pathlib") else 1
            if not _read_mode(call, position):
                self.doubt(
                    f"opens a file for writing (`{qualified}`): two items may write the same path, "
                    "or one may read what another wrote",
                    checkable=True,
                )
            return True
        verdict = self.knowledge.verdict(qualified)
        if verdict is None:
            return False
        if self.proof.cooperative and verdict.section in _PER_THREAD:
            return True
        if own_object and verdict.section != "output" and "()." in qualified:
            return True
        if verdict.section == "runs_callable":
            ran = _call_it_runs(call, qualified)  # `pool.submit(f, x)` runs `f(x)`: judge that
            if ran is not None:
                self._judge_call(ran)
            return True
        if verdict.section == "output":
            self.doubt(
                f"produces ordered output (`{qualified}`): concurrent items would interleave it"
            )
        elif verdict.level == "unsafe":
            self.doubt(f"calls `{qualified}`: {verdict.reason}")
        elif verdict.level == "checkable":
            self.doubt(f"calls `{qualified}`: {verdict.reason}", checkable=True)
        return True

    def _judge_qualified(self, call: ast.Call, qualified: str | None, func: ast.expr) -> None:
        if qualified is not None and self._judge_known(call, qualified):
            return
        shown = qualified or _code(func)
        self.doubt(f"calls `{shown}`, which concadvise cannot vouch for", checkable=True)

    def _apply(self, summary: _Summary, call: ast.Call, *, skip_first: bool) -> None:
        """A same-module callee's doubts, and what it does to each argument's object."""
        self.doubts.extend(summary.doubts)
        if not summary.through:
            return
        function = self._callee(call)
        if function is None:
            return
        names = [a.arg for a in (*function.args.posonlyargs, *function.args.args)]
        if skip_first:
            names = names[1:]
        passed: dict[str, ast.expr] = dict(zip(names, call.args, strict=False))
        passed |= {k.arg: k.value for k in call.keywords if k.arg is not None}
        for param, whats in summary.through.items():
            argument = passed.get(param)
            if argument is None:
                continue
            for what in whats:
                self._changes(self.kind(argument), what, by=function.name)

    def _callee(self, call: ast.Call) -> FunctionNode | None:
        func = call.func
        if isinstance(func, ast.Name):
            if func.id in self.nested:
                return self.nested[func.id]
            if func.id in self.proof.functions:
                return self.proof.functions[func.id]
            found = self.proof.method(func.id, "__init__")
            return found[0] if found else None
        if isinstance(func, ast.Attribute):
            cls_name = self._class_of(func.value)
            found = None if cls_name is None else self.proof.method(cls_name, func.attr)
            return found[0] if found else None
        return None


def _call_it_runs(call: ast.Call, qualified: str) -> ast.Call | None:
    """The call a runner makes of its callable: ``submit(f, x)`` → ``f(x)``,
    ``apply_async(f, (x,))`` → ``f(x)``, ``Thread(target=f, args=(x,))`` → ``f(x)``."""
    keywords = {k.arg: k.value for k in call.keywords if k.arg is not None}
    if "target" in keywords or qualified.endswith(("Thread", "Process")):
        target = keywords.get("target")
        packed = keywords.get("args")
        if target is None:
            return None
        args = list(packed.elts) if isinstance(packed, ast.Tuple | ast.List) else []
        return ast.Call(func=target, args=args, keywords=[])
    if not call.args:
        return None
    if qualified.endswith(("apply", "apply_async")):
        packed = call.args[1] if len(call.args) > 1 else keywords.get("args")
        args = list(packed.elts) if isinstance(packed, ast.Tuple | ast.List) else []
        return ast.Call(func=call.args[0], args=args, keywords=[])
    return ast.Call(func=call.args[0], args=call.args[1:], keywords=call.keywords)


def _self_name(function: FunctionNode) -> str:
    args = [*function.args.posonlyargs, *function.args.args]
    return args[0].arg if args else ""


def _module_function(resolver: NameResolver, receiver: ast.expr) -> bool:
    """Is ``receiver`` an imported module (``somelib`` of ``somelib.fetch``), not an instance?"""
    dotted = dotted_name(receiver)
    if dotted is None:
        return False
    qualified = resolver.qualify(receiver)
    return qualified is not None and "(" not in qualified


__all__ = ["Doubt", "IndependenceProof", "opens_to_read"]
