"""The context step of the build (atlas.build.context): regional context, typologies, degree of
urbanisation, SSE policies and official figures. Shipped values are checked against the raw
snapshots, read here independently (openpyxl, gzip, csv, json); tests that need the raw files
are skipped, saying which, when ../shared is absent."""

from __future__ import annotations

import csv
import gzip
import json
import math

import geopandas as gpd
import openpyxl
import pandas as pd
import pytest

from atlas import paths
from atlas.build import context as ctx
from atlas.model.provenance import REQUIRED, read_sidecar, sha256_of

RAW = "eurostat-regional-context"
SSE = "sse-policies-and-statistics"
SOURCE_KEYS = ("id", "title", "producer", "origin", "license", "license_url", "attribution",
               "snapshot", "period")


@pytest.fixture(scope="module")
def context() -> pd.DataFrame:
    return pd.read_parquet(paths.DATA_DIR / ctx.CONTEXT_FILE)


@pytest.fixture(scope="module")
def typologies() -> pd.DataFrame:
    return pd.read_parquet(paths.DATA_DIR / ctx.TYPOLOGIES_FILE)


@pytest.fixture(scope="module")
def policies() -> pd.DataFrame:
    return pd.read_csv(paths.DATA_DIR / ctx.POLICIES_FILE, dtype=str, keep_default_na=False)


@pytest.fixture(scope="module")
def figures() -> pd.DataFrame:
    return pd.read_csv(paths.DATA_DIR / ctx.FIGURES_FILE, keep_default_na=False,
                       dtype={c: str for c in ctx.FIGURE_COLUMNS if c != "value"})


@pytest.fixture(scope="module")
def layer_codes() -> dict[str, set[str]]:
    return {lid: set(gpd.read_parquet(paths.GEO_DIR / f"{lid}.parquet")["code"])
            for lid in ("countries", "nuts1", "nuts2", "nuts3")}


def shipped(context: pd.DataFrame, code: str, indicator: str) -> pd.Series:
    rows = context[(context["code"] == code) & (context["indicator"] == indicator)]
    assert len(rows) == 1, (code, indicator, len(rows))
    return rows.iloc[0]


def raw_labour(path, sheet: str) -> dict[str, tuple]:
    """NUTS code -> (Value, Flag, Year) of one sheet, read with openpyxl (columns A-D, F)."""
    book = openpyxl.load_workbook(path, read_only=True)
    try:
        rows = list(book[sheet].iter_rows(min_row=2, max_col=6, values_only=True))
    finally:
        book.close()
    return {r[0].strip(): (r[2], r[3], r[5]) for r in rows if r[0]}


def raw_gdp(path, geo: str) -> dict[int, str]:
    """Year -> raw cell of PPS_EU27_2020_HAB for one region of the gzip TSV."""
    with gzip.open(path, "rt", encoding="utf-8") as fh:
        years = [int(y) for y in fh.readline().rstrip("\n").split("\t")[1:]]
        for line in fh:
            cells = line.rstrip("\n").split("\t")
            if cells[0] == f"PPS_EU27_2020_HAB,{geo}":
                return dict(zip(years, (c.strip() for c in cells[1:]), strict=True))
    raise AssertionError(f"{geo} not in the raw GDP table")


# ---------------------------------------------------------------- context.parquet


def test_context_has_the_long_schema(context, layer_codes):
    assert list(context.columns) == list(ctx.CONTEXT_COLUMNS)
    assert context["value"].dtype == "float64" and context["year"].dtype == "int64"
    assert not context.duplicated(["layer", "code", "indicator"]).any()
    assert set(context["layer"]) == {"nuts2", "nuts3"}
    assert set(context["source"]) == {"ryb2026_labour", "nama_10r_3gdp", "ure2026_gdp_change"}
    for col in ("flag", "missing"):
        assert context[col].notna().all()
    # a value is there, or the row says why not: never both, never neither
    assert ((context["missing"] == "") == context["value"].notna()).all()
    for layer, rows in context.groupby("layer"):
        assert set(rows["code"]) <= layer_codes[layer], layer
    assert set(context["indicator"]) == {*ctx.LABOUR_SHEETS.values(), *ctx.GDP_INDICATORS,
                                         "gdp_change_2013_2023"}


