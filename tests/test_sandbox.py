"""The data page's imports run in child processes with a time and memory budget, and stop
when the visitor leaves (atlas.ingest.sandbox): real processes, real limits."""

from __future__ import annotations

import os
import threading
import time

import pytest

from atlas.ingest import sandbox, worker
from atlas.ingest.errors import ImportFailure
from atlas.ingest.limits import Limits
from tests import sandbox_jobs as jobs


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    try:  # a zombie is not running any more
        with open(f"/proc/{pid}/stat") as fh:
            return fh.read().split()[2] != "Z"
    except OSError:
        return False


def test_a_job_returns_its_value():
    raw = sandbox.run(worker.read, b"name,city\nA,Bologna\n", "f.csv", None, Limits(), None)
    assert raw.read == 1 and raw.cells["name"].tolist() == ["A"]


def test_a_job_past_its_time_is_killed():
    started = time.monotonic()
    with pytest.raises(ImportFailure, match="longer than 1 s"):
        sandbox.run(jobs.spin, 60, limits=Limits(timeout_s=1))
    assert time.monotonic() - started < 5


def test_a_job_past_its_memory_is_killed():
    with pytest.raises(ImportFailure, match="more than 300 MB of memory"):
        sandbox.run(jobs.hog, 800, limits=Limits(memory_bytes=300_000_000, timeout_s=30))


def test_leaving_the_page_kills_the_job(tmp_path):
    """Streamlit stops a closed session's run inside `tick`: the child must go with it."""
    pid_file = tmp_path / "pid"

    class Left(Exception):
        pass

    def tick(elapsed: float, stage: str) -> None:
        if pid_file.exists() and elapsed > 0.5:
            raise Left

    with pytest.raises(Left):
        sandbox.run(jobs.sleep_after_writing_pid, str(pid_file), 60, tick=tick)
    pid = int(pid_file.read_text())
    deadline = time.monotonic() + 5
    while alive(pid) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not alive(pid)


def test_a_reader_bug_is_one_line_and_not_the_file():
    with pytest.raises(ImportFailure) as err:
        sandbox.run(jobs.crash)
    assert "KeyError" in str(err.value) and len(str(err.value)) < 300
    with pytest.raises(ImportFailure, match="nested too deeply"):
        sandbox.run(jobs.recurse)


def test_one_import_at_a_time_by_default(tmp_path):
    """Two visitors importing at once: the second waits (and is told so) for the first."""
    stages: list[str] = []
    ends: dict[str, float] = {}

    def visitor(name: str) -> None:
        sandbox.run(jobs.spin, 1.0, tick=lambda _t, stage: stages.append(f"{name}:{stage}"))
        ends[name] = time.monotonic()

    first = threading.Thread(target=visitor, args=("a",))
    first.start()
    time.sleep(0.3)
    started = time.monotonic()
    visitor("b")
    first.join()
    assert "b:waiting" in stages
    assert ends["b"] - started > 1.0  # b ran after a, not beside it


def test_children_never_run_the_page_script_streamlit_installed_as_main(tmp_path, monkeypatch):
    """Streamlit runs each page as `__main__`; multiprocessing would run that file again in
    every child (a page script that needs Streamlit's globals failed there, ending every import
    in "the reader process ended")."""
    import sys
    import types

    marker = tmp_path / "ran"
    script = tmp_path / "page.py"
    script.write_text(f"open({str(marker)!r}, 'w').close()\nraise SystemExit(3)\n")
    page = types.ModuleType("__main__")
    page.__file__ = str(script)
    monkeypatch.setitem(sys.modules, "__main__", page)
    raw = sandbox.run(worker.read, b"name\nA\n", "f.csv", None, Limits(), None)
    assert raw.read == 1
    assert not marker.exists()
