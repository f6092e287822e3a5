"""Run the user's program as Python would, counting the iterations of its loops.

    python /path/to/bootstrap.py SCRIPT [ARGS...]
    python /path/to/bootstrap.py -m MODULE [ARGS...]

The profiler sees where the time goes; the cost model also needs how many items a loop has, since
W workers take about ceil(N / W) item-times, not T / W. Before the code runs, the iterable of each
candidate loop (every `for` loop and the first comprehension of a simple statement: the sites of
``advisor/analysis/loops.py``) of the script and of the user's other modules under
``$CONCADVISE_USER_DIR`` is wrapped, in the syntax tree, in a call of that site's own counter:

    for url in urls:   ->   for url in __concadvise_loop_7__(urls):

The counter adds one to the site's entries and returns a list, tuple, str, dict, range... itself
after adding its len() (no cost per item), anything else inside ``itertools.compress(it,
count(1))`` (C code: ~10 ns an item, no Python call). A loop that may stop early (break, return,
raise, yield, a generator expression) is always counted item by item. After ENTRY_CAP entries a
site is an inner loop whose count is known well enough: its name is rebound to the builtin `iter`,
so a loop entered millions of times costs ~30 ns an entry, not ~300 (measured on word_scores.py).

Counts are written as JSON to ``$CONCADVISE_LOOP_COUNTS`` at exit (also after an uncaught
exception or Ctrl-C); ``os._exit`` and SIGKILL leave no counts, and the advice then does without.

Everything else is as ``python SCRIPT`` would have it: ``__main__`` with the real ``__file__``,
``sys.argv``, ``sys.path[0]``, the environment minus our two variables, tracebacks without our
frames and with the script's own line numbers (the tree keeps every node's position), and the
exit status (a KeyboardInterrupt still ends the process by SIGINT). ``sys.orig_argv`` shows this
file. This file imports only the standard library: it runs in the user's interpreter, first.
"""

import sys

# This file runs in the user's Python, which may be older than ours: say so in one line before
# anything newer runs (the syntax below parses on 3.6).
if sys.version_info < (3, 11):  # noqa: UP036
    older = "%d.%d" % sys.version_info[:2]  # noqa: UP031
    sys.exit("concadvise runs programs on Python 3.11 or newer, not " + older)

if __name__ == "__main__":
    # Python put this file's directory first on sys.path; our own modules there (select.py)
    # would shadow the standard library's for the imports below and for the user's program.
    del sys.path[0]

import ast
import atexit
import builtins
import contextlib
import itertools
import json
import os
import signal
import threading
import time
import types
from importlib.machinery import PathFinder, SourceFileLoader

try:
    import resource
except ImportError:  # not on Unix: no CPU time of children
    resource = None  # type: ignore[assignment]

COUNTS_ENV = "CONCADVISE_LOOP_COUNTS"
USER_DIR_ENV = "CONCADVISE_USER_DIR"
HANDSHAKE_ENV = "CONCADVISE_HANDSHAKE"  # "READY_FD,GO_FD": say ready, wait for go
# Entries after which a site stops counting: it is an inner loop, and a pool per execution of it
# would cost more than it saves whatever its exact number of executions.
ENTRY_CAP = 1000
_THIS_FILE = os.path.realpath(__file__)
_THIS_PACKAGE = os.path.dirname(os.path.dirname(_THIS_FILE)) + os.sep  # advisor/
_COMPREHENSIONS = (ast.ListComp, ast.DictComp, ast.SetComp, ast.GeneratorExp)
# Iterables whose len() is the number of items a complete loop over them takes.
_SIZED = frozenset(
    {list, tuple, str, bytes, bytearray, range, dict, set, frozenset,
     type({}.keys()), type({}.values()), type({}.items())}
)  # fmt: skip
_POOL_MODULES = ("concurrent.futures.thread", "concurrent.futures.process")
# A generator's loop pauses for its consumer, whose time is not the loop's; a coroutine's loop
# pauses for what it awaits, which is: its clock then measures how long the awaits kept it.
_YIELDS = (ast.Yield, ast.YieldFrom)
_AWAITS = (ast.Await, ast.AsyncFor, ast.AsyncWith)
_STOPS_EARLY = (ast.Break, ast.Return, ast.Raise, *_YIELDS, *_AWAITS)
_OWN_SCOPE = (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda, ast.ClassDef)


