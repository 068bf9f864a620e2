"""The workspace keeps saved datasets across restarts, never tears one on a killed save, and
only opens to the configured admin secret."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import pandas as pd
import pytest

from atlas.model.provenance import sha256_of
from atlas.model.schema import conform
from atlas.store.access import check_secret
from atlas.store.workspace import Workspace, WorkspaceError, owner, workspace_dir

ROOT = Path(__file__).resolve().parents[1]


def rows(n: int, tag: str = "a") -> pd.DataFrame:
    """n synthetic initiatives (invented names, for tests only)."""
    return conform(pd.DataFrame({
        "id": [f"t:{tag}{i}" for i in range(n)],
        "name": [f"Synthetic {tag} {i}" for i in range(n)],
        "lat": [44.5] * n, "lon": [11.3] * n, "source": ["t"] * n,
        "themes": [["housing"]] * n, "placement": ["point"] * n,
    }))


def python(code: str, env: dict | None = None, **kw) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-c", textwrap.dedent(code)], cwd=ROOT,
                            env={**os.environ, **(env or {})}, **kw)


def test_save_list_load_replace_delete(tmp_path):
    ws = Workspace(tmp_path)
    saved = ws.save("my-data", rows(3), title="My <b>data</b>", license="CC-BY-4.0",
                    attribution="Synthetic office", report={"read": 4, "accepted": 3})
    assert saved.rows == 3 and saved.license == "CC-BY-4.0" and saved.date
    assert saved.meta["accounting"] == {"read": 4, "accepted": 3}
    assert saved.meta["sha256"] == sha256_of(saved.file)
    assert [d.title for d in ws.datasets()] == ["My <b>data</b>"]
    with pytest.raises(WorkspaceError, match="already has the id 'my-data'"):
        ws.save("my-data", rows(5, "b"), title="My data v2", license="CC0-1.0")
    assert ws.get("my-data").rows == 3  # refused: nothing replaced
    ws.save("my-data", rows(5, "b"), title="My data v2", license="CC0-1.0", replace=True)
    assert ws.get("my-data").rows == 5
    assert ws.load("my-data")["name"].iloc[0] == "Synthetic b 0"
    assert len(ws.load_all()) == 5
    assert ws.delete("my-data") and ws.datasets() == [] and not ws.delete("my-data")
    assert not any(p.name.startswith("my-data") for p in ws.folder.iterdir())


@pytest.mark.parametrize("bad", ["", "UPPER", "../etc", "a" * 41, "susy", "coopsuk", "x y"])
def test_bad_ids_are_refused(tmp_path, bad):
    with pytest.raises(WorkspaceError):
        Workspace(tmp_path).save(bad, rows(1), title="x", license="x")


def test_damaged_file_is_detected(tmp_path):
    ws = Workspace(tmp_path)
    saved = ws.save("d", rows(2), title="D", license="x")
    saved.file.write_bytes(b"garbage")
    with pytest.raises(WorkspaceError, match="damaged"):
        ws.load("d")
    assert ws.load_all().empty  # the app keeps working without it


def test_workspace_folder_comes_from_the_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("ATLAS_WORKSPACE", str(tmp_path / "w"))
    assert workspace_dir() == tmp_path / "w"
    assert Workspace().root == tmp_path / "w"


def test_persists_across_a_restart(tmp_path):
    """Saved by one process, found intact by the next one."""
    env = {"ATLAS_WORKSPACE": str(tmp_path)}
    save = python("""
        import pandas as pd
        from atlas.model.schema import conform
        from atlas.store.workspace import Workspace
        rows = conform(pd.DataFrame({"id": ["t:1"], "name": ["Synthetic persisted"],
                                     "lat": [44.5], "lon": [11.3], "source": ["t"]}))
        Workspace().save("kept", rows, title="Kept", license="CC0-1.0")
    """, env)
    assert save.wait(timeout=60) == 0
    check = python("""
        from atlas.store.workspace import Workspace
        d = Workspace().get("kept")
        assert d.title == "Kept" and d.rows == 1
        assert Workspace().load("kept")["name"].tolist() == ["Synthetic persisted"]
        print("ok")
    """, env, stdout=subprocess.PIPE)
    out, _ = check.communicate(timeout=60)
    assert check.returncode == 0 and out.strip() == b"ok"


KILL_AT_COMMIT = """
    import os, signal, sys
    import pandas as pd
    from atlas.store import workspace
    from atlas.model.schema import conform
    real = os.replace
    stage = sys.argv[1]
    def replace(src, dst):
        name = os.path.basename(str(dst))
        if stage == "pointer" and name.endswith(".current.json"):
            os.kill(os.getpid(), signal.SIGKILL)   # data written, not yet committed
        real(src, dst)
        if stage == "data" and name.endswith(".parquet"):
            os.kill(os.getpid(), signal.SIGKILL)   # killed right after the data rename
    workspace.os.replace = replace
    rows = conform(pd.DataFrame({"id": ["t:new"], "name": ["Synthetic new"], "lat": [1.0],
                                 "lon": [1.0], "source": ["t"]}))
    workspace.Workspace().save("alpha", rows, title="Alpha v2", license="x", replace=True)
