# Class: async-blocking
# Hazard: the test below patches `jobs.time.sleep` by name; a fix that replaces the module's only
#   time.sleep call and drops `import time` makes the patch target vanish.
# Prints: "retried 3 times, slept 3 times".
import asyncio
from unittest import mock

import jobs


def main() -> None:
    with mock.patch("jobs.time.sleep") as fake_sleep:
        attempts = asyncio.run(jobs.retry(3))
    print(f"retried {attempts} times, slept {fake_sleep.call_count} times")


if __name__ == "__main__":
    main()