class LoopCounter:
    """Per loop site (path, line): times entered, items taken, seconds inside."""

    def __init__(self, cap: int = ENTRY_CAP) -> None:
        self.cap = cap
        self.sites: list[tuple[str, int]] = []
        self.index: dict[tuple[str, int], int] = {}
        self.entries: list[int] = []
        self.sized_items: list[int] = []
        self.streams: list[itertools.count] = []  # items counted one by one, from 1
        self.seconds: list[float] = []
        self.timed: list[int] = []  # executions whose seconds are in ``seconds``
        # CPU seconds of the child processes the loop waited for (the parent's wait hides them)
        self.children_cpu: list[float] = []
        self.suspending: set[int] = set()  # sites that await: their clock runs on meanwhile
        # Only the main thread's executions are timed: a loop the program's other threads run
        # (a pool's workers, its own threads) overlaps the main thread's run, and eight workers'
        # clocks add up to eight times the wall time; its share of the run comes from the samples.
        self.main_thread = threading.get_ident()
        # files whose loops could not be instrumented, and why: they run uncounted, and the
        # report says so (never silently)
        self.uncounted: list[dict[str, str]] = []

    def register(self, path: str, line: int, suspends: bool = False) -> int:
        key = (path, line)
        if key not in self.index:
            self.index[key] = len(self.sites)
            self.sites.append(key)
            self.entries.append(0)
            self.sized_items.append(0)
            self.streams.append(itertools.count(1))
            self.seconds.append(0.0)
            self.timed.append(0)
            self.children_cpu.append(0.0)
        if suspends:
            self.suspending.add(self.index[key])
        return self.index[key]

    def site_functions(self, index: int, stops_early: bool, namespace: dict) -> dict[str, object]:
        """The functions a rewritten loop calls, to be bound in ``namespace``: the counter of its
        iterable, and the clock and the stopwatch around it."""
        names = _SiteNames(index)
        entries, sized_items, stream = self.entries, self.sized_items, self.streams[index]
        seconds, timed, cap = self.seconds, self.timed, self.cap

        def counted(iterable):
            entries[index] += 1
            if entries[index] >= cap:
                namespace[names.count] = iter
            if not stops_early and type(iterable) in _SIZED:
                sized_items[index] += len(iterable)
                return iterable
            return itertools.compress(iterable, stream)

        children = self.children_cpu

        def clock() -> tuple[float, float]:
            return time.perf_counter(), _children_cpu()

        main_thread, get_ident = self.main_thread, threading.get_ident

        def stop(started: tuple[float, float]) -> None:
            if get_ident() != main_thread:
                return  # untimed: the site's clock no longer covers every execution
            seconds[index] += time.perf_counter() - started[0]
            children[index] += _children_cpu() - started[1]
            timed[index] += 1
            if timed[index] >= cap:  # C functions that do nothing, from now on
                namespace[names.clock] = tuple
                namespace[names.stop] = id

        return {names.count: counted, names.clock: clock, names.stop: stop}

    def snapshot(self) -> list[dict[str, object]]:
        loops = []
        for index, (path, line) in enumerate(self.sites):
            entered = self.entries[index]
            if entered:
                items = self.sized_items[index] + _count_value(self.streams[index]) - 1
                loop = {"path": path, "line": line, "entries": entered, "items": items}
                loop["capped"] = entered >= self.cap
                if self.timed[index]:
                    loop["seconds"] = self.seconds[index]
                    loop["timed"] = self.timed[index]
                    loop["children_cpu"] = self.children_cpu[index]
                if index in self.suspending:
                    loop["suspends"] = True
                loops.append(loop)
        return loops

    def write(self, path: str, started: list[dict[str, object]]) -> None:
        try:
            # whether a rewrite would pay for importing the pool's module
            imported = [name for name in _POOL_MODULES if name in sys.modules]
            with open(path, "w", encoding="utf-8") as out:
                counts = {"version": 1, "imported": imported, "loops": self.snapshot()}
                counts["uncounted"] = self.uncounted
                counts["started"] = started
                json.dump(counts, out)
        except OSError:
            pass  # counts are an extra: never turn a finished run into a failure


