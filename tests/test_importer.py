"""Importing a user's register: reading, column suggestions, validation, placement, accounting.

Registers are synthetic (tests/import_fixtures.py); the shipped Co-operatives UK file is read
from atlas.paths.SHARED_SOURCES when it is there (else that test is skipped). Every test checks
accepted + rejected == read.
"""

from __future__ import annotations

import codecs
from pathlib import Path

import pandas as pd
import pytest

from atlas.geo.placement import parse_number, parse_pair
from atlas.ingest import columns, importer, reading, report
from atlas.ingest.importer import ImportFailure, ImportOptions, Limits, run_import
from atlas.ingest.reading import read_bytes
from atlas.model.schema import COLUMN_NAMES
from atlas.paths import DATA_DIR
from tests import import_fixtures as fx


def run(data: bytes, layers, index, name: str = "f.csv", **options) -> importer.ImportResult:
    raw = read_bytes(data, name)
    mapping = columns.suggest_mapping(raw)
    result = run_import(raw, mapping, ImportOptions(dataset_id="t", **options), layers, index)
    assert result.accepted + result.rejected == result.read == raw.read
    assert list(result.rows.columns) == list(COLUMN_NAMES)
    return result


def by_name(result) -> dict:
    return {r["name"]: r for r in result.rows.to_dict("records")}


# ---------------------------------------------------------------- reading


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "utf-16", "utf-16-le", "cp1252",
                                      "latin-1"])
@pytest.mark.parametrize("delimiter", [",", ";", "\t", "|"])
def test_encodings_and_delimiters_are_detected(encoding, delimiter):
    text = delimiter.join(["nome", "città", "note"]) + "\n" + delimiter.join(
        ["Società Cooperativa Più", "Forlì", '"a, b; c | d\nsecond line"']) + "\n"
    if encoding == "utf-16-le":  # no BOM
        data = text.encode("utf-16-le")
    else:
        data = text.encode(encoding)
    raw = read_bytes(data, "x.csv")
    assert raw.delimiter == delimiter
    assert raw.columns == ["nome", "città", "note"]
    assert raw.cells.iloc[0].tolist() == ["Società Cooperativa Più", "Forlì",
                                          "a, b; c | d\nsecond line"]
    assert raw.read == 1


def test_line_numbers_count_physical_lines_and_skip_blank_lines():
    data = b'name,note\n"A","two\nlines"\n\nB,x\n'
    raw = read_bytes(data)
    assert raw.lines.tolist() == [2, 5]


def test_decimal_comma_and_hemispheres_parse():
    assert parse_number("44,4949") == 44.4949
    assert parse_number("1.234,5") == 1234.5
    assert parse_number("3.5° W") == -3.5
    assert parse_number("\u221211.2") == -11.2
    assert parse_number("abc") is None
    assert parse_pair("44,49 11,34") == (44.49, 11.34)
    assert parse_pair("POINT(11.34 44.49)") == (44.49, 11.34)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "empty"),
        (b"   \n\n ", "empty"),
        (b"\x00\x01\x02\x03binary\x00garbage" * 50, "not a text table"),
        (bytes(range(256)) * 20, "not a text table"),
        (b"%PDF-1.7 ...", "PDF"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 100, "xls"),
        (b"PK\x03\x04 not really a zip", "XLSX"),
        (b'{"type": "Topology"}', "GeoJSON"),
        (b"{not json", "JSON"),
    ],
)
def test_unreadable_files_fail_with_one_line_reason(data, message):
    with pytest.raises(ImportFailure) as err:
        read_bytes(data, "upload.csv")
    assert message.lower() in str(err.value).lower()
    assert "\n" not in str(err.value)


def test_size_limit_fires_before_reading(tmp_path, monkeypatch):
    monkeypatch.setenv(importer.ENV_MAX_MB, "0.001")  # 1 kB
    limits = Limits.from_env()
    assert limits.max_bytes == 1000
    with pytest.raises(ImportFailure, match="limit is"):
        read_bytes(b"name\n" + b"x\n" * 600, limits=limits)
    big = tmp_path / "big.csv"
    with open(big, "wb") as fh:  # sparse: 200 MB on paper, nothing written
        fh.truncate(200_000_001)
    with pytest.raises(ImportFailure, match=r"200\.0 MB"):
        reading.read_path(big, limits=Limits())