def test_labour_values_are_the_raw_xlsx_values(context, shared_source):
    path = shared_source(RAW, "RYB2026_CH04_labour_market_for_maps.xlsx")
    m6 = raw_labour(path, "CH04M6")
    assert m6["ITG1"][:2] == (12.2, "") and m6["ES61"][:2] == (15.2, "d")  # the raw file
    sicily = shipped(context, "ITG1", "unemployment")
    assert sicily["value"] == 12.2 and sicily["flag"] == "" and sicily["year"] == 2025
    andalucia = shipped(context, "ES61", "unemployment")
    assert andalucia["value"] == 15.2 and andalucia["flag"] == "d"
    neet = raw_labour(path, "CH04M4")
    assert shipped(context, "ITG1", "neet_rate")["value"] == float(neet["ITG1"][0])
    assert shipped(context, "ITF6", "neet_rate")["value"] == float(neet["ITF6"][0])
    youth = raw_labour(path, "CH04M5")
    assert shipped(context, "ES61", "youth_unemployment")["value"] == float(youth["ES61"][0])
    # a Year in column F is the year of the value (Bucureşti-Ilfov youth unemployment: 2023)
    assert youth["RO32"][2] == 2023
    assert shipped(context, "RO32", "youth_unemployment")["year"] == 2023
    # and every other cell of every sheet, on the shipped nuts2 layer
    labour = context[context["source"] == "ryb2026_labour"]
    for sheet, indicator in ctx.LABOUR_SHEETS.items():
        got = labour[labour["indicator"] == indicator].set_index("code")
        raw = {c: v for c, v in raw_labour(path, sheet).items() if c in got.index}
        assert len(raw) == len(got), sheet
        for code, (value, flag, year) in raw.items():
            row = got.loc[code]
            if value == ":":
                assert math.isnan(row["value"]), (sheet, code)
            else:
                assert row["value"] == float(value), (sheet, code)
            assert row["flag"] == (flag or "").strip(), (sheet, code)
            assert row["year"] == (year or 2025), (sheet, code)


def test_a_colon_in_the_source_is_nan_with_a_reason_never_zero(context, shared_source):
    path = shared_source(RAW, "RYB2026_CH04_labour_market_for_maps.xlsx")
    raw = raw_labour(path, "CH04M6")
    assert raw["DEB2"][0] == ":"  # Trier's unemployment 2025 is not published
    trier = shipped(context, "DEB2", "unemployment")
    assert math.isnan(trier["value"]) and trier["value"] != 0
    assert trier["missing"] == ctx.NOT_AVAILABLE and "':'" in trier["missing"]
    assert trier["flag"] == "u"  # the flag of the cell is kept
    colons = context[context["missing"] == ctx.NOT_AVAILABLE]
    assert len(colons) > 0 and colons["value"].isna().all()


def test_gdp_shock_and_recovery_of_lombardia(context, shared_source):
    cells = raw_gdp(shared_source(RAW, "nama_10r_3gdp.tsv.gz"), "ITC4")
    assert (cells[2019], cells[2020], cells[2021]) == ("39900", "37700", "41400")
    assert shipped(context, "ITC4", "gdp_pps_per_inhabitant_2019")["value"] == 39_900
    level = shipped(context, "ITC4", "gdp_pps_per_inhabitant")
    assert level["value"] == 41_400 and level["year"] == 2021
    shock = shipped(context, "ITC4", "gdp_shock_2020")
    assert shock["value"] == pytest.approx(-5.51, abs=0.005) and shock["year"] == 2020
    assert shock["value"] == (37_700 / 39_900 - 1) * 100  # full precision, not rounded
    recovery = shipped(context, "ITC4", "gdp_recovery_2021")
    assert recovery["value"] == pytest.approx(9.81, abs=0.005) and recovery["year"] == 2021


