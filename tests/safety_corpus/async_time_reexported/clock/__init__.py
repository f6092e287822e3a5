"""Clock helpers; `time` is re-exported on purpose so callers share one clock module."""

import time

__all__ = ["pause", "time"]


async def pause(seconds: float) -> None:
    time.sleep(seconds)
