"""The one error every rewrite raises when it cannot change a finding's code without changing
what the code means. It lives in ``advisor.errors`` so that the syntax layer's edit toolkit can
raise it too; this name stays for the fixers' callers."""

from __future__ import annotations

from advisor.errors import RewriteError

__all__ = ["RewriteError"]