class _SiteNames:
    """The module-level names of one site's functions, and of its start time (a local)."""

    def __init__(self, index: int) -> None:
        self.count = f"__concadvise_loop_{index}__"
        self.clock = f"__concadvise_clock_{index}__"
        self.stop = f"__concadvise_stop_{index}__"
        self.started = f"__concadvise_started_{index}__"


def _children_cpu() -> float:
    """CPU seconds of the ended child processes this process waited for."""
    if resource is None:
        return 0.0
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _count_value(counter: itertools.count) -> int:
    # repr is "count(N)"; reading it does not advance the counter
    return int(repr(counter)[6:-1])


# ----------------------------------------------------------------------------- the rewrite


def _first_comprehension(statement: ast.stmt) -> ast.expr | None:
    """The comprehension loops.py records for a simple statement (pre-order, not in lambdas)."""
    stack: list[ast.AST] = [statement]
    while stack:
        node = stack.pop()
        if isinstance(node, _COMPREHENSIONS):
            return node
        if not isinstance(node, ast.Lambda):
            stack.extend(reversed(list(ast.iter_child_nodes(node))))
    return None


def _contains(nodes: list[ast.AST], kinds: tuple[type, ...]) -> bool:
    """Is one of ``kinds`` in ``nodes``, outside nested functions and classes?"""
    stack = list(nodes)
    while stack:
        node = stack.pop()
        if isinstance(node, kinds):
            return True
        if not isinstance(node, _OWN_SCOPE):
            stack.extend(ast.iter_child_nodes(node))
    return False


class Site:
    """A loop to count: where its iterable is, and whether and how to time it."""

    def __init__(
        self,
        line: int,
        holder: ast.For | ast.comprehension,
        anchor: ast.AST,
        statement: ast.stmt,
        stops_early: bool,
    ) -> None:
        self.line = line  # the line loops.py gives the site
        self.holder = holder  # the node whose ``iter`` is the iterable
        self.anchor = anchor  # the node whose position an iteration error reports
        self.statement = statement  # what the stopwatch goes around
        # A `break` of a nested loop only ends that loop, but counting item by item is merely
        # slower, never wrong, so any one counts.
        self.stops_early = stops_early
        # a generator's loop would be timed with its consumer's time
        self.timed = not _contains([statement], _YIELDS)
        # a coroutine's loop that awaits: timed, its seconds are its elapsed time; a pool could
        # not run its items, gathering them could
        self.suspends = _contains([statement], _AWAITS)


def _inside_loops(tree: ast.Module) -> set[int]:
    """Statements inside a loop of their own function (or module): inner loops, entered once
    per outer item. Their stopwatch would cost ~100 ns an entry even after the cap (on
    word_scores.py, 480,000 entries: 10% of the run), and the outer loop is the one to time."""
    inside: set[int] = set()
    stack: list[tuple[ast.AST, bool]] = [(tree, False)]
    while stack:
        node, in_loop = stack.pop()
        if in_loop and isinstance(node, ast.stmt):
            inside.add(id(node))
        if isinstance(node, _OWN_SCOPE):
            in_loop = False
        is_loop = isinstance(node, (ast.For, ast.AsyncFor, ast.While))
        looping = in_loop or is_loop
        # a loop's own `else:` runs once, after it; any other `orelse` (an `if`'s, a `try`'s, a
        # conditional expression's value) is as inside as the rest of its node
        once = {id(child) for child in node.orelse} if is_loop else set()
        for child in ast.iter_child_nodes(node):
            stack.append((child, looping and id(child) not in once))
    return inside


