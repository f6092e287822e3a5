"""Names resolved per function: a local bound once to a known constructor (``client =
httpx.Client()``, ``async with asyncio.TaskGroup() as tg``, a parameter annotated ``client:
httpx.Client``, a local ``import``) resolves like a module-level instance, and a local that
shadows an import or a builtin (``def f(open): open(x)``) resolves to nothing. The analysis and
the fixers resolve the same call the same way, from this one reading of each scope's bindings.
"""

from __future__ import annotations

import ast
from collections.abc import Sequence
from dataclasses import dataclass, field

from advisor.syntax.bindings import bindings, declarations, target_names
from advisor.syntax.resolve import NameResolver
from advisor.syntax.statements import FUNCTIONS, statements_in

__all__ = [
    "FunctionScopes",
    "Scope",
    "annotated_instance",
    "instance_attributes",
    "int_value",
    "module_constants",
    "scope_of",
]

FunctionNode = ast.FunctionDef | ast.AsyncFunctionDef


@dataclass
class Scope:
    """What a function's body binds: its resolver, the functions it defines, and the names bound
    once to an int (``TOTAL = 25``), enclosing scopes' included."""

    resolver: NameResolver
    functions: dict[str, FunctionNode]
    constants: dict[str, int] = field(default_factory=dict)


def _union_members(annotation: ast.expr, resolver: NameResolver) -> list[ast.expr]:
    """``A | None`` and ``Optional[A]`` / ``Union[A, B]`` → their members; else the annotation."""
    if isinstance(annotation, ast.BinOp) and isinstance(annotation.op, ast.BitOr):
        return [
            *_union_members(annotation.left, resolver),
            *_union_members(annotation.right, resolver),
        ]
    if isinstance(annotation, ast.Subscript) and resolver.qualify(annotation.value) in (
        "typing.Optional",
        "typing.Union",
    ):
        inner = annotation.slice
        return list(inner.elts) if isinstance(inner, ast.Tuple) else [inner]
    return [annotation]


def annotated_instance(annotation: ast.expr | None, resolver: NameResolver) -> str | None:
    """``client: httpx.Client | None`` binds an instance: ``httpx.Client()``."""
    if annotation is None:
        return None
    for member in _union_members(annotation, resolver):
        if isinstance(member, ast.Constant) and member.value is None:
            continue
        qualified = resolver.qualify(member)
        if qualified is not None:
            return f"{qualified}()"
    return None


def _bound_value(value: ast.expr | None, resolver: NameResolver) -> str | None:
    return resolver.qualify(value) if isinstance(value, ast.Call) else None


def _instance_value(value: ast.expr | None, resolver: NameResolver) -> str | None:
    """A known instance: made by a call, or a name that already holds one (``self.s = s``)."""
    if isinstance(value, ast.Name):
        qualified = resolver.qualify(value)
        return qualified if qualified is not None and qualified.endswith("()") else None
    return _bound_value(value, resolver)


def _single_name(targets: list[ast.expr]) -> bool:
    return len(targets) == 1 and isinstance(targets[0], ast.Name)


def _kind(node: ast.AST, imported: str | None, resolver: NameResolver) -> str | None:
    """What a binding binds the name to, when it is a known instance (or a module, for an
    import); None for anything else."""
    if isinstance(node, ast.Assign):
        return _bound_value(node.value, resolver) if _single_name(node.targets) else None
    if isinstance(node, ast.AnnAssign):
        return annotated_instance(node.annotation, resolver) or _bound_value(node.value, resolver)
    if isinstance(node, ast.withitem) and node.optional_vars is not None:
        single = isinstance(node.optional_vars, ast.Name)
        return _bound_value(node.context_expr, resolver) if single else None
    if isinstance(node, ast.Import | ast.ImportFrom):
        return imported
    return None


def scope_of(
    function: FunctionNode | ast.Lambda,
    enclosing: Scope,
    attributes: dict[str, str] | None = None,
) -> Scope:
    """The scope inside ``function``: its locals shadow the enclosing scope's names unless every
    binding of a local is the same known instance. Read twice, so that a local made from
    another local (``pool = ctx.Pool()`` after ``ctx = multiprocessing.get_context()``)
    resolves too. A method of a class is given its class's ``instance_attributes``: its first
    parameter's attributes resolve to them (``self.session.get``)."""
    first = _scope_reading(function, enclosing, enclosing.resolver)
    # a second reading sees locals made from locals; with no local instance there are none
    found = first.resolver.aliases.keys() - enclosing.resolver.aliases.keys()
    scope = _scope_reading(function, enclosing, first.resolver) if found else first
    me = _first_parameter(function) if attributes else None
    if me is None:
        return scope
    resolver = scope.resolver
    mine = {f"{me}.{attribute}": kind for attribute, kind in attributes.items()}  # type: ignore[union-attr]
    return Scope(
        NameResolver(
            resolver.aliases,
            resolver.defined,
            resolver.attributes | mine,
            resolver.made,
            resolver.returns,
        ),
        scope.functions,
        scope.constants,
    )


