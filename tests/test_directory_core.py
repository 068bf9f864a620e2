"""The directory's core at any size: ranks, orders, matching rows, pages, block exports."""

from __future__ import annotations

import io
import json
import zipfile

import numpy as np
import pandas as pd
from openpyxl import load_workbook

from atlas.analysis.directory import (
    MISSING_RANK,
    matching,
    page_bounds,
    rank_text,
    sort_order,
    sort_ranks,
)
from atlas.model.schema import REQUIRED_NAMES
from atlas.present.exports import (
    Blocks,
    csv_zip_bytes,
    initiatives_blocks,
    points_geojson,
    provenance,
    xlsx_bytes,
)
from atlas.store.initiatives import prepare


def frame() -> pd.DataFrame:
    """Four synthetic initiatives (test data, not real records)."""
    rows = pd.DataFrame({
        "id": ["t:1", "t:2", "t:3", "t:4"],
        "name": ["école b", "Ecole A", "=zeta", None],
        "country": ["FR", None, "IT", "FR"],
        "source": ["susy", "susy", "susy", "susy"],
        "themes": [["employment"], [], ["employment", "proximity"], None],
        "lat": [45.0, None, 41.9, 48.8], "lon": [7.0, None, 12.5, 2.3],
    })
    for name in REQUIRED_NAMES:
        if name not in rows:
            rows[name] = None
    return prepare(rows)


def test_text_ranks_fold_accents_and_case_and_put_missing_last():
    ranks = rank_text(pd.Series(["b", "É", "a", None, "", "e"], dtype="str"))
    assert ranks[2] < ranks[0] < ranks[1] == ranks[5]  # a < b < É = e
    assert ranks[3] == ranks[4] == MISSING_RANK


def test_order_by_country_descending_keeps_missing_last_then_names():
    df = frame()
    names = sort_ranks(df, "Name", {}, {}, {})
    country = sort_ranks(df, "Country", {}, {}, {})
    assert df["name"].iloc[sort_order(names, names)].tolist()[:3] == ["=zeta", "Ecole A",
                                                                       "école b"]
    down = df["country"].iloc[sort_order(country, names, descending=True)].tolist()
    assert down[0] == "IT" and down[1:3] == ["FR", "FR"] and pd.isna(down[3])
    # within FR, by name ascending; the row without a name last
    fr = df["name"].iloc[sort_order(country, names, descending=True)].tolist()[1:3]
    assert fr[0] == "école b" and pd.isna(fr[1])


def test_themes_sort_by_their_labels_and_matching_keeps_the_order():
    df = frame()
    labels = {"employment": "Work", "proximity": "Circuits"}
    themes = sort_ranks(df, "Themes", {}, labels, {})
    assert themes[0] < themes[2] and themes[1] == themes[3] == MISSING_RANK  # Work < Work; …
    order = np.array([3, 1, 0, 2])
    keep = np.array([True, False, True, True])
    assert matching(order, keep).tolist() == [3, 0, 2]


def test_page_bounds_clamp_to_the_pages_there_are():
    assert page_bounds(0, 5, 50) == (1, 0, 0, 1)
    assert page_bounds(120, 3, 50) == (3, 100, 120, 3)
    assert page_bounds(120, 99, 50) == (3, 100, 120, 3)
    assert page_bounds(120, -4, 50) == (1, 0, 50, 3)


def test_block_exports_equal_the_table_in_order_and_stay_inert():
    df = frame()
    about = provenance("t", "no filter", ["susy"])
    blocks = initiatives_blocks(df, np.array([2, 0, 1]), {}, {}, block_rows=2)
    assert isinstance(blocks, Blocks) and blocks.rows == 3
    assert [len(b) for b in blocks.make()] == [2, 1]
    with zipfile.ZipFile(io.BytesIO(csv_zip_bytes({"Initiatives": blocks}, about))) as zf:
        back = pd.read_csv(io.BytesIO(zf.read("data.csv")), encoding="utf-8-sig")
    assert back["ID"].tolist() == ["t:3", "t:1", "t:2"]  # one header, blocks in order
    assert back["Name"][0] == "'=zeta"  # neutralised in CSV
    collection = json.loads(points_geojson(blocks, None, None, about))
    features = collection["features"]
    assert [f["properties"]["ID"] for f in features] == ["t:3", "t:1", "t:2"]
    assert features[0]["geometry"] == {"type": "Point", "coordinates": [12.5, 41.9]}
    assert features[2]["geometry"] is None and features[0]["properties"]["Name"] == "=zeta"
    ws = load_workbook(io.BytesIO(xlsx_bytes({"Initiatives": blocks}, about.items())))[
        "Initiatives"]
    cells = [c for c in ws["A"][1:]]
    assert [c.value for c in cells] == ["=zeta", "école b", "Ecole A"]
    assert all(c.data_type == "s" for c in cells)  # text, never a formula