def loop_sites(tree: ast.Module) -> list[Site]:
    """Each loop to count: `for` statements and the first comprehension of a simple statement,
    the sites of advisor/analysis/loops.py; inner loops are counted but not timed."""
    inner = _inside_loops(tree)
    sites: list[Site] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.For):
            early = _contains(list(node.body), _STOPS_EARLY)
            sites.append(Site(node.lineno, node, node, node, early))
        elif isinstance(node, ast.stmt) and not hasattr(node, "body"):
            comprehension = _first_comprehension(node)
            if comprehension is not None:
                lazy = isinstance(comprehension, ast.GeneratorExp)  # its consumer may stop
                first = comprehension.generators[0]  # type: ignore[attr-defined]
                site = Site(node.lineno, first, comprehension, node, lazy)
                awaits = _contains([comprehension], _AWAITS) or any(
                    generator.is_async
                    for generator in comprehension.generators  # type: ignore[attr-defined]
                )
                if site.suspends and not awaits:
                    # `await gather(*(fetch(u) for u in urls))`: the loop only makes coroutines
                    # and awaits nothing; the statement's clock would be the gather's wait
                    site.suspends = site.timed = False
                sites.append(site)
    for site in sites:
        site.timed = site.timed and id(site.statement) not in inner
    return sites


def _timed(statement: ast.stmt, names: _SiteNames) -> list[ast.stmt]:
    """``started = clock()`` then ``try: statement finally: stop(started)``, all at the
    statement's position (a try/finally changes no control flow and costs nothing unless an
    exception passes)."""
    started = ast.Assign(
        targets=[ast.Name(id=names.started, ctx=ast.Store())],
        value=ast.Call(func=ast.Name(id=names.clock, ctx=ast.Load()), args=[], keywords=[]),
    )
    stop = ast.Expr(
        ast.Call(
            func=ast.Name(id=names.stop, ctx=ast.Load()),
            args=[ast.Name(id=names.started, ctx=ast.Load())],
            keywords=[],
        )
    )
    wrapped = ast.Try(body=[statement], handlers=[], orelse=[], finalbody=[stop])
    for node in (*ast.walk(started), *ast.walk(stop), wrapped):
        ast.copy_location(node, statement)
    return [started, wrapped]


class _Stopwatches(ast.NodeTransformer):
    """Puts the stopwatch around each timed site's statement, except directly in a class body,
    where its start time would become a class attribute."""

    def __init__(self, timed: dict[int, _SiteNames]) -> None:
        self.timed = timed

    def generic_visit(self, node: ast.AST) -> ast.AST:
        for field, value in ast.iter_fields(node):
            if isinstance(value, list) and value and isinstance(value[0], ast.stmt):
                for child in value:
                    self.visit(child)
                if not isinstance(node, ast.ClassDef):
                    setattr(node, field, self._wrap(value))
            elif isinstance(value, list):
                for child in value:
                    if isinstance(child, ast.AST):
                        self.visit(child)
            elif isinstance(value, ast.AST):
                self.visit(value)
        return node

    def _wrap(self, body: list[ast.stmt]) -> list[ast.stmt]:
        wrapped: list[ast.stmt] = []
        for statement in body:
            names = self.timed.get(id(statement))
            wrapped += _timed(statement, names) if names is not None else [statement]
        return wrapped


def instrument(tree: ast.Module, path: str, counter: LoopCounter) -> list[tuple[int, bool]]:
    """Count (and time) the loops of ``tree`` (the module at ``path``) in place; returns the
    (site index, may stop early) pairs whose functions the module's namespace needs."""
    used: list[tuple[int, bool]] = []
    timed: dict[int, _SiteNames] = {}
    for site in loop_sites(tree):
        index = counter.register(path, site.line, site.suspends)
        names = _SiteNames(index)
        # `for x in 5` reports its TypeError at the statement (a comprehension at itself):
        # the call that replaces the iteration keeps that position
        function = ast.copy_location(ast.Name(id=names.count, ctx=ast.Load()), site.anchor)
        call = ast.Call(func=function, args=[site.holder.iter], keywords=[])
        site.holder.iter = ast.copy_location(call, site.anchor)
        if site.timed:
            timed.setdefault(id(site.statement), names)
        used.append((index, site.stops_early))
    _Stopwatches(timed).visit(tree)
    return used