def test_row_limit_fires(monkeypatch):
    monkeypatch.setenv(importer.ENV_MAX_ROWS, "100")
    data = b"name\n" + b"".join(b"coop %d\n" % i for i in range(101))
    with pytest.raises(ImportFailure, match="more than 100 rows"):
        read_bytes(data, limits=Limits.from_env())
    assert read_bytes(data[: data.index(b"coop 100")], limits=Limits.from_env()).read == 100


def test_header_only_is_read_with_a_message(layers, index):
    result = run(b"name,lat,lon\n", layers, index)
    assert result.read == 0 and result.accepted == 0
    assert any("no data rows" in w for w in result.warnings)


def test_duplicate_column_names_are_renamed_with_a_warning():
    raw = read_bytes(b"name,name,lat,,x\nA,B,1,,\n")
    assert raw.columns == ["name", "name (2)", "lat", "x"]
    assert any("Duplicate column name 'name'" in w for w in raw.warnings)


def test_ragged_rows_are_rejected_with_line_and_reason(layers, index):
    result = run(b"name,x\nA,1\nB,2,3,4\nC\n", layers, index)
    assert [r["line"] for r in result.rejections] == [3]
    assert "4 fields" in result.rejections[0]["reason"]
    assert result.accepted == 2


def test_unbalanced_quote_rejects_the_rest_but_keeps_accounting(layers, index):
    data = b'name,x\nA,1\n"B,2\n' + b"C,3\n" * 5
    result = run(data, layers, index)
    assert result.accepted + result.rejected == result.read


# ---------------------------------------------------------------- mapping suggestions


@pytest.mark.parametrize(
    ("header", "lat", "lon"),
    [
        (["Name", "lat", "lon"], "lat", "lon"),
        (["Name", "Latitude", "Longitude"], "Latitude", "Longitude"),
        (["Name", "y", "x"], "y", "x"),
        (["Name", "LATITUDINE", "LONGITUDINE"], "LATITUDINE", "LONGITUDINE"),
        (["Name", "Latitude (WGS84)", "Longitude (WGS84)"], "Latitude (WGS84)",
         "Longitude (WGS84)"),
    ],
)
def test_coordinate_columns_are_suggested(header, lat, lon):
    raw = read_bytes((",".join(header) + "\nA,44.5,11.3\n").encode())
    mapping = columns.suggest_mapping(raw)
    assert (mapping["name"], mapping["lat"], mapping["lon"]) == ("Name", lat, lon)


def test_essglobal_prefers_the_filled_geo_container_columns():
    header = ("Identifier,Name,Primary Activity,Organisational Structure,Latitude,Longitude,"
              "Geo Container Latitude,Geo Container Longitude,Sector,Ownership Classification")
    raw = read_bytes((header + "\nR1,A,,,,,51.5,-0.1,Housing,Tenants\n").encode())
    mapping = columns.suggest_mapping(raw)
    assert mapping["lat"] == "Geo Container Latitude"
    assert mapping["themes"] == ["Sector", "Primary Activity", "Ownership Classification"]


# ---------------------------------------------------------------- placement


