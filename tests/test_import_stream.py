"""A CSV imported in blocks (atlas.ingest.stream) gives exactly what the whole-file import
gives: the same rows, the same rejections with the same line numbers, the same duplicates and
report, however small the blocks. Registers are synthetic (tests/import_fixtures.py).
"""

from __future__ import annotations

import codecs
import json

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from atlas.cli import main
from atlas.ingest import stream as import_stream
from atlas.ingest.importer import ImportFailure, ImportOptions, mapping_for, run_import
from atlas.ingest.reading import read_bytes
from atlas.store.workspace import Workspace
from tests import import_fixtures as fx


def whole(data: bytes, layers, index, **options):
    raw = read_bytes(data, "r.csv")
    return run_import(raw, mapping_for(raw), ImportOptions(dataset_id="t", **options), layers,
                      index)


def streamed(path, layers, index, block_bytes, **options):
    out = path.with_suffix(".parquet")
    result = import_stream.stream_path(path, ImportOptions(dataset_id="t", **options), out=out,
                                       layers=layers, index=index, block_bytes=block_bytes)
    return result, pd.read_parquet(out)


def plain(rows: pd.DataFrame) -> pd.DataFrame:
    """Rows with Python values only (None for missing, themes as lists), to compare."""
    rows = rows.copy()
    rows["themes"] = rows["themes"].map(list)
    return rows.astype(object).where(rows.notna(), None)


def assert_same(data: bytes, tmp_path, layers, index, block_bytes: int, **options):
    path = tmp_path / "register.csv"
    path.write_bytes(data)
    expected = whole(data, layers, index, **options)
    result, rows = streamed(path, layers, index, block_bytes, **options)
    assert result.report() == expected.report()
    pd.testing.assert_frame_equal(plain(rows), plain(expected.rows))
    assert result.accepted + result.rejected == result.read == expected.read
    return result


@pytest.mark.parametrize("merge", [False, True])
def test_blocks_give_the_whole_file_result(tmp_path, layers, index, merge):
    data = fx.messy_register(150).encode()
    result = assert_same(data, tmp_path, layers, index, 900, merge_duplicates=merge)
    reasons = {r["reason"] for r in result.rejections}
    assert "no name" in reasons
    assert ("merged into line 3 (same source id)" in reasons) == merge
    assert {"line": 54, "reason": "row has 10 fields but the header has 8 (check the "
            "delimiter or quoting)"} in result.rejections
    groups = result.duplicate_groups
    # Lines count physical lines: two-line names and odd records come before these.
    assert {"lines": [3, 157], "reason": "same source id"} in groups
    assert {"lines": [4, 153], "reason": "same name within 100 m"} in groups
    assert result.placed()["region"] > 0 and result.flagged


def test_clean_utf8_is_parsed_by_arrow_block_by_block(tmp_path, layers, index, monkeypatch):
    def no_csv_module(*args, **kwargs):
        raise AssertionError("a clean file should not need the csv module")

    monkeypatch.setattr(import_stream, "_csv_blocks", no_csv_module)
    data = fx.clean_register(120).encode()
    path = tmp_path / "clean.csv"
    path.write_bytes(data)
    blocks = list(import_stream.csv_blocks(path, block_bytes=2000))
    assert len(blocks) > 3
    assert [int(x) for b in blocks for x in b.lines] == list(range(2, 122))
    result = assert_same(data, tmp_path, layers, index, 2000)
    assert result.duplicate_groups == [{"lines": [4, 119], "reason": "same source id"}]


def test_csv_module_takes_one_block_then_arrow_goes_on(tmp_path, layers, index, monkeypatch):
    calls = []
    for name in ("_arrow_block", "_csv_blocks"):
        real = getattr(import_stream, name)
        monkeypatch.setattr(import_stream, name,
                            lambda *a, _real=real, _name=name, **k: calls.append(_name)
                            or _real(*a, **k))
    odd = [fx.csv_line(["S900", "Synthetic\ntwo-line name", "44.5", "11.3", "", "IT", "", ""]),
           fx.csv_line(["S901", "", "44.5", "11.3", "", "IT", "", ""])]
    text = fx.clean_register(100) + "".join(odd) + fx.clean_register(100).split("\n", 1)[1]
    result = assert_same(text.encode(), tmp_path, layers, index, 1200)
    assert result.rejections == [{"line": 104, "reason": "no name"}]
    assert "_csv_blocks" in calls and calls[-1] == "_arrow_block"  # Arrow again after it


@pytest.mark.parametrize("encoding", ["cp1252", "utf-16", "utf-8-sig"])
def test_other_encodings_stream_like_the_whole_file(tmp_path, layers, index, encoding):
    text = fx.italian_semicolon_latin1().decode("cp1252")
    data = text.encode(encoding) if encoding != "utf-8-sig" else codecs.BOM_UTF8 + text.encode()
    assert_same(data, tmp_path, layers, index, 200, country="IT")


def test_unbalanced_quote_reads_as_the_whole_file_does(tmp_path, layers, index):
    data = b'name,x\nA,1\nB,2\n"C,3\n' + b"D,4\n" * 50  # csv: one field to the end
    assert assert_same(data, tmp_path, layers, index, 30).read == 53  # the quote line rejected


def test_cli_streams_a_csv_into_the_workspace(tmp_path, layers, index, monkeypatch, capsys):
    monkeypatch.setattr(import_stream, "BLOCK_BYTES", 3000)
    data = fx.messy_register(150).encode()
    path = tmp_path / "register.csv"
    path.write_bytes(data)
    assert main(["import", str(path), "--workspace", str(tmp_path / "ws"), "--id", "t",
                 "--license", "CC0-1.0", "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    expected = whole(data, layers, index, license="CC0-1.0")
    assert report["read"] == expected.read and report["rejections"] == expected.rejections
    assert report["saved"]["rows"] == expected.accepted == report["accepted"]
    workspace = Workspace(tmp_path / "ws")
    assert [d.id for d in workspace.datasets()] == ["t"]
    loaded = workspace.load_all()
    pd.testing.assert_frame_equal(plain(loaded), plain(expected.rows))
    leftovers = [p.name for p in workspace.folder.iterdir() if p.name.startswith(".tmp")]
    assert not leftovers


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(fx.csv_like(), st.integers(1, 400))
def test_blocks_read_what_the_whole_file_reads(tmp_path_factory, data, block_bytes):
    """Any delimited text, cut anywhere: the same cells, lines and rejected records."""
    try:
        raw = read_bytes(data, "fuzz.csv")
    except ImportFailure:
        return
    path = tmp_path_factory.mktemp("fuzz") / "fuzz.csv"
    path.write_bytes(data)
    blocks = list(import_stream.csv_blocks(path, block_bytes=block_bytes))
    assert blocks[0].encoding == raw.encoding and blocks[0].delimiter == raw.delimiter
    cells = pd.concat([b.cells for b in blocks], ignore_index=True)
    assert np.concatenate([b.lines for b in blocks]).tolist() == raw.lines.tolist()
    assert [r for b in blocks for r in b.rejected] == raw.rejected
    pd.testing.assert_frame_equal(cells[raw.columns], raw.cells)
    dropped = cells.columns.difference(raw.columns)  # empty unnamed columns: kept in blocks
    assert (cells[dropped] == "").all().all()
