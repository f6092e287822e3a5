"""A directory on a slow network file system: every open waits LATENCY seconds first.

Local disks answer in microseconds, which hides what file I/O on NFS, SMB or a cloud-backed
mount costs: a round trip per operation. This wrapper adds that round trip (20 ms, a distant
share) to real reads and writes, so the benchmark measures overlapping of waits, not a disk.
"""

import time

LATENCY = 0.02


def read_bytes(path: str) -> bytes:
    time.sleep(LATENCY)  # the open's round trip to the server
    with open(path, "rb") as handle:
        return handle.read()


def write_bytes(path: str, data: bytes) -> None:
    time.sleep(LATENCY)
    with open(path, "wb") as handle:
        handle.write(data)
