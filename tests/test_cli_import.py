"""`python -m atlas import FILE [--dry-run] [--json]`: same report as the page, exit 0 when the
file could be read (even with rejected rows), non-zero with one line on stderr when not."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from atlas.cli import main
from atlas.model.schema import conform
from atlas.store.workspace import Workspace
from tests import import_fixtures as fx

ROOT = Path(__file__).resolve().parents[1]


def cli(*args: str, workspace: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "atlas", "import", *args], cwd=ROOT,
                          env={**os.environ, "ATLAS_WORKSPACE": str(workspace)},
                          capture_output=True, text=True, timeout=180)


@pytest.fixture
def italian(tmp_path) -> Path:
    path = tmp_path / "registro_sintetico.csv"
    path.write_bytes(fx.italian_semicolon_latin1())
    return path


def test_dry_run_json_report(italian, tmp_path):
    done = cli(str(italian), "--dry-run", "--json", "--country", "IT",
               workspace=tmp_path / "ws")
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)  # exactly one JSON object
    assert report["read"] == fx.ITALIAN_READ
    assert report["accepted"] + report["rejected"] == report["read"]
    assert report["rejections"] == [{"line": 11, "reason": "no name"}]
    assert report["placed"]["coordinates"] == 2 and report["placed"]["region"] == 7
    assert isinstance(report["duplicates"], int)
    assert report["saved"] is None
    assert not (tmp_path / "ws").exists()


@pytest.mark.parametrize(("content", "reason"), [
    (b"", "empty"), (b"\x00\xff\x00garbage\x01\x02" * 100, "not a text table"),
])
def test_unreadable_file_exits_non_zero_with_one_line(tmp_path, content, reason):
    path = tmp_path / "bad.csv"
    path.write_bytes(content)
    done = cli(str(path), "--json", workspace=tmp_path / "ws")
    assert done.returncode != 0
    assert done.stdout == ""
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and reason in lines[0]


def test_missing_file_exits_non_zero(tmp_path, capsys):
    assert main(["import", str(tmp_path / "nope.csv"), "--dry-run"]) == 2
    assert "cannot open" in capsys.readouterr().err


def test_xlsx_is_saved_and_found_by_the_next_process(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("ATLAS_WORKSPACE", str(tmp_path / "ws"))
    path = tmp_path / "register.xlsx"
    path.write_bytes(fx.xlsx_register())
    assert main(["import", str(path), "--name", "Synthetic UK register", "--license",
                 "CC0-1.0", "--sheet", "Register", "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["saved"]["id"] == "synthetic-uk-register" and report["saved"]["rows"] == 4
    done = subprocess.run(
        [sys.executable, "-c", "from atlas.store.workspace import Workspace; "
         "print([(d.id, d.license, d.rows) for d in Workspace().datasets()])"],
        cwd=ROOT, env={**os.environ, "ATLAS_WORKSPACE": str(tmp_path / "ws")},
        capture_output=True, text=True, timeout=60)
    assert "('synthetic-uk-register', 'CC0-1.0', 4)" in done.stdout


def test_mapping_and_region_overrides_and_rejections_csv(italian, tmp_path, capsys):
    rejections = tmp_path / "rejected.csv"
    code = main(["import", str(italian), "--dry-run", "--json", "--country", "IT",
                 "--map", "themes=", "--region", "Emilie-Romagne=nuts2:ITH5",
                 "--rejections", str(rejections)])
    assert code == 0
    report = json.loads(capsys.readouterr().out)
    assert report["mapping"]["themes"] == []
    assert report["placed"]["region"] == 8
    assert rejections.read_bytes().startswith(b"\xef\xbb\xbf")  # Excel-friendly CSV
    assert b"no name" in rejections.read_bytes()


def test_text_report(italian, tmp_path, capsys):
    assert main(["import", str(italian), "--dry-run", "--country", "IT",
                 "--workspace", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "read 12, accepted 11, rejected 1" in out
    assert "line 11: no name" in out and "dry run: nothing saved" in out
    assert not list(Workspace(tmp_path).datasets())


def test_shipped_coops_uk_csv(tmp_path, capsys, shared_source):
    coops = shared_source(*fx.COOPS_UK)
    assert main(["import", str(coops), "--dry-run", "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["read"] == 7387 and report["accepted"] + report["rejected"] == 7387
    assert report["placed"]["coordinates"] > 7000


def test_a_file_with_no_accepted_row_is_not_saved(tmp_path):
    """The page refuses to save 0 rows; so does the command line (it used to save them)."""
    path = tmp_path / "nobody.csv"
    path.write_bytes(b"name,city\n,Bologna\n,Roma\n")
    done = cli(str(path), "--json", workspace=tmp_path / "ws")
    assert done.returncode == 2
    report = json.loads(done.stdout)
    assert report["read"] == 2 and report["accepted"] == 0 and report["saved"] is None
    assert "nothing saved: no row was accepted" in done.stderr
    assert Workspace(tmp_path / "ws").datasets() == []


def test_encoding_can_be_chosen_on_the_command_line(tmp_path):
    from tests.hostile import csv as hostile

    path = tmp_path / "polskie.csv"
    path.write_bytes(hostile.polish_cp1250())
    done = cli(str(path), "--dry-run", "--json", workspace=tmp_path / "ws")
    assert done.returncode == 0 and "cp1250" in json.loads(done.stdout)["format"]
    done = cli(str(path), "--dry-run", "--json", "--encoding", "iso8859-2",
               workspace=tmp_path / "ws")
    assert done.returncode == 0 and "iso8859-2" in json.loads(done.stdout)["format"]
    done = cli(str(path), "--dry-run", "--encoding", "klingon", workspace=tmp_path / "ws")
    assert done.returncode == 2 and "unknown text encoding" in done.stderr


@pytest.mark.parametrize("kind", ["csv", "xlsx"])  # streamed into staging / read whole
def test_importing_into_a_saved_id_needs_replace(italian, tmp_path, capsys, kind):
    path = italian
    if kind == "xlsx":
        path = tmp_path / "registro_sintetico.xlsx"
        path.write_bytes(fx.xlsx_register())
    ws = tmp_path / "ws"
    base = ["import", str(path), "--workspace", str(ws), "--id", "registro", "--json"]
    if kind == "xlsx":
        base += ["--sheet", "Register"]
    assert main([*base, "--license", "CC-BY-4.0"]) == 0
    first = Workspace(ws).get("registro")
    capsys.readouterr()
    assert main([*base, "--license", "CC0-1.0"]) == 2
    out, err = capsys.readouterr()
    assert out == ""  # refused before reading: no report
    assert err.splitlines() == ["error: a saved dataset already has the id 'registro': pass "
                                "--replace to replace it, or --id to save under another id"]
    assert Workspace(ws).get("registro") == first
    assert main([*base, "--license", "CC0-1.0", "--replace"]) == 0
    assert json.loads(capsys.readouterr().out)["saved"]["id"] == "registro"
    replaced = Workspace(ws).get("registro")
    assert replaced.license == "CC0-1.0" and replaced.file != first.file


def test_refusal_is_one_line_without_a_traceback(italian, tmp_path):
    ws = tmp_path / "ws"
    assert cli(str(italian), "--id", "registro", workspace=ws).returncode == 0
    done = cli(str(italian), "--id", "registro", workspace=ws)
    assert done.returncode == 2 and done.stdout == ""
    assert done.stderr.count("\n") == 1 and "--replace" in done.stderr
    assert "Traceback" not in done.stderr


def test_help_names_replace(capsys):
    with pytest.raises(SystemExit):
        main(["import", "--help"])
    assert "--replace" in capsys.readouterr().out


def test_an_import_first_removes_what_killed_imports_left(italian, tmp_path, capsys):
    folder = tmp_path / "ws" / "datasets"
    folder.mkdir(parents=True)
    stale = [folder / ".tmp-other-0123456789abcdef0123.parquet-abc",
             folder / "other-0123456789abcdef0123.parquet", folder / "other.lock"]
    for path in stale:
        path.write_bytes(b"partial")
    assert main(["import", str(italian), "--workspace", str(tmp_path / "ws"), "--id", "r"]) == 0
    assert not any(path.exists() for path in stale)
    assert [d.id for d in Workspace(tmp_path / "ws").datasets()] == ["r"]


def test_an_id_saved_while_the_file_was_read_is_refused_too(italian, tmp_path, capsys,
                                                           monkeypatch):
    """The early check passed, then another import saved the id: the save itself refuses."""
    ws = tmp_path / "ws"
    other = conform(pd.DataFrame({"id": ["t:1"], "name": ["Synthetic other"], "lat": [44.5],
                                  "lon": [11.3], "source": ["t"]}))
    Workspace(ws).save("registro", other, title="Other", license="x")
    monkeypatch.setattr(Workspace, "exists", lambda self, dataset_id: False)
    assert main(["import", str(italian), "--workspace", str(ws), "--id", "registro"]) == 2
    assert "already has the id 'registro': pass --replace" in capsys.readouterr().err
    assert Workspace(ws).get("registro").title == "Other"
    assert not [p for p in (ws / "datasets").iterdir() if p.name.startswith(".tmp")]
