"""Exports with provenance: CSV-in-ZIP with README, XLSX with About, GeoJSON with metadata.

What is read back equals what was shown; hostile cells stay inert (apostrophe in CSV, string
cells in XLSX, plain JSON strings in GeoJSON)."""

import datetime as dt
import io
import json
import zipfile

import pandas as pd
import pytest
import shapely
from openpyxl import load_workbook

from atlas.model.filters import Filters
from atlas.present.exports import (
    INITIATIVE_COLUMNS,
    csv_zip_bytes,
    initiatives_frame,
    points_geojson,
    provenance,
    read_geojson_table,
    regions_geojson,
    xlsx_bytes,
)

HOSTILE = ['=HYPERLINK("http://evil.example","x")', "+1+1", "-2+3", "@SUM(A1)", "\tTAB",
           "<script>alert(1)</script>"]
SIDECARS = [
    {"file": "initiatives.parquet", "date": "2026-11-25"},
    {"file": "nuts2.parquet", "date": "2026-11-24", "title": "NUTS 2 regions",
     "license": "EuroGeographics/GISCO terms", "attribution": "© EuroGeographics"},
]


@pytest.fixture
def about():
    filters = Filters(themes=("housing",), countries=("IT",), text="=cmd")
    return provenance("Test export", filters.describe({"housing": "Housing"}),
                      ["susy", "coopsuk"], SIDECARS, layer_file="nuts2.parquet",
                      notes=["a note"], today=dt.date(2026, 12, 1))


@pytest.fixture
def shown() -> pd.DataFrame:
    return pd.DataFrame({
        "Name": ["Coop Émilie", "Repair Café", *HOSTILE],
        "Initiatives": [3, 0, 1, 2, 3, 4, 5, 6],
        "Per 100k": [0.5, float("nan"), 1.25, -2.0, 0.0, 1.0, 2.0, 3.0],
    })


def test_provenance_lists_sources_licences_filters_and_dates(about):
    items = dict(about.items())
    assert items["filters"] == 'themes: Housing; country: IT; text: "=cmd"'
    assert items["data built"] == "2026-11-25" and items["exported"] == "2026-12-01"
    text = " ".join(v for _, v in about.items())
    for needed in ("Public Domain", "ODC-By-1.0", "Co-operatives UK open data",
                   "EuroGeographics/GISCO terms", "© EuroGeographics", "a note"):
        assert needed in text
    meta = about.as_dict()
    assert meta["data_built"] == "2026-11-25" and len(meta["sources"]) == 3


def test_provenance_without_sidecars_says_unknown():
    assert provenance("x", "no filter", ["susy"]).built == "unknown"


def test_csv_zip_round_trip_with_readme(shown, about):
    data = csv_zip_bytes({"Data": shown}, about)
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        assert sorted(zf.namelist()) == ["README.txt", "data.csv"]
        raw = zf.read("data.csv")
        readme = zf.read("README.txt").decode("utf-8")
    back = pd.read_csv(io.BytesIO(raw), encoding="utf-8-sig", keep_default_na=False,
                       na_values=[""])
    assert list(back.columns) == list(shown.columns)
    assert list(back["Name"][:2]) == ["Coop Émilie", "Repair Café"]  # what was shown
    for cell, original in zip(back["Name"][2:], HOSTILE, strict=True):
        if original.startswith(("=", "+", "-", "@", "\t")):
            assert cell == "'" + original  # inert: shown as text by spreadsheets
        else:
            assert cell == original
    pd.testing.assert_series_equal(back["Initiatives"], shown["Initiatives"])
    pd.testing.assert_series_equal(back["Per 100k"], shown["Per 100k"])
    assert not raw.decode("utf-8-sig").startswith("#")  # comment-free
    assert 'Filters: themes: Housing; country: IT; text: "=cmd"' in readme
    assert "Data built: 2026-11-25" in readme and "Licence: ODC-By-1.0" in readme
    assert "apostrophe" in readme


def test_csv_zip_with_several_tables(shown, about):
    data = csv_zip_bytes({"Headline": shown, "Theme mix": shown.head(2)}, about)
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        assert sorted(zf.namelist()) == ["README.txt", "headline.csv", "theme-mix.csv"]
        assert "headline.csv, theme-mix.csv" in zf.read("README.txt").decode()


