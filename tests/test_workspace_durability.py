"""Saves of one dataset id never race, killed saves leave nothing behind for long, and old
versions do not pile up: the per-dataset lock, the pointer's compare-and-swap, `recover()`
and KEEP_VERSIONS (atlas.store.workspace)."""

from __future__ import annotations

import json
import multiprocessing
import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pandas as pd
import pytest

from atlas.model.schema import conform
from atlas.store import workspace
from atlas.store.workspace import KEEP_VERSIONS, DatasetBusy, DatasetExists, Workspace, owner

ROOT = Path(__file__).resolve().parents[1]
STALE_VERSION = "0123456789abcdef0123"  # 20 hex digits, the shape of a version


def rows(n: int, tag: str = "a") -> pd.DataFrame:
    """n synthetic initiatives (invented names, for tests only)."""
    return conform(pd.DataFrame({
        "id": [f"t:{tag}{i}" for i in range(n)],
        "name": [f"Synthetic {tag} {i}" for i in range(n)],
        "lat": [44.5] * n, "lon": [11.3] * n, "source": ["t"] * n,
    }))


def names(ws: Workspace) -> set[str]:
    return {p.name for p in ws.folder.iterdir()}


def kept_files(ws: Workspace, *ids: str) -> set[str]:
    """What a clean folder holds for these datasets: pointer, current version, sidecar."""
    found = set()
    for i in ids:
        file = ws.get(i).file.name
        found |= {f"{i}.current.json", file, f"{file}.meta.yaml"}
    return found


# ------------------------------------------------------------- two saves at the same moment

def _save_at_once(root: str, tag: str, replace: bool, barrier, results) -> None:
    """One of two processes saving the same id, released together by the barrier."""
    ws = Workspace(Path(root))
    frame = rows(20000, tag)  # large enough for the two saves to overlap
    barrier.wait(timeout=60)
    try:
        ws.save("race", frame, title=f"Race {tag}", license="x", replace=replace)
        results.put((tag, "saved"))
    except Exception as exc:  # any failure is reported, never a hang of the test
        results.put((tag, f"{type(exc).__name__}: {exc}"))


def race(root: Path, replace: bool) -> dict[str, str]:
    ctx = multiprocessing.get_context("spawn")  # nothing inherited from the test process
    barrier, results = ctx.Barrier(2), ctx.Queue()
    procs = [ctx.Process(target=_save_at_once, args=(str(root), tag, replace, barrier, results))
             for tag in ("x", "y")]
    for p in procs:
        p.start()
    outcome = dict(results.get(timeout=90) for _ in procs)
    for p in procs:
        p.join(timeout=30)
        assert p.exitcode == 0
    return outcome


def test_two_saves_of_a_new_id_at_once_exactly_one_wins(tmp_path):
    outcome = race(tmp_path, replace=False)
    winners = [tag for tag, what in outcome.items() if what == "saved"]
    assert len(winners) == 1, outcome
    loser = next(what for what in outcome.values() if what != "saved")
    assert loser.startswith("DatasetExists") and "already has the id 'race'" in loser
    ws = Workspace(tmp_path)
    assert ws.get("race").title == f"Race {winners[0]}"
    assert ws.load("race")["name"].iloc[0] == f"Synthetic {winners[0]} 0"
    assert names(ws) == kept_files(ws, "race")  # the loser wrote nothing that stays


def test_two_replacing_saves_at_once_both_land_one_after_the_other(tmp_path):
    Workspace(tmp_path).save("race", rows(2), title="Race 0", license="x")
    outcome = race(tmp_path, replace=True)
    assert set(outcome.values()) == {"saved"}, outcome
    ws = Workspace(tmp_path)
    last = ws.get("race")
    assert last.title in ("Race x", "Race y") and len(ws.load("race")) == 20000
    previous = json.loads((ws.folder / "race.current.json").read_text())["previous"]
    assert len(previous) == 1
    other = ws.folder / previous[0]
    assert other.exists() and pd.read_parquet(other)["name"].iloc[0] != \
        ws.load("race")["name"].iloc[0]  # the first of the two is the previous version


def test_an_existing_id_is_refused_and_left_as_it_was(tmp_path):
    ws = Workspace(tmp_path)
    first = ws.save("d", rows(3), title="D", license="x")
    with pytest.raises(DatasetExists) as refused:
        ws.save("d", rows(5, "b"), title="D2", license="x")
    assert refused.value.dataset_id == "d" and "replace" in str(refused.value)
    assert ws.get("d") == first and names(ws) == kept_files(ws, "d")
    assert ws.save("d", rows(5, "b"), title="D2", license="x", replace=True).rows == 5


