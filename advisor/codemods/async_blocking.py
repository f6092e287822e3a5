"""CA301: a blocking call inside ``async def`` → its awaitable twin or ``asyncio.to_thread``.

Which call becomes what is data (``rules/knowledge/async.toml``): an entry whose suggestion is not
``to_thread`` names a drop-in coroutine taking the same arguments (``time.sleep`` →
``await asyncio.sleep``); every other blocking call keeps running as it is, on a worker thread
(``await asyncio.to_thread(f, *args, **kwargs)``), so the event loop goes on meanwhile. The call
is picked with the analysis's own name resolution, so exactly the flagged call is rewritten.
"""

from __future__ import annotations

import ast
import dataclasses
import re
from pathlib import Path

import libcst as cst

from advisor.analysis.concurrency_knowledge import EventLoop, load_concurrency_knowledge
from advisor.analysis.knowledge import AsyncReplacement, CallKnowledge, load_knowledge
from advisor.codemods.async_common import (
    Edit,
    Region,
    ResolvedCall,
    as_primary,
    attribute_chain,
    await_,
    cst_call_at,
    finish,
    flagged_calls,
    parse_around,
    rebinds,
)
from advisor.errors import RewriteError
from advisor.model import Finding

__all__ = ["fix_blocking_call_in_async"]

# The finding names its call: "blocking call `time.sleep` inside `async def poll`: ...". When two
# blocking calls share the finding's lines, this picks the one the finding is about.
_NAMED_CALL = re.compile(r"blocking call `([^`]+)`")

_DOTTED = re.compile(r"[A-Za-z_]\w*(\.[A-Za-z_]\w*)+")


def fix_blocking_call_in_async(source: str, finding: Finding) -> str:
    """CA301: ``time.sleep(x)`` → ``await asyncio.sleep(x)``; another blocking ``f(a, k=v)`` →
    ``await asyncio.to_thread(f, a, k=v)`` — or the same with the event-loop library the module
    runs its coroutines on (``trio.sleep``, ``anyio.to_thread.run_sync``); refused when that
    library cannot be told."""
    knowledge = load_knowledge()
    parsed = parse_around(source, finding.line, finding.end_line)
    concurrency = load_concurrency_knowledge()
    loop = concurrency.event_loop_of(parsed.source.tree)
    if isinstance(loop, str):  # the analysis made this fix unsafe for it; asyncio is assumed
        loop = concurrency.event_loop("asyncio") or loop
    named = _NAMED_CALL.search(finding.message)
    edits: dict[cst.CSTNode, Edit] = {}
    imports: list[str] = []
    unused: list[tuple[str, str | None, str | None]] = []
    problems: list[str] = []
    for resolved in flagged_calls(parsed, finding):
        replacement = _flagged(resolved, knowledge)
        if replacement is None:
            continue
        shown = (resolved.qualified or "").removeprefix("builtins.")
        if named is not None and shown != named.group(1):
            continue
        node = cst_call_at(parsed, resolved)
        if _directly_awaited(parsed, node):
            continue  # an async API: the analysis does not flag it either
        reason = _refusal(parsed, node, replacement)
        if reason is not None:
            problems.append(f"`{shown}` {reason}")
            continue
        module = _module_of(replacement)
        if rebinds(parsed, module.split(".")[0], at=node):
            problems.append(f"the module binds `{module.split('.')[0]}` to something else")
            continue
        own = _in_library(replacement, loop, node)
        if isinstance(own, str):
            problems.append(f"`{shown}` {own}")
            continue
        replacement, module = own, _module_of(own)
        patched = _patched_by_name(finding.path, parsed, node.func)
        if patched is not None:
            problems.append(f"`{shown}` {patched}")
            continue
        edits[node] = _rewrite(parsed, node, replacement)
        imports.append(module)
        if not _on_thread(replacement):
            unused += _import_of(parsed, node.func)
    if not edits:
        raise RewriteError(problems[0] if problems else "no blocking call inside async def here")
    return finish(parsed, source, edits, imports=dict.fromkeys(imports), unused=unused)


def _flagged(resolved: ResolvedCall, knowledge: CallKnowledge) -> AsyncReplacement | None:
    """The replacement of a call the analysis reports as CA301, else None."""
    qualified = resolved.qualified
    if not resolved.in_async or qualified is None or not knowledge.blocks_in_async(qualified):
        return None
    if knowledge.on_blocking_result(qualified):
        return None  # `requests.get(u).json()`: the method of a blocking call's result
    return knowledge.replacement_in_async(qualified)


def _directly_awaited(parsed: Region, node: cst.Call) -> bool:
    parent = parsed.parents.get(node)
    if isinstance(parent, cst.Await):
        return True
    if isinstance(parent, cst.WithItem):
        owner = parsed.parents.get(parent)
        return isinstance(owner, cst.With) and owner.asynchronous is not None
    return isinstance(parent, cst.For) and parent.asynchronous is not None and parent.iter is node


def _refusal(parsed: Region, node: cst.Call, replacement: AsyncReplacement) -> str | None:
    """Why this call cannot become an ``await`` where it stands, if it cannot."""
    if replacement.switches_client:
        first = replacement.replacement.split(",")[0].strip()
        return f"is best replaced by {first}: a design change, not applied automatically"
    if not _on_thread(replacement) and not _DOTTED.fullmatch(replacement.replacement):
        return f"has no drop-in replacement ({replacement.replacement})"
    parent = parsed.parents.get(node)
    if isinstance(parent, cst.WithItem):
        return (
            "opens a `with` block: move the whole block into a function and run that with "
            "`asyncio.to_thread`"
        )
    for ancestor in parsed.ancestors(node):
        if isinstance(ancestor, cst.FunctionDef):
            return None
        if isinstance(ancestor, cst.Await):
            return "is already inside an `await` expression"
        if isinstance(ancestor, cst.GeneratorExp):
            return "is in a generator expression, which `await` would turn into an async one"
        if isinstance(ancestor, cst.Lambda | cst.ClassDef):
            return "is in a lambda or class body, where `await` is not allowed"
    return "is not inside a function"