def test_xlsx_round_trip_with_about_sheet(shown, about):
    wb = load_workbook(io.BytesIO(xlsx_bytes({"Indicators": shown}, about.items())))
    assert wb.sheetnames == ["Indicators", "About"]
    back = pd.DataFrame(wb["Indicators"].values)
    back.columns = back.iloc[0]
    back = back.iloc[1:].reset_index(drop=True)
    assert list(back["Name"]) == list(shown["Name"])  # exact, hostile text included
    assert all(c.data_type == "s" for c in wb["Indicators"]["A"][1:])  # never formulas
    assert back["Per 100k"][1] is None and back["Per 100k"][3] == -2.0
    about_rows = dict(list(wb["About"].values)[1:4])
    assert about_rows["filters"].startswith("themes: Housing")
    assert wb["About"].cell(row=3, column=2).data_type == "s"  # '=cmd' inside stays text


def test_points_geojson_round_trip_and_metadata(shown, about):
    lon = [11.3, None, 1, 2, 3, 4, 5, float("nan")]
    lat = [44.5, None, 1, 2, 3, 4, 5, 6]
    data = points_geojson(shown, lon, lat, about)
    text = data.decode("utf-8")
    assert "NaN" not in text  # strict JSON
    collection = json.loads(text)
    assert collection["features"][0]["geometry"] == {"type": "Point", "coordinates": [11.3, 44.5]}
    assert collection["features"][1]["geometry"] is None  # no point: kept, without geometry
    assert collection["features"][7]["geometry"] is None
    back, meta = read_geojson_table(data)
    assert list(back["Name"]) == list(shown["Name"])  # verbatim: JSON strings never evaluate
    assert back["Per 100k"].isna().tolist() == shown["Per 100k"].isna().tolist()
    assert meta["filters"] == about.filters and meta["data_built"] == "2026-11-25"
    assert {s["license"] for s in meta["sources"]} >= {"ODC-By-1.0 (https://opendatacommons.org/licenses/by/1-0/)"}


def test_regions_geojson_keeps_geometry_and_indicators(about):
    table = pd.DataFrame({"Region": ["A", "=B"], "Code": ["A1", "B1"],
                          "Population year": pd.array([2025, None], dtype="Int64")})
    geometry = [shapely.box(0, 0, 1, 1), None]
    collection = json.loads(regions_geojson(table, geometry, about))
    assert collection["features"][0]["geometry"]["type"] == "Polygon"
    assert collection["features"][1]["geometry"] is None
    props = collection["features"][1]["properties"]
    assert props == {"Region": "=B", "Code": "B1", "Population year": None}
    assert collection["features"][0]["properties"]["Population year"] == 2025


def test_initiatives_frame_is_flat_and_names_regions(rows):
    rows = rows.copy()
    rows.loc[0, "name"] = HOSTILE[0]
    names = {"nuts2": {"ITH5": "Emilia-Romagna"}, "uk_regions": {"UKI": "London"}}
    frame = initiatives_frame(rows, names, {"employment": "Employment", "proximity": "Proximity"})
    assert tuple(frame.columns) == INITIATIVE_COLUMNS
    assert frame.loc[0, "Themes"] == "Employment; Proximity"
    assert frame.loc[0, "Region"] == "Emilia-Romagna" and frame.loc[0, "Region code"] == "ITH5"
    assert frame.loc[3, "Region"] == "London"
    assert frame.loc[0, "Name"] == HOSTILE[0]  # shown as is; neutralised only in CSV
    assert frame.loc[1, "Legal form"] is None


def test_layer_table_frame_names_the_theme_share(rows, nuts2_regions):
    from atlas.analysis.indicators import region_table
    from ui.exports import layer_table_frame

    table = region_table(rows, nuts2_regions, "nuts2", theme="proximity")
    frame = layer_table_frame(table, "proximity")
    assert "Share with theme: Proximity circuits" in frame.columns
    assert list(frame.columns[:3]) == ["Region", "Code", "Country"]
    assert "theme_share" not in layer_table_frame(table).columns


def test_map_page_offers_the_indicator_layer_downloads():
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file("../app.py", default_timeout=90)
    at.query_params["metric"] = "theme_share"
    at.query_params["theme"] = "housing"
    at.run()
    assert not at.exception
    labels = [b.label for b in at.get("download_button")]
    assert {"CSV + README (.zip)", "Excel (.xlsx)", "GeoJSON"} <= set(labels)
    assert any(e.label.startswith("Download these regional figures") for e in at.expander)


def test_imported_sources_are_credited_with_their_own_licence():
    about = provenance("x", "no filter", ["susy", "mine", "lost"],
                       imported={"mine": ("My register (imported)", "CC-BY-4.0", "© Region X")})
    assert about.sources[1] == ("My register (imported)", "CC-BY-4.0", "© Region X")
    assert about.sources[2] == ("lost", "not recorded", "lost")
