"""Formula neutralisation on hostile cells, for CSV and XLSX."""

import io

import pandas as pd
import pytest
from openpyxl import load_workbook

from atlas.present.exports import csv_bytes, neutralise, xlsx_bytes

HOSTILE = ["=HYPERLINK(\"http://x\")", "+1+1", "-2+3", "@SUM(A1)", "\tTAB", "\rCR"]


@pytest.mark.parametrize("text", HOSTILE)
def test_neutralise_prefixes_formula_starts(text):
    assert neutralise(text) == "'" + text


def test_harmless_values_pass():
    assert neutralise("Coop") == "Coop"
    assert neutralise(-5) == -5
    assert neutralise(None) is None


def test_csv_cells_are_inert_and_numbers_untouched():
    df = pd.DataFrame({"name": HOSTILE, "n": [-1, 2, 3, 4, 5, 6], "themes": [["a", "b"]] * 6})
    back = pd.read_csv(io.BytesIO(csv_bytes(df)), encoding="utf-8-sig")
    assert all(str(v).startswith("'") for v in back["name"])
    assert list(back["n"]) == [-1, 2, 3, 4, 5, 6]
    assert back["themes"][0] == "a; b"


def test_xlsx_text_reads_back_exactly_and_never_as_a_formula():
    df = pd.DataFrame({"name": HOSTILE, "n": [-1.5, 2, 3, 4, 5, 6]})
    data = xlsx_bytes({"Initiatives": df}, [("source", "test"), ("filters", "=evil")])
    wb = load_workbook(io.BytesIO(data))
    ws = wb["Initiatives"]
    names = [ws.cell(row=i + 2, column=1) for i in range(len(HOSTILE))]
    assert [c.value for c in names] == [h.replace("\r", "\n") for h in HOSTILE]
    assert all(c.data_type == "s" for c in names)
    assert ws.cell(row=2, column=2).value == -1.5
    about = wb["About"]
    evil = about.cell(row=3, column=2)
    assert evil.value == "=evil" and evil.data_type == "s"


def test_a_table_longer_than_a_worksheet_is_refused_before_writing(monkeypatch):
    from atlas.present import exports as core

    monkeypatch.setattr(core, "XLSX_MAX_ROWS", 4)  # Excel's 1,048,576, made small
    assert core.xlsx_fits({"t": pd.DataFrame({"a": [1, 2, 3]})})  # 3 rows + header = 4
    too_long = {"t": pd.DataFrame({"a": [1, 2, 3, 4]})}
    assert not core.xlsx_fits(too_long)
    with pytest.raises(ValueError, match="take the CSV"):
        core.xlsx_bytes(too_long, [("title", "x")])