def _module_of(replacement: AsyncReplacement) -> str:
    """The module whose function the rewrite calls (``asyncio``, ``trio.to_thread``...)."""
    return replacement.replacement.rpartition(".")[0]


def _in_library(
    replacement: AsyncReplacement, loop: EventLoop | str, node: cst.Call
) -> AsyncReplacement | str:
    """``replacement`` (asyncio's, from the knowledge) in the module's own event-loop library, or
    why there is none."""
    if isinstance(loop, str):
        return loop  # no knowledge of asyncio itself: nothing to write
    if _on_thread(replacement):
        if loop.library != "asyncio" and any(a.keyword is not None for a in node.args):
            return f"passes keyword arguments, which `{loop.to_thread}` does not forward"
        return dataclasses.replace(replacement, replacement=loop.to_thread)
    if replacement.replacement == "asyncio.sleep":
        return dataclasses.replace(replacement, replacement=loop.sleep)
    if loop.library != "asyncio":
        return f"has no drop-in replacement in {loop.library}"
    return replacement


# A module's name followed by one of its names, in a string: a mock target (`"jobs.time.sleep"`)
_DOTTED_STRING = re.compile(r"""["']([A-Za-z_][\w.]*)["']""")


def _patched_by_name(path: str, parsed: Region, func: cst.BaseExpression) -> str | None:
    """Why the call must stay when code patches it by name: ``__all__`` re-exports the module it
    comes from, or a file of the project (beside this one, or its tests) names
    ``<this module>.<that name>`` in a string (``mock.patch("jobs.time.sleep")``), so the call
    is what a test replaces."""
    root = func
    while isinstance(root, cst.Attribute):
        root = root.value
    if not isinstance(root, cst.Name):
        return None
    name = root.value
    exported = _exported(parsed.source.tree)
    if name in exported:
        return f"comes from `{name}`, which the module re-exports in `__all__`"
    module = Path(path).stem
    wanted = f"{module}.{name}"
    for other in _neighbours(Path(path)):
        try:
            text = other.read_text(encoding="utf-8", errors="replace")
        except OSError:
            continue
        if wanted not in text:
            continue
        for target in _DOTTED_STRING.findall(text):
            if target == wanted or target.startswith(wanted + ".") or target.endswith("." + wanted):
                return f"is patched by name in {other.name} (`{target}`): a test replaces it there"
    return None


def _exported(tree: ast.Module) -> set[str]:
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(
            isinstance(t, ast.Name) and t.id == "__all__" for t in node.targets
        ):
            value = node.value
            if isinstance(value, ast.List | ast.Tuple):
                return {
                    e.value
                    for e in value.elts
                    if isinstance(e, ast.Constant) and isinstance(e.value, str)
                }
    return set()


# The project files a fix looks at for mock targets: this file's folder, its parent, and their
# test folders, at most this many files (a fix must stay cheap on a big tree).
_NEIGHBOUR_LIMIT = 400


def _neighbours(path: Path) -> list[Path]:
    folders = [path.parent, path.parent.parent]
    folders += [f / name for f in list(folders) for name in ("tests", "test")]
    found: list[Path] = []
    for folder in dict.fromkeys(folders):
        if not folder.is_dir():
            continue
        for candidate in sorted(folder.glob("*.py")):
            if candidate.resolve() != path.resolve():
                found.append(candidate)
            if len(found) >= _NEIGHBOUR_LIMIT:
                return found
    return found


def _on_thread(replacement: AsyncReplacement) -> bool:
    return replacement.suggestion == "to_thread"


def _rewrite(parsed: Region, old: cst.Call, replacement: AsyncReplacement) -> Edit:
    """The edit turning the (updated: its arguments may hold rewrites of their own) call into
    ``await twin(args)`` or ``await asyncio.to_thread(f, args)``."""

    def apply(updated: cst.CSTNode) -> cst.CSTNode:
        if not isinstance(updated, cst.Call):
            raise RewriteError("unexpected code shape: `updated` is not a Call")
        if _on_thread(replacement):
            func = updated.func.with_changes(lpar=[], rpar=[])
            comma = cst.Comma(whitespace_after=cst.SimpleWhitespace(" "))
            first = cst.Arg(func, comma=comma) if updated.args else cst.Arg(func)
            new = cst.Call(
                func=attribute_chain(replacement.replacement),
                args=[first, *updated.args],
            )
        else:
            new = cst.Call(func=attribute_chain(replacement.replacement), args=updated.args)
        return as_primary(parsed, old, await_(new))

    return apply


def _import_of(
    parsed: Region, func: cst.BaseExpression
) -> list[tuple[str, str | None, str | None]]:
    """The module-level import binding the root name of ``func``, as RemoveImportsVisitor
    wants it: (module, name, alias)."""
    root = func
    while isinstance(root, cst.Attribute):
        root = root.value
    if not isinstance(root, cst.Name):
        return []
    name = root.value
    for node in parsed.source.tree.body:
        if isinstance(node, ast.Import):
            for alias in node.names:
                if (alias.asname or alias.name) == name:
                    return [(alias.name, None, alias.asname)]
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            for alias in node.names:
                if (alias.asname or alias.name) == name:
                    return [(node.module, alias.name, alias.asname)]
    return []
