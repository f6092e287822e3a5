"""The one error every rewrite raises when it cannot change a finding's code without changing
what the code means."""

from __future__ import annotations


class RewriteError(Exception):
    """A requested rewrite is not possible here; the message is a short reason for the user."""


__all__ = ["RewriteError"]