# ------------------------------------------------------------------------ killed saves

KILL_DURING_SAVE = """
    import os, signal, sys
    import pandas as pd
    from atlas.store import workspace
    from atlas.model.schema import conform
    stage = sys.argv[1]
    real_replace, real_fsync = os.replace, os.fsync
    def die():
        os.kill(os.getpid(), signal.SIGKILL)
    def fsync(fd):
        if stage == "temp":
            die()  # the new version's temporary file is written, not yet renamed
        real_fsync(fd)
    def replace(src, dst):
        name = os.path.basename(str(dst))
        if stage == "pointer" and name.endswith(".current.json"):
            die()  # version and sidecar written, the pointer's temporary file too
        real_replace(src, dst)
        if stage == "data" and name.endswith(".parquet"):
            die()  # killed right after the data rename
    os.fsync, os.replace = fsync, replace
    rows = conform(pd.DataFrame({"id": ["t:new"], "name": ["Synthetic new"], "lat": [1.0],
                                 "lon": [1.0], "source": ["t"]}))
    workspace.Workspace().save("alpha", rows, title="Alpha v2", license="x", replace=True)
"""


def kill_a_save(root: Path, stage: str) -> None:
    proc = subprocess.Popen([sys.executable, "-c", textwrap.dedent(KILL_DURING_SAVE), stage],
                            cwd=ROOT, env={**os.environ, "ATLAS_WORKSPACE": str(root)})
    assert proc.wait(timeout=60) == -signal.SIGKILL


@pytest.mark.parametrize("stage", ["temp", "data", "pointer"])
def test_recover_removes_what_a_killed_save_left(tmp_path, stage):
    ws = Workspace(tmp_path)
    ws.save("alpha", rows(4), title="Alpha v1", license="x")
    ws.save("beta", rows(2, "b"), title="Beta", license="x")
    clean = kept_files(ws, "alpha", "beta")
    assert names(ws) == clean  # a finished save leaves no lock file
    kill_a_save(tmp_path, stage)
    left = names(ws) - clean
    assert {owner(n) or n for n in left} == {"alpha", "alpha.lock"}, left
    if stage != "data":
        assert any(n.startswith(".tmp-alpha") for n in left), left
    removed = Workspace(tmp_path).recover()
    assert {p.name for p in removed} == left - {"alpha.lock"}
    assert names(ws) == clean  # temporary files, the orphan version and the lock: gone
    assert ws.get("alpha").title == "Alpha v1"
    assert ws.load("alpha")["name"].tolist() == [f"Synthetic a {i}" for i in range(4)]
    assert len(ws.load("beta")) == 2