def _first_parameter(function: FunctionNode | ast.Lambda) -> str | None:
    """The instance parameter of a method (``self``): none for a static or class method."""
    if not isinstance(function, FUNCTIONS):
        return None
    for decorator in function.decorator_list:
        if isinstance(decorator, ast.Name) and decorator.id in ("staticmethod", "classmethod"):
            return None
    positional = [*function.args.posonlyargs, *function.args.args]
    return positional[0].arg if positional else None


def instance_attributes(cls: ast.ClassDef, enclosing: Scope) -> dict[str, str]:
    """The attributes of the class's instances that hold a known instance in every method:
    ``self.session = requests.Session()`` in ``__init__`` (or an annotation ``session:
    requests.Session`` in the class body), when nothing in the class binds it to anything else.
    Code outside the class is not seen: a subclass or a caller that rebinds the attribute."""
    kinds: dict[str, str | None] = {}

    def bind(attribute: str, kind: str | None) -> None:
        kinds[attribute] = kind if kinds.get(attribute, kind) == kind else None

    for statement in cls.body:
        if isinstance(statement, ast.AnnAssign) and isinstance(statement.target, ast.Name):
            bind(statement.target.id, annotated_instance(statement.annotation, enclosing.resolver))
        me = _first_parameter(statement) if isinstance(statement, FUNCTIONS) else None
        if me is None:
            continue
        method = _MethodValues(statement, enclosing)  # type: ignore[arg-type]
        for node in statements_in(statement.body, into_definitions=True):
            if not isinstance(node, ast.Assign | ast.AnnAssign | ast.AugAssign):
                continue
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            for target in targets:
                for attribute in _attributes_of(target, me):
                    name = attribute.attr  # type: ignore[attr-defined]
                    plain = len(targets) == 1 and attribute is target
                    if not plain or isinstance(node, ast.AugAssign) or kinds.get(name, "") is None:
                        bind(name, None)
                    elif isinstance(node, ast.AnnAssign):
                        annotated = annotated_instance(node.annotation, enclosing.resolver)
                        bind(name, annotated or method.instance(node.value))
                    else:
                        bind(name, method.instance(node.value))
    return {name: kind for name, kind in kinds.items() if kind is not None}


class _MethodValues:
    """What a value assigned in a method is, reading the method's own scope only when the
    value is one of its local names (most attributes are set from a parameter or a call)."""

    def __init__(self, method: FunctionNode, enclosing: Scope) -> None:
        self.method, self.enclosing = method, enclosing
        self._scope: Scope | None = None
        args = method.args
        self.annotations = {
            a.arg: a.annotation for a in (*args.posonlyargs, *args.args, *args.kwonlyargs)
        }

    def instance(self, value: ast.expr | None) -> str | None:
        if isinstance(value, ast.Call):  # made by an imported maker (a local one is not seen)
            return _bound_value(value, self.enclosing.resolver)
        if not isinstance(value, ast.Name):
            return None
        if value.id in self.annotations:
            return annotated_instance(self.annotations[value.id], self.enclosing.resolver)
        if self._scope is None:
            self._scope = scope_of(self.method, self.enclosing)
        return _instance_value(value, self._scope.resolver)


def _attributes_of(target: ast.expr, me: str) -> list[ast.expr]:
    """The ``me.attr`` targets in an assignment target, tuples and starred included."""
    if isinstance(target, ast.Attribute):
        is_mine = isinstance(target.value, ast.Name) and target.value.id == me
        return [target] if is_mine else []
    if isinstance(target, ast.Tuple | ast.List):
        return [a for element in target.elts for a in _attributes_of(element, me)]
    if isinstance(target, ast.Starred):
        return _attributes_of(target.value, me)
    return []