def test_gdp_flags_and_gaps_of_the_inputs_carry_over():
    series = {2019: (100.0, ""), 2020: (90.0, "p"), 2021: (None, "")}
    rows = {r["indicator"]: r for r in ctx.gdp_rows(series, "nuts3", "XX123")}
    assert rows["gdp_shock_2020"]["value"] == pytest.approx(-10.0)
    assert rows["gdp_shock_2020"]["flag"] == "p"
    assert math.isnan(rows["gdp_recovery_2021"]["value"])
    assert rows["gdp_recovery_2021"]["missing"] == "no 2021 value in the source (':')"
    assert math.isnan(rows["gdp_pps_per_inhabitant"]["value"])
    assert ctx.union_flags("e", "p") == "e; p" and ctx.union_flags("", "") == ""
    assert ctx._gdp_cell("4700 p") == (4700.0, "p") and ctx._gdp_cell(": ") == (None, "")
    with pytest.raises(ValueError):
        ctx._gdp_cell("4,700")


def test_a_recoded_nuts2021_region_is_found_under_its_2024_code(context, shared_source):
    book = openpyxl.load_workbook(shared_source(RAW, "NUTS2021-NUTS2024.xlsx"), read_only=True)
    try:
        rows = list(book["NUTS2021- NUTS2024"].iter_rows(values_only=True))
    finally:
        book.close()
    assert ("PT16D", "PT191", "Code change") in {(r[2], r[3], r[7]) for r in rows}
    cells = raw_gdp(shared_source(RAW, "nama_10r_3gdp.tsv.gz"), "PT16D")
    aveiro = shipped(context, "PT191", "gdp_pps_per_inhabitant_2019")
    assert aveiro["value"] == float(cells[2019].split()[0])
    assert not (context["code"] == "PT16D").any()
    recoded = {r["code_2021"]: r["code_2024"]
               for r in read_sidecar(paths.DATA_DIR / ctx.CONTEXT_FILE)["recoded_nuts2021"]}
    assert recoded["PT16D"] == "PT191" and recoded["NL332"] == "NL361"


def test_unmapped_nuts2021_regions_are_listed_with_reasons(context):
    meta = read_sidecar(paths.DATA_DIR / ctx.CONTEXT_FILE)
    unmapped = meta["unmapped_nuts2021"]
    assert unmapped, "splits, merges and boundary shifts must be listed"
    for entry in unmapped:
        assert entry["reason"] and entry["change"] in {"Boundary shift", "Split", "Merged"}
        assert not (context["code"] == entry["code_2021"]).any()
    by_code = {e["code_2021"]: e for e in unmapped}
    assert by_code["PT17"]["change"] == "Split"  # Área Metropolitana de Lisboa
    gdp = meta["accounting"]["nama_10r_3gdp"]
    assert gdp["read"] == gdp["kept"] + gdp["rejected"]
    listed = [x for reason, items in gdp["rejected_by_reason"].items()
              if "not mapped" in reason for x in items]
    assert sorted(listed) == sorted(by_code)


def test_gdp_change_2013_2023_is_the_raw_json(context, shared_source):
    data = json.loads(shared_source(RAW, "ure2026_gdp_change_nuts3.json").read_text())
    raw = data["stats"]["gdpChange"]
    assert shipped(context, "BE100", "gdp_change_2013_2023")["value"] == raw["BE100"] == -24.0
    mayotte = shipped(context, "FRY50", "gdp_change_2013_2023")
    assert raw["FRY50"] == ":" and math.isnan(mayotte["value"]) and mayotte["missing"]
    got = context[context["indicator"] == "gdp_change_2013_2023"]
    assert set(got["code"]) == {c for c in raw if len(c) == 5}
    assert (got["layer"] == "nuts3").all() and (got["year"] == 2023).all()


