"""The shipped context where users meet it: values on the map, the region profile (page,
JSON, CLI), the need page and the bivariate map equal the source values; no data is never 0;
every policy shown has its source link. Raw-file comparisons skip without ../shared."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from atlas.analysis.indicators import region_table
from atlas.analysis.need import need_table
from atlas.analysis.profile import build_profile
from atlas.model.context import INDICATORS, flag_column
from atlas.store.context import (
    context_layer_table,
    load_context,
    load_degurba,
    load_official_figures,
    load_policies,
    load_typologies,
)
from atlas.store.initiatives import load_initiatives
from atlas.text import inert_markdown as md
from tests.apptest import open_page

ROOT = Path(__file__).resolve().parents[1]
LABOUR = "eurostat-regional-context/RYB2026_CH04_labour_market_for_maps.xlsx"


@pytest.fixture(scope="module")
def initiatives() -> pd.DataFrame:
    return load_initiatives()


def raw_cell(path: Path, sheet: str, code: str) -> tuple[object, object]:
    """(Value, Flag) of a region in a sheet of the raw Regional Yearbook file."""
    raw = pd.read_excel(path, sheet_name=sheet, usecols="A:D", dtype=str)
    row = raw[raw["NUTS"].str.strip() == code].iloc[0]
    return row["Value"], row["Flag"]


def test_every_shipped_indicator_is_in_the_registry_and_back():
    shipped = set(load_context()["indicator"])
    assert shipped == set(INDICATORS)  # a build id without a record (or the reverse) fails


@pytest.mark.parametrize(("sheet", "indicator", "code"), [
    ("CH04M6", "unemployment", "ITG1"),  # Sicilia
    ("CH04M6", "unemployment", "ES61"),  # Andalucía, flag d
    ("CH04M5", "youth_unemployment", "ITG1"),
    ("CH04M4", "neet_rate", "ES61"),
])
def test_the_profile_shows_the_raw_value_and_flag(shared_source, initiatives, sheet, indicator,
                                                  code):
    value, flag = raw_cell(shared_source(LABOUR), sheet, code)
    regions = context_layer_table("nuts2")
    profile = build_profile(initiatives, regions, "nuts2", code)
    shown = {c.indicator: c for c in profile.context}[indicator]
    assert shown.value == pytest.approx(float(value))
    assert shown.flag == ("" if pd.isna(flag) else str(flag).strip())
    as_json = profile.to_json()["context"][indicator]
    assert as_json["value"] == pytest.approx(float(value)) and as_json["year"] == 2025
    assert as_json["source"].startswith("Source: Eurostat")


def test_andalucias_flag_is_shown_in_words_on_the_map_and_in_the_profile(initiatives):
    at = open_page(None, {"layer": "nuts2", "metric": "unemployment", "region": "ES61"})
    values = {m.label: m.value for m in at.metric}
    assert values["Unemployment rate (15–74), 2025"] == "15.2 % (d: definition differs)"
    table = region_table(initiatives, context_layer_table("nuts2"), "nuts2")
    assert table.set_index("code").at["ES61", flag_column("unemployment")] == "d"


def test_puglia_profile_lists_its_community_cooperative_law_with_its_source():
    at = open_page("pages/region.py", {"layer": "nuts2", "region": "ITF4"})
    tabs = [t.label for t in at.tabs]
    assert any(t.startswith("Policies (") for t in tabs)
    policies = next(d.value for d in at.dataframe if "Number" in d.value.columns)
    law = policies[policies["Number"] == "L.R. 23/2014"]
    assert len(law) == 1 and law["Applies to"].iloc[0] == "this region"
    assert law["Source"].iloc[0].startswith("https://")
    assert (policies["Source"].str.startswith(("https://", "http://"))).all()
    summary = " ".join(i.value for i in at.info)
    assert md("L.R. 23/2014") in summary and md("youth unemployment") in summary
    figures = next(d.value for d in at.dataframe if "Publisher" in d.value.columns)
    assert len(figures) and figures["Source"].notna().all()


def test_a_uk_region_says_no_data_for_need_never_zero():
    at = open_page("pages/region.py", {"layer": "uk_regions", "region": "UKC"})
    captions = " ".join(c.value for c in at.caption).replace("\\", "")
    assert "UK is in none of the Eurostat files" in captions
    summary = " ".join(i.value for i in at.info).replace("\\", "")
    assert "none for this layer" in summary


def test_cli_profile_json_has_context_policies_and_official_figures():
    done = subprocess.run([sys.executable, "-m", "atlas", "profile", "nuts2:ITF4", "--json"],
                          cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    out = json.loads(done.stdout)
    assert out["context"]["youth_unemployment"]["value"] > 0
    assert out["context"]["gdp_shock_2020"]["year"] == 2020
    numbers = {p["number"] for p in out["policies"]}
    assert "L.R. 23/2014" in numbers
    assert all(p["source_url"] for p in out["policies"] + out["official_figures"])
    assert any(f["scope"] == "this region" for f in out["official_figures"])
    assert out["summary"].startswith("Puglia has")


def test_official_figures_of_different_years_stay_separate_rows():
    figures = load_official_figures()
    it = figures[(figures["code"] == "IT") & (figures["indicator"] == "nonprofit_institutions")]
    assert it["year"].nunique() > 1 and len(it) == len(figures.loc[it.index])
    profile_rows = build_profile(load_initiatives(), context_layer_table("countries"),
                                 "countries", "IT", figures=figures).official_figures
    same = profile_rows[(profile_rows["indicator"] == "nonprofit_institutions")
                        & (profile_rows["scope"] == "national")]
    assert sorted(same["value"]) == sorted(it["value"])  # as published: never summed
    assert (profile_rows["scope"] == "part of this region").any()  # regions' own figures too


def test_need_page_ranks_high_need_and_few_known_initiatives_and_exports(initiatives):
    at = open_page("pages/need.py", {"layer": "nuts2", "need": "youth_unemployment"})
    table = at.dataframe[0].value
    gap = table[table["High need, few known initiatives"] == "yes"]
    assert len(gap) and list(gap.index) == list(range(len(gap)))  # gap regions first
    core = need_table(region_table(initiatives, context_layer_table("nuts2"), "nuts2"),
                      "youth_unemployment")
    assert list(table["Code"]) == list(core["code"])  # the page shows the core's table
    assert not table["Code"].str.startswith("UK").any()
    assert at.query_params["need"] == "youth_unemployment"
    labels = [b.label for b in at.get("download_button")]
    assert "Excel (.xlsx)" in labels
    assert any("sample" in w.value for w in at.warning)  # the coverage caveat


def test_need_page_follows_the_typology_filter():
    every = open_page("pages/need.py", {"need": "youth_unemployment"}).dataframe[0].value
    rural = open_page("pages/need.py", {"need": "youth_unemployment", "area": "rural"})
    rows = rural.dataframe[0].value
    assert 0 < len(rows) < len(every)
    assert rural.query_params["area"] == "rural"


def test_bivariate_map_from_the_url_draws_and_keeps_need_in_the_url():
    at = open_page(None, {"layer": "nuts2", "metric": "per_100k",
                          "need": "youth_unemployment", "region": "ITF4"})
    assert at.query_params["need"] == "youth_unemployment"
    values = {m.label: m.value for m in at.metric}
    assert values["Youth unemployment rate (15–29), 2025"].endswith("%")
    assert at.get("selectbox")[2].value == "youth_unemployment"


def test_every_policy_is_shipped_with_a_source():
    policies = load_policies()
    assert len(policies) == 56
    assert policies["source_url"].str.match(r"https?://").all()
    assert policies["source_quote"].str.len().gt(0).all()


def test_a_territory_filter_greys_out_regions_outside_it_on_the_map():
    typ = load_typologies()
    italian = typ[typ["code"].str.startswith("IT")]
    rural = italian.loc[italian["urban_rural"] == "predominantly rural", "code"].iloc[0]
    urban = italian.loc[italian["urban_rural"] == "predominantly urban", "code"].iloc[0]
    at = open_page(None, {"layer": "nuts3", "area": "rural", "region": urban, "points": "0"})
    assert any("outside the territory filter" in w.value for w in at.warning)
    at = open_page(None, {"layer": "nuts3", "area": "rural", "region": rural, "points": "0"})
    assert "Initiatives (with filters)" in {m.label for m in at.metric}


def test_compare_ranks_only_the_regions_of_the_territory_filter():
    every = open_page("pages/compare.py", {}).dataframe[-1].value
    rural = open_page("pages/compare.py", {"area": "rural"}).dataframe[-1].value
    assert 0 < len(rural) < len(every)


def test_degree_of_urbanisation_figures_are_the_raw_json(shared_source, initiatives):
    raw = json.loads(shared_source(
        "eurostat-regional-context/ure2026_unemployment_degurba_2025.json").read_text())
    italy = next(r for r in raw["data"] if r["country"] == "Italy")["total"]
    profile = build_profile(initiatives, context_layer_table("nuts2"), "nuts2", "ITF4",
                            degurba=load_degurba())
    row = profile.degurba[(profile.degurba["Where"] == "IT")
                          & profile.degurba["Indicator"].str.startswith("Unemployment")].iloc[0]
    assert row["Rural areas"] == pytest.approx(float(italy["rural"]))
    assert row["Cities"] == pytest.approx(float(italy["cities"]))
    assert {r["Where"] for r in profile.to_json()["degurba"]} == {"IT", "EU"}
