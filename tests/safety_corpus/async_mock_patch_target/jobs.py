"""A job runner whose retry pause tests replace through `jobs.time.sleep`."""

import time


async def retry(attempts: int) -> int:
    for _ in range(attempts):
        time.sleep(0.01)
    return attempts