def test_a_failed_save_removes_what_it_wrote(tmp_path, monkeypatch):
    ws = Workspace(tmp_path)
    ws.save("alpha", rows(4), title="Alpha v1", license="x")
    clean = names(ws)

    def full_disk(*args, **kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(workspace, "write_sidecar", full_disk)  # after the Parquet is renamed
    with pytest.raises(OSError, match="No space"):
        ws.save("alpha", rows(5, "b"), title="Alpha v2", license="x", replace=True)
    assert names(ws) == clean and ws.get("alpha").title == "Alpha v1"


# ------------------------------------------------------------------- versions kept on disk

def test_replacing_saves_keep_at_most_keep_versions(tmp_path):
    ws = Workspace(tmp_path)
    saved = []
    for n in range(5):
        saved.append(ws.save("alpha", rows(n + 1, f"v{n}"), title=f"Alpha {n}", license="x",
                             replace=True))
        versions = sorted(p.name for p in ws.folder.glob("alpha-*.parquet"))
        assert len(versions) == min(n + 1, KEEP_VERSIONS)
        assert len(list(ws.folder.glob("alpha-*.meta.yaml"))) == len(versions)
    assert versions == sorted(d.file.name for d in saved[-KEEP_VERSIONS:])
    previous = saved[-2].file  # current + previous: one step back is still whole on disk
    assert pd.read_parquet(previous)["name"].tolist() == [f"Synthetic v3 {i}" for i in range(4)]
    assert names(ws) == kept_files(ws, "alpha") | {previous.name, f"{previous.name}.meta.yaml"}


# ----------------------------------------------------------- a lock held by another process

HOLD_LOCK = """
    import sys
    from atlas.store.workspace import Workspace
    with Workspace().locked(sys.argv[1]):
        print("held", flush=True)
        sys.stdin.read()  # until the test closes our stdin
"""


@pytest.fixture
def held(tmp_path):
    """A process holding the lock of dataset 'alpha' in tmp_path until the test ends."""
    proc = subprocess.Popen([sys.executable, "-c", textwrap.dedent(HOLD_LOCK), "alpha"],
                            cwd=ROOT, env={**os.environ, "ATLAS_WORKSPACE": str(tmp_path)},
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    assert proc.stdout.readline().strip() == b"held"
    yield proc
    if proc.poll() is None:
        proc.communicate(timeout=30)


def leftovers(ws: Workspace, dataset_id: str) -> set[str]:
    """A stale temporary file and an orphan version, as a killed save leaves them."""
    made = {f".tmp-{dataset_id}-{STALE_VERSION}.parquet-abc",
            f"{dataset_id}-{STALE_VERSION}.parquet"}
    for name in made:
        (ws.folder / name).write_bytes(b"partial")
    return made


def test_recover_skips_a_dataset_being_saved_by_another_process(tmp_path, held):
    ws = Workspace(tmp_path)
    ws.save("beta", rows(2, "b"), title="Beta", license="x")
    in_progress, stale = leftovers(ws, "alpha"), leftovers(ws, "beta")
    removed = {p.name for p in ws.recover()}
    assert removed == stale  # beta's leftovers go...
    assert in_progress <= names(ws)  # ...alpha's save may still be writing its files
    held.communicate(timeout=30)  # that save ends (its process exits)
    assert {p.name for p in ws.recover()} == in_progress
    assert names(ws) == kept_files(ws, "beta")  # its lock file too


def test_a_save_waits_for_the_lock_then_says_busy(tmp_path, held, monkeypatch):
    monkeypatch.setattr(workspace, "LOCK_WAIT_S", 0.3)
    with pytest.raises(DatasetBusy, match="in progress"):
        Workspace(tmp_path).save("alpha", rows(1), title="Alpha", license="x")
    assert Workspace(tmp_path).get("alpha") is None


def test_the_app_recovers_once_per_process(tmp_path):
    ws = Workspace(tmp_path)
    ws.save("beta", rows(2, "b"), title="Beta", license="x")
    leftovers(ws, "alpha")
    Workspace.opened(tmp_path)  # the first open in this process (app start) cleans up
    assert names(ws) == kept_files(ws, "beta")
    later = leftovers(ws, "alpha")
    Workspace.opened(tmp_path)  # later opens (every rerun of a page) do not list the folder
    assert later <= names(ws)


# ----------------------------------------------------------------------- the data page

@pytest.fixture
def env(monkeypatch, tmp_path):
    monkeypatch.setenv("ATLAS_WORKSPACE", str(tmp_path / "ws"))
    monkeypatch.setenv("ATLAS_ADMIN_SECRET", "correct horse")
    return tmp_path / "ws"


def test_the_data_page_replaces_a_saved_dataset_only_when_asked(env):
    from tests.test_page_data import button, checked, page

    at = checked(page())
    assert not any(c.key == "imp_replace" for c in at.checkbox)  # a new id: nothing to ask
    at.text_input(key="imp_secret_input").set_value("correct horse").run()
    button(at, "Unlock").click().run()
    button(at, "Save to the shared workspace").click().run()
    first = Workspace(env).get("registro-sintetico")
    assert first is not None and first.rows == 11

    assert not at.checkbox(key="imp_replace").value  # the id exists now: the page asks
    button(at, "Save to the shared workspace").click().run()
    assert not at.exception, [e.value for e in at.exception]
    assert any("Nothing saved" in e.value and "already has the id" in e.value
               for e in at.error)
    assert Workspace(env).get("registro-sintetico") == first  # nothing replaced

    at.checkbox(key="imp_replace").check().run()
    button(at, "Save to the shared workspace").click().run()
    assert not at.exception, [e.value for e in at.exception]
    second = Workspace(env).get("registro-sintetico")
    assert second.file != first.file and second.rows == 11  # a new version is current
    assert not at.checkbox(key="imp_replace").value  # and the next save asks again