def test_italian_semicolon_latin1_file_with_region_names(layers, index):
    result = run(fx.italian_semicolon_latin1(), layers, index, "registro.csv", country="IT")
    assert result.source.encoding == "cp1252" and result.source.delimiter == ";"
    assert result.read == fx.ITALIAN_READ
    assert [r["reason"] for r in result.rejections] == ["no name"]
    rows = by_name(result)
    expect = {
        "Cooperativa Esempio Uno (sintetica)": "code_nuts2", "Forno Solidale (sintetico)": "ITG1",
    }
    assert rows["Cooperativa Esempio Uno (sintetica)"][expect["Cooperativa Esempio Uno "
                                                              "(sintetica)"]] == "ITH5"
    assert rows["Forno Solidale (sintetico)"]["code_nuts2"] == "ITG1"
    assert rows["Bottega Equa (sintetica)"]["code_nuts2"] == "ITG1"  # "Sicily"
    assert rows["Latteria Turnaria (sintetica)"]["code_nuts2"] == "ITC2"
    assert rows["Energia Comune (sintetica)"]["code_nuts2"] == "ITH1"  # "Bozen"
    assert rows["Casa Comune (sintetica)"]["code_nuts2"] == "ITH1"  # "Bolzano"
    assert rows["Riparo Città (sintetico)"]["code_nuts2"] == "ITC4"  # "LOMBARDIA"
    for name in ("Cooperativa Esempio Uno (sintetica)", "Forno Solidale (sintetico)"):
        row = rows[name]
        assert row["placement"] == "region_label_point" and row["region_match"] == "region"
        assert row["code_nuts3"] is None  # only the region and its parents
        assert "approximate" in row["location_issue"]
    # A region row is drawn at the region's label point.
    ith5 = layers["nuts2"].set_index("code").loc["ITH5"]
    row = rows["Cooperativa Esempio Uno (sintetica)"]
    assert (row["lat"], row["lon"]) == (ith5["label_lat"], ith5["label_lon"])
    # The popup names the region from the row's structured placement, not from report text.
    assert row["placed_in"] == "Emilia-Romagna (ITH5, NUTS 2 regions)"
    named = result.rows.set_index("name")
    named.loc["Cooperativa Esempio Uno (sintetica)", "location_issue"] = "reworded"
    notes = report.approximate_notes(named)
    assert notes["Cooperativa Esempio Uno (sintetica)"] == (
        "Approximate location: drawn at the label point of Emilia-Romagna (ITH5, NUTS 2 regions)")
    assert notes["Riparo Città (sintetico)"].endswith("(ITC4, NUTS 2 regions)")
    legacy = report.approximate_notes(named.drop(columns="placed_in"))
    assert legacy["Forno Solidale (sintetico)"].endswith("label point of its region")
    # Decimal-comma coordinates are points, placed by point in polygon.
    assert rows["Mercato Contadino (sintetico)"]["placement"] == "point"
    assert rows["Mercato Contadino (sintetico)"]["code_nuts3"] == "ITH56"
    assert rows["Orto Urbano (sintetico)"]["code_nuts2"] == "ITI4"
    # Fuzzy and unknown names wait for the user, with suggestions.
    pending = {r["value"]: r for r in result.regions if not r["region"]}
    assert pending["Emilie-Romagne"]["suggestions"][0]["region"] == "nuts2:ITH5"
    assert pending["Atlantide"]["how"] == "unknown"
    assert rows["Società di Mutuo Soccorso (sintetica)"]["placement"] == "none"
    assert result.placed() == {"coordinates": 2, "region": 7, "none": 2}


def test_confirmed_region_suggestions_are_placed(layers, index):
    result = run(fx.italian_semicolon_latin1(), layers, index, country="IT",
                 region_choices={"Emilie-Romagne": "nuts2:ITH5", "Atlantide": ""})
    rows = by_name(result)
    assert rows["Società di Mutuo Soccorso (sintetica)"]["code_nuts2"] == "ITH5"
    assert {r["value"]: r["how"] for r in result.regions}["Atlantide"] == "refused"


def test_region_codes_nuts_and_iso_3166_2(layers, index):
    data = b"name,region\nA,ITH55\nB,IT-BO\nC,ukm\nD,DE2\n"
    rows = by_name(run(data, layers, index))
    assert (rows["A"]["code_nuts3"], rows["A"]["code_nuts2"]) == ("ITH55", "ITH5")
    assert rows["B"]["code_admin1"] == "IT-BO" and rows["B"]["code_nuts3"] == "ITH55"
    assert rows["C"]["code_uk_regions"] == "UKM" and rows["C"]["country"] == "GB"
    assert rows["D"]["code_nuts1"] == "DE2" and rows["D"]["code_nuts2"] is None


