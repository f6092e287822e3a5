"""How a run ended, in the words a user needs: the exit code it returned, or the signal that
killed it (a negative exit code, as ``subprocess`` reports it)."""

from __future__ import annotations

import signal

# What usually sends these, when the program did not: said beside the signal's name.
_USUAL_SENDER = {
    int(signal.SIGKILL): "as the out-of-memory killer does",
}


def signal_name(number: int) -> str:
    try:
        return signal.Signals(number).name
    except ValueError:
        return f"signal {number}"


def killed_by(number: int) -> str:
    """``killed by SIGKILL (as the out-of-memory killer does)``."""
    sender = _USUAL_SENDER.get(number)
    return f"killed by {signal_name(number)}" + (f" ({sender})" if sender else "")