"""


@pytest.mark.parametrize("stage", ["data", "pointer"])
def test_a_save_killed_at_any_step_keeps_the_earlier_version(tmp_path, stage):
    ws = Workspace(tmp_path)
    ws.save("alpha", rows(4), title="Alpha v1", license="x")
    ws.save("beta", rows(2, "b"), title="Beta", license="x")
    proc = subprocess.Popen([sys.executable, "-c", textwrap.dedent(KILL_AT_COMMIT), stage],
                            cwd=ROOT, env={**os.environ, "ATLAS_WORKSPACE": str(tmp_path)})
    assert proc.wait(timeout=60) == -signal.SIGKILL
    after = Workspace(tmp_path)
    assert after.get("alpha").title == "Alpha v1"
    assert after.load("alpha")["name"].tolist() == [f"Synthetic a {i}" for i in range(4)]
    assert after.load("beta").shape[0] == 2
    leftovers = [p for p in after.folder.iterdir() if owner(p.name) == "alpha"
                 and p.name not in (after.get("alpha").file.name,
                                    after.get("alpha").file.name + ".meta.yaml")]
    assert leftovers  # the interrupted version is there, unreferenced...
    after.recover()  # ...and removed later
    assert after.load("alpha").shape[0] == 4


LOOP_SAVES = """
    import pandas as pd
    from atlas.model.schema import conform
    from atlas.store.workspace import Workspace
    ws = Workspace()
    n = 0
    while True:
        n += 1
        rows = conform(pd.DataFrame({"id": [f"t:{i}" for i in range(20000)],
                                     "name": [f"Synthetic {n}"] * 20000,
                                     "lat": [44.5] * 20000, "lon": [11.3] * 20000,
                                     "source": ["t"] * 20000}))
        ws.save("alpha", rows, title=f"Alpha {n}", license="x", replace=True)
        print(n, flush=True)
"""


def test_random_kills_during_repeated_saves_never_tear_a_dataset(tmp_path):
    """SIGKILL at arbitrary moments while one process keeps replacing a dataset."""
    Workspace(tmp_path).save("alpha", rows(3), title="Alpha 0", license="x")
    env = {"ATLAS_WORKSPACE": str(tmp_path)}
    completed = 0
    for delay in (1.2, 1.7, 2.3, 2.9):
        proc = python(LOOP_SAVES, env, stdout=subprocess.PIPE)
        time.sleep(delay)
        proc.send_signal(signal.SIGKILL)
        out, _ = proc.communicate(timeout=30)
        completed += len(out.split())
        ws = Workspace(tmp_path)
        current = ws.get("alpha")
        assert current is not None, f"dataset lost after a kill at {delay}s"
        frame = ws.load("alpha")  # sha256 verified
        assert len(frame) == current.rows
        # the title and the rows are those of one and the same save, never a mix: the first
        # version as it was, or a whole "Alpha n" save of 20000 rows all named "Synthetic n"
        if current.title == "Alpha 0":
            assert frame["name"].tolist() == [f"Synthetic a {i}" for i in range(3)]
        else:
            n = current.title.removeprefix("Alpha ")
            assert n.isdigit() and int(n) >= 1, current.title
            assert len(frame) == 20000 and set(frame["name"]) == {f"Synthetic {n}"}
            assert frame["id"].tolist() == [f"t:{i}" for i in range(20000)]
    assert completed > 0, "no save finished: the kills did not interrupt saving"


def test_secret_check():
    assert check_secret("s3cret", "s3cret")
    assert not check_secret("wrong", "s3cret")
    assert not check_secret("", "s3cret")
    assert not check_secret("anything", None)  # no secret configured: nobody is admin
    assert not check_secret(None, None)
    assert check_secret("pässwörd", "pässwörd")


def test_pointer_names_the_current_version(tmp_path):
    ws = Workspace(tmp_path)
    saved = ws.save("p", rows(1), title="P", license="x")
    pointer = json.loads((ws.folder / "p.current.json").read_text())
    assert pointer["file"] == saved.file.name and pointer["sha256"] == saved.sha256


def test_a_staged_save_refuses_an_existing_id_unless_replace(tmp_path):
    ws = Workspace(tmp_path)
    ws.save("s", rows(2), title="S", license="x")
    with ws.staging("s") as staged:
        rows(3, "b").to_parquet(staged, index=False)
        with pytest.raises(WorkspaceError, match="already has the id 's'"):
            ws.save_file("s", staged, rows=3, title="S2", license="x")
        assert ws.get("s").rows == 2
        assert ws.save_file("s", staged, rows=3, title="S2", license="x", replace=True).rows == 3
    assert ws.load("s")["name"].iloc[0] == "Synthetic b 0"
    assert not [p.name for p in ws.folder.iterdir() if p.name.startswith(".tmp")
                or p.name.endswith(".lock")]


def test_two_threads_saving_one_new_id_exactly_one_wins(tmp_path):
    """App sessions are threads of one process: the lock holds between them too."""
    ws = Workspace(tmp_path)
    barrier, outcome = threading.Barrier(2), {}

    def save(tag: str) -> None:
        frame = rows(5000, tag)
        barrier.wait(timeout=30)
        try:
            ws.save("t", frame, title=tag, license="x")
            outcome[tag] = "saved"
        except WorkspaceError as exc:
            outcome[tag] = str(exc)

    threads = [threading.Thread(target=save, args=(tag,)) for tag in "xy"]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    winners = [tag for tag, what in outcome.items() if what == "saved"]
    assert len(winners) == 1 and len(outcome) == 2, outcome
    assert "already has the id 't'" in outcome[({"x", "y"} - set(winners)).pop()]
    assert ws.get("t").title == winners[0]
