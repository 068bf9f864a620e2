"""One visitor's import run in a child process, within a time and memory budget.

A file a visitor uploads may be crafted to hang a parser or fill the memory; the web server
must not be the process that pays. So the data page reads and checks files in a child:

- children fork from a *fork server* (Python's `forkserver` start method) that has the
  atlas modules and the regional layers loaded already (`atlas.ingest.preload`), so a child
  starts in a few milliseconds with everything placement needs;
- a child runs with lower CPU priority (nice 10), so the server's other visitors come first;
- the parent polls it: past `timeout_s` or `memory_bytes` of resident memory it is killed
  and the visitor gets a one-line reason; an address-space limit (`RLIMIT_AS`) backs the
  memory budget up against allocations faster than a poll;
- `tick(seconds)` is called between polls: the page draws progress there, and Streamlit stops
  the page's run there when the visitor leaves, which kills the child (`finally`);
- at most `ATLAS_IMPORT_WORKERS` children run at once (default 1 on a 2-core machine:
  one core stays free for the map); the others wait their turn, within their own budget;
- neither the fork server nor a child runs the parent's `__main__`: under Streamlit that is
  the page script being run (Streamlit installs it as `__main__`), which multiprocessing would
  otherwise execute again in every child, or fail on (`_without_main`).

No Streamlit here; `atlas.ingest.importer` functions are what the children run.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import resource
import threading
import time
from collections.abc import Callable
from multiprocessing import spawn
from multiprocessing.connection import Connection
from typing import Any

from atlas.ingest.errors import ImportFailure, one_line
from atlas.ingest.limits import ENV_MEMORY_MB, ENV_TIMEOUT_S, Limits

ENV_WORKERS = "ATLAS_IMPORT_WORKERS"
POLL_S = 0.2
PRELOAD = ["atlas.ingest.preload"]
_slots_lock = threading.Lock()
_slots: threading.BoundedSemaphore | None = None
_context = None
_starting = threading.local()  # set while this thread starts a child (see _without_main)
_MAIN_KEYS = ("init_main_from_path", "init_main_from_name", "main_path")
_preparation_data = spawn.get_preparation_data


def _without_main(name: str) -> dict:
    """multiprocessing's start-up data for a new process, without the parent's main module
    while the sandbox starts its own processes (everything a child runs is importable by
    name); unchanged for anyone else's processes."""
    data = _preparation_data(name)
    if getattr(_starting, "on", False):
        for key in _MAIN_KEYS:
            data.pop(key, None)
    return data


spawn.get_preparation_data = _without_main  # popen_forkserver and forkserver look it up here


def _workers() -> int:
    try:
        return max(1, int(os.environ.get(ENV_WORKERS, "1")))
    except ValueError:
        return 1


def _semaphore() -> threading.BoundedSemaphore:
    global _slots
    with _slots_lock:
        if _slots is None:
            _slots = threading.BoundedSemaphore(_workers())
        return _slots


def context():
    """The fork-server context, its server preloading the atlas (started on first use)."""
    global _context
    with _slots_lock:
        if _context is None:
            ctx = multiprocessing.get_context("forkserver")
            ctx.set_forkserver_preload(PRELOAD)
            _context = ctx
        return _context


def _child(conn: Connection, func: Callable, args: tuple, address_space: int) -> None:
    """In the child: lower priority, cap the address space, run, send the outcome."""
    with contextlib.suppress(OSError):
        os.nice(10)
    with contextlib.suppress(ValueError, OSError):
        resource.setrlimit(resource.RLIMIT_AS, (address_space, address_space))
    try:
        outcome: tuple[str, Any] = ("ok", func(*args))
    except ImportFailure as exc:
        outcome = ("failure", str(exc))
    except MemoryError:
        outcome = ("memory", "")
    except RecursionError:
        outcome = ("failure", "the file is nested too deeply to be read")
    except Exception as exc:  # a reader's bug must still end in one line, not a traceback
        outcome = ("failure", f"the file could not be read ({type(exc).__name__}: "
                              f"{one_line(exc, 120)})")
    try:
        conn.send(outcome)
    except MemoryError:
        conn.send(("memory", ""))
    finally:
        conn.close()


def _rss(pid: int) -> int:
    """Resident memory of a process in bytes (0 when it is gone)."""
    try:
        with open(f"/proc/{pid}/status", encoding="ascii") as fh:
            for line in fh:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError):
        return 0
    return 0


def _address_space_now() -> int:
    """This process's virtual size: children start from about as much (libraries, layers)."""
    try:
        with open("/proc/self/status", encoding="ascii") as fh:
            for line in fh:
                if line.startswith("VmSize:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError):
        pass
    return 2 << 30


def _memory_failure(limits: Limits) -> ImportFailure:
    return ImportFailure(f"reading this file needs more than {limits.memory_bytes / 1e6:,.0f} "
                         f"MB of memory (the limit; set {ENV_MEMORY_MB} to change it)")


def _time_failure(limits: Limits) -> ImportFailure:
    return ImportFailure(f"reading this file took longer than {limits.timeout_s:,.0f} s (the "
                         f"limit; set {ENV_TIMEOUT_S} to change it), so it was stopped")


def run(func: Callable, *args, limits: Limits | None = None,
        tick: Callable[[float, str], None] | None = None) -> Any:
    """`func(*args)` in a child process within `limits` (timeout_s, memory_bytes); its result,
    or ImportFailure with a one-line reason. `tick(elapsed, stage)` is called about five
    times a second while waiting ("waiting" for a free worker, then "running")."""
    limits = limits or Limits.from_env()
    started = time.monotonic()
    deadline = started + limits.timeout_s
    slots = _semaphore()
    while not slots.acquire(timeout=POLL_S):
        if time.monotonic() > deadline:
            raise ImportFailure("the server is busy with other imports; try again in a minute")
        if tick:
            tick(time.monotonic() - started, "waiting")
    try:
        return _supervise(func, args, limits, started, deadline, tick)
    finally:
        slots.release()


def _supervise(func: Callable, args: tuple, limits: Limits, started: float, deadline: float,
               tick: Callable[[float, str], None] | None) -> Any:
    ctx = context()
    receive, send = ctx.Pipe(duplex=False)
    ceiling = _address_space_now() + 4 * limits.memory_bytes
    child = ctx.Process(target=_child, args=(send, func, args, ceiling), daemon=True,
                        name="atlas-import")
    try:
        _starting.on = True
        try:
            child.start()
        finally:
            _starting.on = False
        send.close()
        while not receive.poll(POLL_S):
            if not child.is_alive() and not receive.poll(0):
                raise ImportFailure("reading this file stopped unexpectedly (the reader "
                                    "process ended); the file may be damaged")
            if time.monotonic() > deadline:
                raise _time_failure(limits)
            if _rss(child.pid or 0) > limits.memory_bytes:
                raise _memory_failure(limits)
            if tick:
                tick(time.monotonic() - started, "running")
        try:
            status, value = receive.recv()
        except (EOFError, OSError) as exc:
            raise ImportFailure("reading this file stopped unexpectedly (the reader process "
                                "ended); the file may be damaged") from exc
    finally:
        receive.close()
        _stop(child)
    if status == "ok":
        return value
    if status == "memory":
        raise _memory_failure(limits)
    raise ImportFailure(value)


def _stop(child) -> None:
    """Kill the child if it still runs, and reap it (no zombie, no lingering CPU use)."""
    if child.pid is None:
        return
    if child.is_alive():
        child.kill()
    child.join(timeout=5)
    with contextlib.suppress(ValueError):
        child.close()
