"""The whole hostile corpus (tests/hostile/) within the budget, where a visitor meets it:
every file ends in under 30 s and under 1 GB with a one-line reason or a report, through
`python -m atlas import --dry-run` (exit 0 or 2) and through the data page's import (the
same sandboxed reading and checking the page runs, atlas.ingest.worker)."""

from __future__ import annotations

import importlib
import json
import os
import pkgutil
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from atlas.ingest import sandbox, worker
from atlas.ingest.columns import suggest_mapping
from atlas.ingest.errors import ImportFailure
from atlas.ingest.importer import ImportOptions
from atlas.ingest.limits import Limits
from tests import hostile

ROOT = Path(__file__).resolve().parents[1]
BUDGET_S = 30
BUDGET_BYTES = 1_000_000_000


def corpus() -> dict[str, object]:
    """Every table file of the corpus (story files have their own loader and test)."""
    files = {}
    for info in pkgutil.iter_modules(hostile.__path__):
        if info.name == "stories":
            continue
        module = importlib.import_module(f"tests.hostile.{info.name}")
        files.update(getattr(module, "FILES", {}))
    return files


FILES = corpus()


@pytest.fixture(scope="module")
def folder(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("hostile")
    for name, build in FILES.items():
        (out / name).write_bytes(build())
    return out


@pytest.fixture(scope="module")
def cli_runs(folder, tmp_path_factory) -> dict[str, tuple]:
    """Every file through the command line, two processes at a time (two cores); each run's
    time and memory are its own."""
    workspace = tmp_path_factory.mktemp("ws")
    with ThreadPoolExecutor(2) as pool:
        runs = {name: pool.submit(run_cli, folder / name, workspace) for name in FILES}
    return {name: run.result() for name, run in runs.items()}


def run_cli(path: Path, workspace: Path) -> tuple[int, str, str, float, int]:
    """Exit status, stdout, stderr, seconds and peak resident memory (bytes) of one run of
    the command line, measured on that process alone (os.wait4)."""
    started = time.monotonic()
    proc = subprocess.Popen([sys.executable, "-m", "atlas", "import", str(path), "--dry-run",
                             "--json"], cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            env={**os.environ, "ATLAS_WORKSPACE": str(workspace)})
    streams: dict[str, bytes] = {}
    readers = [threading.Thread(target=lambda k=k, f=f: streams.__setitem__(k, f.read()))
               for k, f in (("out", proc.stdout), ("err", proc.stderr))]
    for reader in readers:
        reader.start()
    killer = threading.Timer(BUDGET_S * 2, proc.kill)
    killer.start()
    _pid, status, usage = os.wait4(proc.pid, 0)
    killer.cancel()
    for reader in readers:
        reader.join()
    proc.returncode = os.waitstatus_to_exitcode(status)
    return (proc.returncode, streams["out"].decode(), streams["err"].decode(),
            time.monotonic() - started, usage.ru_maxrss * 1024)


@pytest.mark.parametrize("name", sorted(FILES))
def test_the_command_line_ends_within_the_budget(name, cli_runs):
    code, out, err, seconds, peak = cli_runs[name]
    assert code in (0, 2), (name, code, err[-2000:])
    assert "Traceback" not in err, err[-2000:]
    if code == 0:
        report = json.loads(out)
        assert report["accepted"] + report["rejected"] == report["read"]
    else:
        lines = err.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("error: "), err[-2000:]
        assert len(lines[0]) < 400
    assert seconds < BUDGET_S, (name, seconds)
    assert peak < BUDGET_BYTES, (name, peak)


@pytest.mark.parametrize("name", sorted(FILES))
def test_the_data_page_ends_within_the_budget(name, folder):
    """Read, then check with the suggested mapping: the page's two sandboxed steps. The
    sandbox's own time and memory limits are the budget: a file that needed them would
    fail with their reason, which the readers' guards must make unnecessary."""
    limits = Limits.from_env()
    budget = Limits(**{**vars(limits), "timeout_s": BUDGET_S, "memory_bytes": BUDGET_BYTES})
    data = (folder / name).read_bytes()
    started = time.monotonic()
    try:
        raw = sandbox.run(worker.read, data, name, None, limits, None, limits=budget)
        mapping = suggest_mapping(raw)
        if mapping.get("name"):
            result = sandbox.run(worker.check, raw, mapping, ImportOptions(dataset_id="t"),
                                 limits=budget)
            assert result.accepted + result.rejected == result.read
    except ImportFailure as exc:
        reason = str(exc)
        assert "\n" not in reason and len(reason) < 400
        assert "took longer than" not in reason and "MB of memory" not in reason, reason
    assert time.monotonic() - started < BUDGET_S