def test_italian_regions_by_iso_3166_2_code(layers, index):
    """IT-45 is Emilia-Romagna (a NUTS 2 region, not a Natural Earth unit); IT-32, Trentino-Alto
    Adige, spans two NUTS 2 regions, so it is offered as a choice, never guessed."""
    result = run(b"name,region\nA,IT-45\nB,it-82\nC,IT-32\n", layers, index)
    rows = by_name(result)
    assert rows["A"]["code_nuts2"] == "ITH5" and rows["A"]["country"] == "IT"
    assert rows["B"]["code_nuts2"] == "ITG1"
    assert rows["C"]["placement"] == "none"
    trentino = next(r for r in result.regions if r["value"] == "IT-32")
    assert trentino["how"] == "ambiguous"
    assert {s["region"] for s in trentino["suggestions"]} == {"nuts2:ITH1", "nuts2:ITH2"}


def test_coordinate_problems_are_flagged_not_guessed(layers, index):
    data = (b"name,lat,lon,country,region\n"
            b"Swapped,11.34,44.49,IT,\n"           # Bologna the wrong way round
            b"Out of range,95,200,,\n"
            b"Null island,0,0,,Emilia-Romagna\n"
            b"Far away,48.85,2.35,IT,\n"           # Paris, declared Italian
            b"Too big,44.5,181,,\n"                # swapped-looking? no: lon out of range
            b"Fine,44.49,11.34,IT,\n"
            b"Text,north,east,IT,\n")
    result = run(data, layers, index)
    rows = by_name(result)
    flags = {f["line"]: f["issue"] for f in result.flagged}
    assert rows["Swapped"]["placement"] == "none" and "swapped" in flags[2]
    assert "out of range" in flags[3]
    assert rows["Null island"]["placement"] == "region_label_point"
    assert "0,0" in flags[4]
    assert "outside its declared country IT" in flags[5]
    assert rows["Fine"]["placement"] == "point" and rows["Fine"]["code_nuts2"] == "ITH5"
    assert "not numbers" in flags[8]
    fixed = by_name(run(data, layers, index, swap_latlon=True))
    assert fixed["Swapped"]["placement"] == "point" and fixed["Swapped"]["code_nuts2"] == "ITH5"


def test_xlsx_sheet_is_picked_and_read(layers, index):
    raw = read_bytes(fx.xlsx_register(), "register.xlsx")
    assert raw.format == "xlsx" and raw.sheet == "Register" and "About" in raw.sheets
    assert raw.lines.tolist() == [2, 3, 4, 5]
    result = run(fx.xlsx_register(), layers, index, "register.xlsx")
    rows = by_name(result)
    assert rows["Repair Café Synthetic"]["code_uk_regions"] == "UKI"
    assert rows["Synthetic Housing Co-op"]["themes"] == ["housing"]
    assert rows[fx.FORMULA]["name"] == fx.FORMULA  # text, never evaluated
    about = read_bytes(fx.xlsx_register(), "register.xlsx", sheet="About")
    assert about.columns == ["field", "value"]
    with pytest.raises(ImportFailure, match="no sheet"):
        read_bytes(fx.xlsx_register(), "register.xlsx", sheet="Nope")


def test_geojson_points_polygons_and_bad_features(layers, index):
    result = run(fx.geojson_register(), layers, index, "r.geojson")
    rows = by_name(result)
    assert rows["Synthetic point coop"]["placement"] == "point"
    area = rows["Synthetic area coop"]
    assert 11.0 < area["lon"] < 11.5 and 44.0 < area["lat"] < 44.5
    assert rows["Synthetic nowhere"]["code_nuts2"] == "ITH5"
    assert result.rejections == [{"line": 4, "reason": "not a GeoJSON Feature"}]


# ---------------------------------------------------------------- themes and duplicates


def test_themes_from_columns_and_reviewed_keywords(layers, index):
    data = b"name,category\nA,Housing; Energy\nBike repair corner,\nC,Mystery\nD,\n"
    result = run(data, layers, index)
    rows = by_name(result)
    assert rows["A"]["themes"] == ["energy", "housing"]
    assert rows["C"]["themes"] == []
    assert result.unmapped_themes["Mystery"] == 1
    suggested = {k["keyword"] for k in result.keyword_suggestions}
    assert "repair" in suggested
    accepted = by_name(run(data, layers, index, keywords=frozenset({"repair"})))
    assert accepted["Bike repair corner"]["themes"] == ["circular"]


