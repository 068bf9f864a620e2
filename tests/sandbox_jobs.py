"""Functions the sandbox tests run in import children (importable by the fork server)."""

from __future__ import annotations

import os
import time
from pathlib import Path


def sleep_after_writing_pid(path: str, seconds: float) -> str:
    Path(path).write_text(str(os.getpid()))
    time.sleep(seconds)
    return "slept"


def spin(seconds: float) -> int:
    end, n = time.monotonic() + seconds, 0
    while time.monotonic() < end:
        n += 1
    return n


def hog(megabytes: int) -> int:
    blocks = [bytearray(1 << 20) for _ in range(megabytes)]
    time.sleep(5)
    return len(blocks)


def crash() -> None:
    raise KeyError("x" * 10_000)


def recurse(n: int = 0) -> int:
    return recurse(n + 1)