def test_no_uk_code_in_context_or_typologies(context, typologies):
    assert not context["code"].str.startswith("UK").any()
    assert not typologies["code"].str.startswith("UK").any()


# ---------------------------------------------------------------- typologies, degurba


def test_typologies(typologies, layer_codes):
    assert 1100 <= len(typologies) <= 1165
    assert typologies["code"].is_unique and set(typologies["code"]) <= layer_codes["nuts3"]
    assert list(typologies.columns) == list(ctx.TYPOLOGY_COLUMNS)
    assert set(typologies["urban_rural"]) == set(ctx.URBAN_RURAL)
    for col in ctx.TYPOLOGY_COLUMNS[2:]:
        assert typologies[col].dtype == bool, col
    italy = typologies[typologies["code"].str.startswith("IT")]
    assert len(italy) == 107 == sum(c.startswith("IT") for c in layer_codes["nuts3"])
    brussels = typologies.set_index("code").loc["BE100"]
    assert brussels["urban_rural"] == "predominantly urban" and brussels["capital"]
    assert brussels["metropolitan"] and not brussels["coastal"]
    acc = read_sidecar(paths.DATA_DIR / ctx.TYPOLOGIES_FILE)["accounting"]["typologies"]
    assert acc["kept"] == len(typologies) and acc["kept"] + acc["rejected"] == acc["read"]


def test_typologies_are_the_raw_rows_of_the_shipped_layer(typologies, layer_codes,
                                                         shared_source):
    book = openpyxl.load_workbook(shared_source(RAW, "NUTS2021-NUTS2024.xlsx"), read_only=True)
    try:
        raw = {r[1]: r for r in book["NUTS-3 Typologies"].iter_rows(min_row=2, values_only=True)
               if r[1]}
    finally:
        book.close()
    in_layer = {c for c in raw if c in layer_codes["nuts3"]}
    assert 1100 <= len(raw) <= 1200 and set(typologies["code"]) == in_layer
    rejected = read_sidecar(paths.DATA_DIR / ctx.TYPOLOGIES_FILE)["accounting"]["typologies"]
    assert rejected["rejected"] == len(raw) - len(in_layer)
    got = typologies.set_index("code")
    for code in in_layer:
        _, _, _, urban_rural, coastal, *_, island, _, capital = raw[code][:11]
        assert got.loc[code, "urban_rural"] == urban_rural.strip(), code
        assert got.loc[code, "coastal"] == (coastal.strip() == "coastal"), code
        assert got.loc[code, "island"] == (island.strip() == "Island"), code
        assert got.loc[code, "capital"] == (capital == "Capital region"), code


@pytest.fixture(scope="module")
def degurba() -> pd.DataFrame:
    return pd.read_parquet(paths.DATA_DIR / ctx.DEGURBA_FILE)


def test_degurba(degurba):
    assert list(degurba.columns) == list(ctx.DEGURBA_COLUMNS)
    assert set(degurba["indicator"]) == {"unemployment", "poverty_or_exclusion"}
    assert set(degurba["degurba"]) == {"cities", "towns_suburbs", "rural"}
    assert set(degurba.loc[degurba["indicator"] == "poverty_or_exclusion", "sex"]) == {"total"}
    assert set(degurba["sex"]) == {"total", "male", "female"}
    assert "EU" in set(degurba["country"]) and "GR" in set(degurba["country"])
    assert degurba["country"].str.fullmatch(r"[A-Z]{2}").all()
    assert (degurba["year"] == 2025).all()
    assert ((degurba["missing"] == "") == degurba["value"].notna()).all()
    assert not read_sidecar(paths.DATA_DIR / ctx.DEGURBA_FILE)["unknown_countries"]