def compile_counted(
    source: bytes | str, filename: str, counter: LoopCounter, namespace: dict
) -> types.CodeType:
    """``source`` compiled with its loops counted; ``namespace`` (the module's globals) receives
    each site's functions (builtins could be shadowed by the module's own names).

    Code that is not valid Python is compiled plainly, so that Python reports it its own way;
    valid code the counting fails on runs uncounted, and the counter records the file and why."""
    try:
        tree = ast.parse(source, filename)
    except (SyntaxError, ValueError):
        return compile(source, filename, "exec", dont_inherit=True)
    try:
        for index, stops_early in instrument(tree, os.path.realpath(filename), counter):
            namespace.update(counter.site_functions(index, stops_early, namespace))
        return compile(tree, filename, "exec", dont_inherit=True)
    except Exception as exc:  # a defect of ours: never the program's failure
        plain = compile(source, filename, "exec", dont_inherit=True)  # invalid: Python says so
        reason = f"{type(exc).__name__}: {exc}"
        counter.uncounted.append({"path": os.path.realpath(filename), "reason": reason})
        return plain


# ----------------------------------------------------------------------------- imports


def is_user_file(path: str, user_dir: str) -> bool:
    real = os.path.realpath(path)
    if not real.startswith(user_dir.rstrip(os.sep) + os.sep) or real.startswith(_THIS_PACKAGE):
        return False
    parts = real.split(os.sep)
    return "site-packages" not in parts and "dist-packages" not in parts


class CountingLoader(SourceFileLoader):
    """A user module, compiled from source with its loops counted. Its .pyc is neither read nor
    written here: a cached plain compile would skip the counting (``get_code`` stays the plain
    one, for tools that read a module's code without running it here)."""

    counter: LoopCounter  # set on the class made for each run

    def exec_module(self, module: types.ModuleType) -> None:
        path = self.get_filename(module.__name__)
        try:
            code = compile_counted(self.get_data(path), path, self.counter, module.__dict__)
        except Exception:  # not valid Python: the ordinary loader reports it its own way
            code = self.get_code(module.__name__)
        exec(code, module.__dict__)


class CountingFinder:
    """Finds modules exactly as the path finder does; those under the user's directory load
    through CountingLoader."""

    def __init__(self, user_dir: str, loader: type[CountingLoader]) -> None:
        self.user_dir = user_dir
        self.loader = loader

    def find_spec(self, fullname, path=None, target=None):
        spec = PathFinder.find_spec(fullname, path, target)
        if (
            spec is None
            or type(spec.loader) is not SourceFileLoader
            or not is_user_file(spec.origin or "", self.user_dir)
        ):
            return None
        spec.loader = self.loader(fullname, spec.origin)
        return spec

    def invalidate_caches(self) -> None:
        PathFinder.invalidate_caches()


def install_import_hook(user_dir: str, counter: LoopCounter) -> None:
    loader = type("CountingLoader", (CountingLoader,), {"counter": counter})
    finder = CountingFinder(os.path.realpath(user_dir), loader)
    # just before the path finder: built-in and frozen modules keep their precedence
    position = sys.meta_path.index(PathFinder) if PathFinder in sys.meta_path else 0
    sys.meta_path.insert(position, finder)


# ----------------------------------------------------------------------------- running


def _main_module(file: str | None, loader: object, spec: object, package: str | None):
    module = types.ModuleType("__main__")
    module.__dict__.update(
        __file__=file,
        __cached__=getattr(spec, "cached", None),
        __loader__=loader,
        __spec__=spec,
        __package__=package,
        __builtins__=builtins,
    )
    return module


def _script_target(script: str) -> tuple[types.ModuleType, str]:
    path = os.path.abspath(script)
    sys.path.insert(0, os.path.dirname(path))
    return _main_module(path, SourceFileLoader("__main__", path), None, None), path


def _module_target(name: str) -> tuple[types.ModuleType, str]:
    sys.path.insert(0, os.getcwd())  # what `python -m` puts first
    import runpy

    try:
        _name, spec, _code = runpy._get_module_details(name)  # type: ignore[attr-defined]
    except Exception as exc:  # runpy's own error ("No module named ..."), as `python -m` says it
        print(f"{sys.executable}: {exc}", file=sys.stderr)
        raise SystemExit(1) from None
    return _main_module(spec.origin, spec.loader, spec, spec.parent), spec.origin