def test_duplicates_are_reported_then_kept_or_merged(layers, index):
    data = (b"id,name,lat,lon,website\n"
            b"1,Coop A,44.4949,11.3426,\n"
            b"1,Coop A bis,45.0,9.0,\n"             # same source id
            b"3,coop  a,44.4953,11.3427,coopa.example\n"  # same name, ~45 m away
            b"4,Coop B,44.4949,11.3426,\n"           # other name, same place: not a duplicate
            b"5,Coop A,45.4642,9.19,\n")             # same name, Milan: not a duplicate
    kept = run(data, layers, index)
    assert kept.duplicate_groups == [{"lines": [2, 3, 4], "reason": "same source id"}]
    assert kept.duplicates == 2 and kept.accepted == 5
    assert kept.rows["id"].is_unique
    merged = run(data, layers, index, merge_duplicates=True)
    assert merged.accepted == 3 and merged.rejected == 2
    assert {r["reason"] for r in merged.rejections} == {"merged into line 2 (same source id)"}
    first = merged.rows.set_index("id").loc["t:1"]
    assert first["website"] == "http://coopa.example"


def test_hostile_text_is_kept_as_text(layers, index):
    result = run(fx.hostile_csv(), layers, index)
    assert result.accepted == 4
    row = result.rows.iloc[0]
    assert row["name"].startswith(fx.HOSTILE) and row["description"] == fx.HOSTILE
    assert row["website"] is None  # javascript: is not a URL we link to
    assert result.rows.iloc[3]["name"] == fx.FORMULA
    notes = report.approximate_notes(result.rows)
    assert "<script" not in "".join(notes)


def test_report_shape_for_json(layers, index):
    rep = run(fx.italian_semicolon_latin1(), layers, index, country="IT").report()
    for key, kind in (("read", int), ("accepted", int), ("rejected", int), ("rejections", list),
                      ("placed", dict), ("duplicates", int)):
        assert isinstance(rep[key], kind)
    assert set(rep["placed"]) >= {"coordinates", "region"}
    assert all(set(r) == {"line", "reason"} for r in rep["rejections"])


# ---------------------------------------------------------------- the shipped Co-operatives UK file


def test_shipped_coops_uk_file_imports_like_the_build(layers, index, shared_source):
    raw = reading.read_path(shared_source(*fx.COOPS_UK))
    result = run_import(raw, columns.suggest_mapping(raw), ImportOptions(dataset_id="c"),
                        layers, index)
    assert result.read == 7387 and result.accepted + result.rejected == result.read
    shipped = pd.read_parquet(DATA_DIR / "initiatives.parquet")
    shipped = shipped[shipped["source"] == "coopsuk"].set_index("source_id")
    mine = result.rows.set_index("source_id")
    both = mine.index.intersection(shipped.index)
    assert len(both) == len(shipped)
    pointed = shipped["lat"].notna()
    same_region = (mine.loc[both[pointed.loc[both]], "code_uk_regions"]
                   == shipped.loc[both[pointed.loc[both]], "code_uk_regions"])
    assert same_region.mean() > 0.999
    same_themes = [list(a) == list(b) for a, b in zip(mine.loc[both, "themes"],
                                                       shipped.loc[both, "themes"], strict=True)]
    assert sum(same_themes) / len(both) > 0.999


def test_bom_variants_of_one_file_read_the_same():
    text = "name;lat\nA;1,5\n"
    readings = {enc: read_bytes(codecs.BOM_UTF8 + text.encode() if enc == "bom"
                                else text.encode(enc)).cells.to_dict()
                for enc in ("bom", "utf-8", "utf-16", "cp1252")}
    assert len({str(v) for v in readings.values()}) == 1


def test_cli_style_path_import(tmp_path, layers):
    path = Path(tmp_path / "r.csv")
    path.write_bytes(fx.italian_semicolon_latin1())
    result = importer.import_path(path, ImportOptions(dataset_id="x", country="IT"),
                                  layers=layers)
    assert result.read == fx.ITALIAN_READ
    assert "read 12" in report.render_report(result.report())