def _scope_reading(
    function: FunctionNode | ast.Lambda, enclosing: Scope, reader: NameResolver
) -> Scope:
    outer = enclosing.resolver
    kinds: dict[str, set[str | None]] = {}
    counts: dict[str, int] = {}
    values: dict[str, int] = {}
    functions: dict[str, FunctionNode] = {}

    def bind(name: str, kind: str | None) -> None:
        kinds.setdefault(name, set()).add(kind)
        counts[name] = counts.get(name, 0) + 1

    args = function.args
    for arg in (*args.posonlyargs, *args.args, *args.kwonlyargs, args.vararg, args.kwarg):
        if arg is not None:
            bind(arg.arg, annotated_instance(arg.annotation, outer))
    is_function = isinstance(function, FUNCTIONS)
    body = function.body if is_function else [function.body]
    for binding in bindings(body):
        node = binding.node
        bind(binding.name, _kind(node, binding.imported, reader))
        if isinstance(node, ast.Assign) and _single_name(node.targets):
            value = int_value(node.value, {})
            if value is not None:
                values[binding.name] = value
        elif isinstance(node, FUNCTIONS):
            functions[node.name] = node
    outward = set(declarations(function)) if is_function else set()  # type: ignore[arg-type]
    aliases = dict(outer.aliases)
    defined = set(outer.defined)
    constants = {n: v for n, v in enclosing.constants.items() if n not in kinds or n in outward}
    constants |= {n: v for n, v in values.items() if counts[n] == 1 and n not in outward}
    for name, bound in kinds.items():
        if name in outward:
            continue
        [kind] = bound if len(bound) == 1 else [None]
        if kind is not None:
            aliases[name] = kind
            defined.discard(name)
        else:
            aliases.pop(name, None)
            defined.add(name)
    resolver = NameResolver(
        aliases, frozenset(defined), outer.attributes, outer.made, outer.returns
    )
    return Scope(resolver, functions, constants)


def module_constants(tree: ast.Module) -> dict[str, int]:
    """Module-level names assigned once, to an int: ``WORKERS = 8``."""
    values: dict[str, int | None] = {}
    for statement in tree.body:
        if isinstance(statement, ast.Assign):
            for target in statement.targets:
                for name in (n.id for n in target_names(target)):
                    single = len(statement.targets) == 1 and name not in values
                    values[name] = int_value(statement.value, {}) if single else None
    return {name: value for name, value in values.items() if value is not None}


def int_value(node: ast.expr, constants: dict[str, int]) -> int | None:
    """The int an expression is, when it is a literal (``25``, ``-1``) or a known constant."""
    if isinstance(node, ast.Constant) and type(node.value) is int:
        return node.value
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
        inner = int_value(node.operand, constants)
        return None if inner is None else -inner
    if isinstance(node, ast.Name):
        return constants.get(node.id)
    return None


class FunctionScopes:
    """Each function's :class:`Scope`, read once per module and shared by the analyses that
    ask (the effects of a loop and its independence proof resolve the same names the same
    way); a method's scope knows its class's ``instance_attributes``."""

    def __init__(self, tree: ast.Module, module: Scope) -> None:
        self.module = module
        self._tree = tree
        self._scopes: dict[int, Scope] = {}
        self._attributes: dict[int, dict[str, str]] = {}
        self._method_class: dict[int, ast.ClassDef] | None = None

    def of(self, functions: Sequence[FunctionNode | ast.Lambda]) -> Scope:
        """The scope inside the innermost of ``functions`` (outermost first; none: the module)."""
        scope = self.module
        for function in functions:
            inner = self._scopes.get(id(function))
            if inner is None:
                cls = self._class_of(function)
                attributes = None if cls is None else self._attributes_of(cls, scope)
                inner = self._scopes[id(function)] = scope_of(function, scope, attributes)
            scope = inner
        return scope

    def _attributes_of(self, cls: ast.ClassDef, enclosing: Scope) -> dict[str, str]:
        attributes = self._attributes.get(id(cls))
        if attributes is None:
            attributes = self._attributes[id(cls)] = instance_attributes(cls, enclosing)
        return attributes

    def _class_of(self, function: FunctionNode | ast.Lambda) -> ast.ClassDef | None:
        if self._method_class is None:
            self._method_class = method_classes(self._tree)
        return self._method_class.get(id(function))


def method_classes(tree: ast.Module) -> dict[int, ast.ClassDef]:
    """Each method's class, by the method's id."""
    found: dict[int, ast.ClassDef] = {}
    for statement in statements_in(tree.body, into_definitions=True):
        if isinstance(statement, ast.ClassDef):
            found.update((id(s), statement) for s in statement.body if isinstance(s, FUNCTIONS))
    return found
