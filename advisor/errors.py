"""One exception type per kind of user-facing failure.

The CLI turns each into one line on stderr and an exit code; none reaches the user as a traceback.
"""

from __future__ import annotations


class ConcadviseError(Exception):
    """Base: a failure the user can act on, shown as a single line without a traceback."""

    exit_code = 2


class UsageError(ConcadviseError):
    """The command line asks for something impossible (missing script, bad option)."""


class SourceError(ConcadviseError):
    """A source file cannot be read or parsed; ``kind`` is the report's error kind."""

    def __init__(self, path: str, kind: str, message: str) -> None:
        super().__init__(f"{path}: {message}")
        self.path = path
        self.kind = kind
        self.detail = message


class ProfilerUnavailable(ConcadviseError):
    """The profiler cannot run here (not installed, not permitted, unsupported Python)."""


class ScriptFailed(ConcadviseError):
    """The profiled script did not finish normally (non-zero exit, crash, timeout)."""


class RewriteError(Exception):
    """A requested rewrite is not possible here; the message is a short reason for the user.

    Not a ConcadviseError: a refused rewrite is reported beside its finding, not as a failure."""
