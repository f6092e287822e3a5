"""Inside the profiled program: how much concurrent work each line of the user's code started,
and how much of it ran at once.

A static rule sees `Thread(...).start()` in a loop and says "one thread per item, no bound"; it
cannot see that the loop had 400 items and all 400 threads were alive together, or that a pool's
`submit` followed by `result()` never had more than one task in flight. The bootstrap
(advisor/profiling/bootstrap.py) loads this file by path and calls :func:`watch_starts`; each
thread or process the user's code starts, and each task it submits to a ``concurrent.futures``
executor, is counted at the calling line with the most of them alive at once.

Only a call made directly from a user file counts: a pool's own worker threads are started by
``concurrent/futures/thread.py``, not by the user's `submit` line. The executor and process
classes are patched when the program imports their modules (never imported here: whether the
program imports them itself is measured too), threading's at once (the bootstrap has it already).

This file imports only the standard library and parses on the user's Python (3.11+).
"""

import os
import sys
import threading
from importlib.machinery import PathFinder

_PATCHED_LATER = (
    "concurrent.futures.thread",
    "concurrent.futures.process",
    "multiprocessing.process",
)


class _Site:
    """One line's starts: how many, how many still running, the most at once."""

    __slots__ = ("alive", "count", "most", "running", "what", "workers")

    def __init__(self, what):
        self.what = what
        self.count = 0
        self.running = 0
        self.most = 0
        self.workers = None  # a pool's max_workers, for submitted tasks
        self.alive = []  # processes not yet seen finished (they have no done callback)


class StartWatch:
    """Per (path, line, what): units started there and the most running at once."""

    def __init__(self, is_user_file):
        self.is_user_file = is_user_file
        self.sites = {}
        self.lock = threading.Lock()
        self.user_files = {}  # co_filename -> bool, asked once per file
        # only the program's own process counts (it alone writes the counts): a forked child
        # inherits the watch with its parent's processes, which it may not even ask about
        self.pid = os.getpid()

    def _site(self, what, depth=2):
        """The site of the user's line ``depth`` frames up, or None when it is not the user's
        (or this is not the program's own process)."""
        if os.getpid() != self.pid:
            return None
        try:
            frame = sys._getframe(depth)
        except ValueError:  # called with no Python caller
            return None
        path = frame.f_code.co_filename
        mine = self.user_files.get(path)
        if mine is None:
            mine = self.user_files[path] = self.is_user_file(path)
        if not mine:
            return None
        key = (path, frame.f_lineno, what)
        site = self.sites.get(key)
        if site is None:
            site = self.sites[key] = _Site(what)
        return site

    def _one_more(self, site):
        with self.lock:
            site.count += 1
            site.running += 1
            site.most = max(site.most, site.running)

    def _one_less(self, site):
        with self.lock:
            site.running -= 1

    def _one_more_alive(self, site, started):
        """One more worker with no callback at its end (a child process): the ones seen
        finished leave the site's list first."""
        with self.lock:
            site.alive = [w for w in site.alive if w.is_alive()]
            site.alive.append(started)
            site.count += 1
            site.most = max(site.most, len(site.alive))

    def watch_threads(self, thread_class):
        start = thread_class.start
        watch = self
        # the thread calls `_delete` last, after its run and its exception hook: a wrapper there
        # is in no traceback the user sees (a wrapped `run` would be). A Python whose threads end
        # otherwise has them pruned when seen finished, as processes are.
        bootstrap = getattr(thread_class, "_bootstrap_inner", None)
        ends_by_delete = "_delete" in getattr(getattr(bootstrap, "__code__", None), "co_names", ())

        def counted_start(thread):
            site = watch._site("thread")
            if site is None:
                return start(thread)
            delete = getattr(thread, "_delete", None) if ends_by_delete else None
            if delete is None:
                result = start(thread)
                watch._one_more_alive(site, thread)
                return result

            def counted_delete():
                try:
                    delete()
                finally:
                    watch._one_less(site)

            thread._delete = counted_delete
            watch._one_more(site)
            try:
                return start(thread)
            except BaseException:
                watch._one_less(site)  # it never ran: "can't start new thread"
                raise

        thread_class.start = counted_start

    def watch_processes(self, process_class):
        start = process_class.start
        watch = self

        def counted_start(process):
            site = watch._site("process")
            result = start(process)
            if site is not None:
                watch._one_more_alive(site, process)
            return result

        process_class.start = counted_start

    def watch_executor(self, executor_class, what):
        submit = executor_class.submit
        watch = self

        def counted_submit(executor, *args, **kwargs):
            future = submit(executor, *args, **kwargs)
            site = watch._site(what)
            if site is not None:
                site.workers = getattr(executor, "_max_workers", None)
                watch._one_more(site)
                future.add_done_callback(lambda _future: watch._one_less(site))
            return future

        executor_class.submit = counted_submit

    def snapshot(self):
        return [
            {
                "path": path,
                "line": line,
                "counts": {
                    "what": what,
                    "started": site.count,
                    "most_at_once": site.most,
                    **({"workers": site.workers} if site.workers else {}),
                },
            }
            for (path, line, what), site in list(self.sites.items())
            if site.count
        ]

    def patch_module(self, name, module):
        if name == "concurrent.futures.thread":
            self.watch_executor(module.ThreadPoolExecutor, "thread_pool_task")
        elif name == "concurrent.futures.process":
            self.watch_executor(module.ProcessPoolExecutor, "process_pool_task")
        elif name == "multiprocessing.process":
            self.watch_processes(module.BaseProcess)


class _PatchAfterImport:
    """A finder for the modules patched when the program imports them: found as the path finder
    finds them, run as usual, then patched."""

    def __init__(self, watch):
        self.watch = watch

    def find_spec(self, fullname, path=None, target=None):
        if fullname not in _PATCHED_LATER:
            return None
        spec = PathFinder.find_spec(fullname, path, target)
        if spec is None or spec.loader is None or not hasattr(spec.loader, "exec_module"):
            return None
        run_module = spec.loader.exec_module
        watch = self.watch

        def exec_module(module):
            run_module(module)
            watch.patch_module(fullname, module)

        spec.loader.exec_module = exec_module
        return spec

    def invalidate_caches(self):
        pass


def watch_starts(is_user_file):
    """Start watching: threads now, pools and processes when the program imports them."""
    watch = StartWatch(is_user_file)
    watch.watch_threads(threading.Thread)
    for name in _PATCHED_LATER:
        module = sys.modules.get(name)
        if module is not None:
            watch.patch_module(name, module)
    sys.meta_path.insert(0, _PatchAfterImport(watch))
    return watch