def _strip_own_frames(exc: BaseException | None, seen: set[int] | None = None) -> None:
    """Take this file's frames out of the tracebacks of ``exc`` and the exceptions chained to
    it, so the hook prints what ``python SCRIPT`` would have printed."""
    seen = set() if seen is None else seen
    while exc is not None and id(exc) not in seen:
        seen.add(id(exc))
        kept = [
            tb
            for tb in _traceback_entries(exc.__traceback__)
            if os.path.realpath(tb.tb_frame.f_code.co_filename) != _THIS_FILE
        ]
        for first, second in itertools.pairwise(kept):
            first.tb_next = second
        if kept:
            kept[-1].tb_next = None
        exc.__traceback__ = kept[0] if kept else None
        if exc.__cause__ is not None:
            _strip_own_frames(exc.__cause__, seen)
        exc = exc.__context__


def _traceback_entries(tb: types.TracebackType | None) -> list[types.TracebackType]:
    entries = []
    while tb is not None:
        entries.append(tb)
        tb = tb.tb_next
    return entries


def _handshake(fds: str | None) -> None:
    """Tell the profiler's launcher the program is about to run, and wait until its samplers
    are attached: the interpreter's start-up is then measured alone, and the program whole."""
    if not fds:
        return
    try:
        ready, go = (int(fd) for fd in fds.split(","))
        os.write(ready, b"r")
        os.close(ready)
        os.read(go, 1)  # the launcher's "go", or end of file if it is gone
        os.close(go)
    except (OSError, ValueError):
        pass  # no launcher to wait for: run at once


def _watch_starts(script: str, user_dir: str) -> object:
    """The threads, processes and pool tasks the user's lines start, counted (start_watch.py,
    next to this file, loaded by path like this one)."""
    import importlib.util

    path = os.path.join(os.path.dirname(_THIS_FILE), "start_watch.py")
    spec = importlib.util.spec_from_file_location("_concadvise_start_watch", path)
    module = importlib.util.module_from_spec(spec)  # type: ignore[arg-type]
    spec.loader.exec_module(module)  # type: ignore[union-attr]
    return module.watch_starts(lambda file: file == script or is_user_file(file, user_dir))


def _finish(
    counter: LoopCounter, watch: list[object], counts_file: str | None, interrupted: list[bool]
) -> None:
    """Registered first, so it runs after the user's own exit handlers."""
    if counts_file:
        counter.write(counts_file, watch[0].snapshot() if watch else [])  # type: ignore[attr-defined]
    if interrupted:
        # `python script.py` ends by SIGINT after an uncaught KeyboardInterrupt
        for stream in (sys.stdout, sys.stderr):
            with contextlib.suppress(Exception):
                stream.flush()
        signal.signal(signal.SIGINT, signal.SIG_DFL)
        os.kill(os.getpid(), signal.SIGINT)


def main(argv: list[str]) -> None:
    if not argv or (argv[0] == "-m" and len(argv) < 2):
        print("usage: bootstrap.py SCRIPT [ARGS...] | -m MODULE [ARGS...]", file=sys.stderr)
        raise SystemExit(2)
    counts_file = os.environ.pop(COUNTS_ENV, None)
    user_dir = os.environ.pop(USER_DIR_ENV, None)
    handshake = os.environ.pop(HANDSHAKE_ENV, None)
    counter = LoopCounter()
    interrupted: list[bool] = []
    watch: list[object] = []
    atexit.register(_finish, counter, watch, counts_file, interrupted)
    if argv[0] == "-m":
        user_dir = user_dir or os.getcwd()
        install_import_hook(user_dir, counter)  # before the package is imported
        module, origin = _module_target(argv[1])
        sys.argv = [origin, *argv[2:]]
    else:
        user_dir = user_dir or os.path.dirname(os.path.realpath(argv[0]))
        install_import_hook(user_dir, counter)
        module, origin = _script_target(argv[0])
        sys.argv = list(argv)
    sys.modules["__main__"] = module
    watch.append(_watch_starts(origin, os.path.realpath(user_dir)))
    try:
        with open(origin, "rb") as file:
            source = file.read()
        code = compile_counted(source, origin, counter, module.__dict__)
        _handshake(handshake)
        exec(code, module.__dict__)
    except SystemExit:
        raise
    except BaseException as exc:
        if isinstance(exc, KeyboardInterrupt):
            interrupted.append(True)
        _strip_own_frames(exc)  # the hook prints the exception's own traceback
        sys.excepthook(type(exc), exc, exc.__traceback__)
        raise SystemExit(1) from None


if __name__ == "__main__":
    main(sys.argv[1:])