def test_degurba_values_are_the_raw_json(degurba, shared_source):
    raw = json.loads(shared_source(RAW, "ure2026_unemployment_degurba_2025.json").read_text())
    italy = next(r for r in raw["data"] if r["country"] == "Italy")
    got = degurba.set_index(["country", "indicator", "degurba", "sex"])["value"]
    assert got[("IT", "unemployment", "cities", "female")] == italy["female"]["cities"]
    lux = next(r for r in raw["data"] if r["country"] == "Luxembourg")
    assert lux["total"]["cities"] is None
    row = degurba[(degurba["country"] == "LU") & (degurba["indicator"] == "unemployment")
                  & (degurba["degurba"] == "cities") & (degurba["sex"] == "total")].iloc[0]
    assert math.isnan(row["value"]) and row["missing"] == ctx.NO_VALUE
    arope = json.loads(shared_source(RAW, "ure2026_arope_degurba_2025.json").read_text())
    greece = next(r for r in arope["data"] if r["country"] == "Greece")
    assert got[("GR", "poverty_or_exclusion", "rural", "total")] == greece["rural"] == 33.7


# ---------------------------------------------------------------- policies and official figures


def test_policies_carry_their_source_and_region(policies):
    assert list(policies.columns) == ["id", *ctx.POLICY_COLUMNS, "layer", "code"]
    assert policies["id"].is_unique
    assert policies["source_url"].str.match(r"https?://").all()
    puglia = policies[(policies["nuts_code"] == "ITF4") & (policies["number"] == "L.R. 23/2014")]
    assert len(puglia) == 1
    assert (puglia.iloc[0]["layer"], puglia.iloc[0]["code"]) == ("nuts2", "ITF4")
    national = policies[policies["level"] == "national"]
    assert (national["layer"] == "countries").all()
    assert set(national.loc[national["country"] == "GR", "code"]) == {"GR"}
    eu = policies[policies["level"] == "eu"]
    assert len(eu) and (eu["layer"] == "eu").all() and (eu["code"] == "EU").all()
    acc = read_sidecar(paths.DATA_DIR / ctx.POLICIES_FILE)["accounting"]["sse_policies"]
    assert acc["read"] == acc["kept"] + acc["rejected"]
    assert len(policies) == acc["kept"] and len(acc["rejected_rows"]) == acc["rejected"]
    assert all(r["reason"] for r in acc["rejected_rows"])


def test_policies_round_trip_the_raw_csv(policies, shared_source):
    with open(shared_source(SSE, "sse_policies.csv"), newline="", encoding="utf-8") as fh:
        raw = list(csv.DictReader(fh))
    acc = read_sidecar(paths.DATA_DIR / ctx.POLICIES_FILE)["accounting"]["sse_policies"]
    assert acc["read"] == len(raw) == acc["kept"] + acc["rejected"]
    kept = [r for r in raw if r["source_url"].strip()]
    # quotes and commas of titles and quotes survive the round trip
    assert [r["source_quote"].strip() for r in kept] == policies["source_quote"].tolist()
    assert [r["title"].strip() for r in kept] == policies["title"].tolist()


def test_official_figures_are_numbers_with_sources(figures, shared_source):
    assert list(figures.columns) == ["id", *ctx.FIGURE_COLUMNS, "layer", "code"]
    assert figures["value"].dtype == "float64" and figures["value"].notna().all()
    assert figures["id"].is_unique and figures["source_url"].str.match(r"https?://").all()
    with open(shared_source(SSE, "sse_official_stats.csv"), newline="", encoding="utf-8") as fh:
        raw = list(csv.DictReader(fh))
    meta = read_sidecar(paths.DATA_DIR / ctx.FIGURES_FILE)
    acc = meta["accounting"]["sse_official_stats"]
    assert acc["read"] == len(raw) == acc["kept"] + acc["rejected"]
    assert len(figures) == acc["kept"]
    by_id = figures.set_index("id")
    er = by_id.loc["it-ith5-nonprofit-employees-2019"]
    assert er["value"] == 83_059 and (er["layer"], er["code"]) == ("nuts2", "ITH5")
    raw_er = next(r for r in raw if r["nuts_code"] == "ITH5"
                  and r["indicator"] == "nonprofit_employees" and r["year"] == "2019")
    assert float(raw_er["value"]) == er["value"]
    # a regional figure without a NUTS code is kept, not attached, and says why
    trentino = figures[figures["region_name"] == "Trentino-Alto Adige"].iloc[0]
    assert trentino["layer"] == "" and trentino["code"] == ""
    reasons = {u["id"]: u["reason"] for u in acc["not_attached"]}
    assert "without a NUTS code" in reasons[trentino["id"]]


