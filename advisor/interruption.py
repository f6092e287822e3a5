"""Ctrl-C, SIGTERM and SIGHUP stop concadvise the same way: as an exception in the main thread.

Every ``finally`` then runs: a file being verified gets its original bytes back, the user's run
is killed with everything it started (advisor/profiling/runner.py), temporary folders are
removed. Python's default would only do this for Ctrl-C; SIGTERM and SIGHUP would end the process
on the spot, leaving the rewrite in the user's file and the run going. Only the first signal
interrupts: a second one must not cut that cleanup short.
"""

from __future__ import annotations

import contextlib
import signal
from collections.abc import Iterator

STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)


class Interrupted(BaseException):
    """A stop signal arrived. A BaseException, like KeyboardInterrupt, so that no ``except
    Exception`` swallows it; not a KeyboardInterrupt, which click turns into exit code 1."""

    def __init__(self, signum: int) -> None:
        super().__init__(signum)
        self.signum = signum

    @property
    def exit_code(self) -> int:
        """128 + n, as a shell reports a program ended by signal n."""
        return 128 + self.signum


@contextlib.contextmanager
def interrupt_on_stop_signals() -> Iterator[None]:
    """Within the block, the first stop signal raises Interrupted; later ones are ignored."""
    stopping: list[int] = []

    def interrupt(signum: int, _frame: object) -> None:
        if not stopping:
            stopping.append(signum)
            raise Interrupted(signum)

    previous = {number: signal.signal(number, interrupt) for number in STOP_SIGNALS}
    try:
        yield
    finally:
        for number, handler in previous.items():
            signal.signal(number, handler)