def test_compiled_rows_without_a_source_or_a_number_are_rejected(tmp_path):
    """Synthetic rows (labelled): one good, one without source_url, one whose value is text."""
    path = tmp_path / "figures.csv"
    header = ",".join(ctx.FIGURE_COLUMNS)
    path.write_text(
        header + "\n"
        'IT,Puglia,ITF4,x_synthetic,12,2020,u,p,https://example.org/a,"a ""quoted"", text"\n'
        "IT,Puglia,ITF4,x_synthetic,13,2021,u,p,,no link\n"
        "EL,,,x_synthetic,about 5,2021,u,p,https://example.org/b,text\n"
        "EL,,,x_synthetic,7.5,2022,u,p,https://example.org/c,text\n",
        encoding="utf-8",
    )
    codes = {"nuts2": {"ITF4"}, "countries": {"GR", "IT"}}
    frame, acc, rejected = ctx.read_compiled(path, ctx.FIGURE_COLUMNS, codes, numeric="value")
    assert (acc["read"], acc["kept"], acc["rejected"]) == (4, 2, 2)
    assert [r["reason"] for r in rejected] == ["no source_url",
                                               "value is not a number ('about 5')"]
    assert frame["source_quote"].tolist()[0] == 'a "quoted", text'
    assert frame[["layer", "code"]].values.tolist() == [["nuts2", "ITF4"], ["countries", "GR"]]
    assert frame["id"].tolist() == ["it-itf4-x-synthetic-2020", "el-x-synthetic-2022"]


# ---------------------------------------------------------------- sidecars and reproducibility


def test_every_context_file_has_a_complete_sidecar():
    for name in ctx.OUTPUT_FILES:
        path = paths.DATA_DIR / name
        meta = read_sidecar(path)
        assert all(meta.get(k) not in (None, "") for k in REQUIRED), name
        assert meta["sha256"] == sha256_of(path), f"{name} changed without a rebuild"
        assert meta["steps"] and meta["sources"], name
        for source in meta["sources"]:
            assert all(source.get(k) for k in SOURCE_KEYS), (name, source.get("id"))
        assert meta["accounting"], name
        for sid, acc in meta["accounting"].items():
            assert acc["kept"] + acc["rejected"] == acc["read"], (name, sid)
    labour = next(s for s in read_sidecar(paths.DATA_DIR / ctx.CONTEXT_FILE)["sources"]
                  if s["id"] == "ryb2026_labour")
    assert "lfst_r_lfu3rt" in labour["attribution"]  # the sheets' own dataset codes
    gdp = read_sidecar(paths.DATA_DIR / ctx.CONTEXT_FILE)["sources"]
    assert any(s["attribution"] == "Source: Eurostat (nama_10r_3gdp)" for s in gdp)


def test_the_context_step_reproduces_the_committed_files(tmp_path, layer_codes, shared_source):
    report = ctx.build_context(shared_source(), tmp_path, layer_codes, log=lambda _: None)
    assert report["files"] == {name: read_sidecar(paths.DATA_DIR / name)["rows"]
                               for name in ctx.OUTPUT_FILES}
    for name in ctx.OUTPUT_FILES:
        assert sha256_of(tmp_path / name) == read_sidecar(paths.DATA_DIR / name)["sha256"], name
    assert report["unmapped_nuts2021"] and all(u["reason"] for u in report["unmapped_nuts2021"])
