"""Territorial context in the core, on small hand-made tables: the join to a layer, what a
region's context panel says, which policies and figures concern a region, the typology
roll-up and filters, the need table, and need in URLs. (Real rows: tests/test_context_data.py.)"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from atlas.analysis.context import (
    context_figures,
    figures_for,
    policies_for,
    typology_match,
)
from atlas.analysis.indicators import region_table
from atlas.analysis.need import need_table
from atlas.model.context import (
    INDICATORS,
    NOT_COVERED,
    TRAIT_BIT,
    flag_column,
    flag_words,
    missing_column,
    need_indicators,
)
from atlas.model.filters import Filters, from_params, mask
from atlas.model.metrics import METRICS, metrics_for
from atlas.model.views import MapView, view_from_params
from atlas.store.context import layer_typology, with_context


def layer(codes, countries, population=None) -> pd.DataFrame:
    n = len(codes)
    return pd.DataFrame({"code": codes, "name": [f"Region {c}" for c in codes],
                         "country": countries,
                         "population": population if population is not None else [1e6] * n,
                         "population_year": [2025] * n})


def context_rows(rows) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["layer", "code", "indicator", "value", "year", "flag",
                                       "missing", "source"])


REGIONS = layer(["IT01", "IT02", "IT03", "ES01", "FR01"], ["IT", "IT", "IT", "ES", "FR"])
CONTEXT = context_rows([
    ("nuts2", "IT01", "unemployment", 12.2, 2025, "", "", "ryb2026_labour"),
    ("nuts2", "IT02", "unemployment", 6.0, 2025, "u", "", "ryb2026_labour"),
    ("nuts2", "IT03", "unemployment", np.nan, 2025, "", "not available in the source (':')",
     "ryb2026_labour"),
    ("nuts2", "ES01", "unemployment", 15.2, 2025, "d", "", "ryb2026_labour"),
    ("nuts3", "IT01", "unemployment", 99.0, 2025, "", "", "ryb2026_labour"),  # other layer
])


def test_the_join_keeps_values_flags_and_says_why_a_value_is_missing():
    t = with_context(REGIONS, CONTEXT, "nuts2")
    by = t.set_index("code")
    assert by.at["IT01", "unemployment"] == 12.2  # not the nuts3 row's 99
    assert by.at["ES01", flag_column("unemployment")] == "d"
    assert np.isnan(by.at["IT03", "unemployment"])
    assert by.at["IT03", missing_column("unemployment")] == "not available in the source (':')"
    assert np.isnan(by.at["FR01", "unemployment"])  # not in the source: no data, never 0
    assert by.at["FR01", missing_column("unemployment")] == NOT_COVERED
    assert by.at["IT01", missing_column("unemployment")] == ""


def test_region_table_carries_context_as_metrics_on_their_layers_only():
    t = with_context(REGIONS, CONTEXT, "nuts2")
    df = pd.DataFrame({"code_nuts2": ["IT01", "IT01"], "country": ["IT", "IT"],
                       "themes": [[], []]})
    table = region_table(df, t, "nuts2").set_index("code")
    assert table.at["IT01", "unemployment"] == 12.2
    assert table.at["IT02", flag_column("unemployment")] == "u"
    assert "unemployment" in metrics_for("nuts2")
    assert "unemployment" not in metrics_for("uk_regions")  # the UK is in no Eurostat file
    assert "gdp_change_2013_2023" in metrics_for("nuts3")
    assert "gdp_change_2013_2023" not in metrics_for("nuts2")
    assert METRICS["unemployment"].indicator == "unemployment"
    assert "Eurostat" in MapView(layer="nuts2", metric="unemployment").legend_note


def test_the_context_panel_ranks_and_compares_with_medians_of_regions():
    t = with_context(REGIONS, CONTEXT, "nuts2")
    figs = {f.indicator: f for f in context_figures(t, "nuts2", "IT02")}
    u = figs["unemployment"]
    assert u.value == 6.0 and u.flag == "u" and "low reliability" in u.flag_meaning
    assert (u.rank, u.ranked) == (3, 3)  # 15.2, 12.2, 6.0
    assert u.country_median == pytest.approx(9.1)  # IT01 and IT02; IT03 has no value
    assert u.eu_median == pytest.approx(12.2)
    assert "low reliability" in u.value_text()
    missing = {f.indicator: f for f in context_figures(t, "nuts2", "FR01")}["unemployment"]
    assert missing.value is None and missing.rank is None
    assert missing.value_text() == f"no data: {NOT_COVERED}"
    assert set(figs) == set(need_indicators("nuts2")) | {
        i for i in INDICATORS if "nuts2" in INDICATORS[i].layers}


def test_flag_words_reads_combined_flags():
    assert flag_words("d; u") == "d: definition differs; u: low reliability"
    assert flag_words("bp") == "b: break in time series; p: provisional"
    assert flag_words("") == ""


POLICIES = pd.DataFrame({
    "id": ["p1", "p2", "p3", "p4", "p5"],
    "layer": ["nuts2", "nuts2", "countries", "eu", "nuts1"],
    "code": ["ITF4", "ITC3", "IT", "EU", "FRJ"],
    "number": ["L.R. 23/2014", "L.R. 14/2015", "L. 381/1991", "", "loi"],
    "title": ["a", "b", "c", "d", "e"],
    "date_adopted": ["2014-08-20", "2015-04-07", "1991-11-08", "2021-12-09", "2014"],
    "subject": ["community_cooperatives"] * 5,
    "source_url": ["https://example.org/1"] * 5,
})


def test_a_region_gets_its_own_its_countrys_and_the_eus_policies_and_no_other_regions():
    got = policies_for(POLICIES, "nuts2", "ITF4", "IT")
    assert list(got["id"]) == ["p1", "p3", "p4"]
    assert list(got["scope"]) == ["this region", "national", "EU"]
    nuts3 = policies_for(POLICIES, "nuts3", "ITF47", "IT")
    assert list(nuts3["scope"]) == ["wider region", "national", "EU"]
    country = policies_for(POLICIES, "countries", "IT", "IT")
    assert set(country["id"]) == {"p1", "p2", "p3", "p4"}  # its regions' laws too
    assert set(country.loc[country["id"].isin(["p1", "p2"]), "scope"]) == {"part of this region"}
    assert list(policies_for(POLICIES, "uk_regions", "UKC", "GB")["id"]) == []  # not EU
    assert "p5" in set(policies_for(POLICIES, "nuts2", "FRJ1", "FR")["id"])


def test_official_figures_are_listed_as_published_never_merged():
    figs = pd.DataFrame({
        "id": ["a", "b", "c"], "layer": ["nuts2", "nuts2", "countries"],
        "code": ["ITF4", "ITF4", "IT"], "indicator": ["social_cooperatives"] * 3,
        "value": [100.0, 120.0, 14343.0], "year": ["2019", "2023", "2023"],
        "publisher": ["ISTAT", "RUNTS", "ISTAT"], "unit": ["co-operatives"] * 3,
        "source_url": ["https://example.org"] * 3,
    })
    got = figures_for(figs, "nuts2", "ITF4", "IT")
    assert len(got) == 3  # two years, two publishers: three rows
    assert set(got["value"]) == {100.0, 120.0, 14343.0}


def test_typologies_roll_up_by_population_with_the_stated_rule():
    typ = pd.DataFrame({"code": ["IT011", "IT012", "IT013"],
                        "urban_rural": ["predominantly rural", "predominantly urban",
                                        "predominantly rural"],
                        "coastal": [True, False, False], "mountain": [True, True, False],
                        "island": [False] * 3, "border": [False] * 3,
                        "metropolitan": [False, True, False], "capital": [False] * 3})
    nuts3 = layer(["IT011", "IT012", "IT013"], ["IT"] * 3, population=[100, 500, 300])
    own = layer_typology("nuts3", typ, nuts3)
    assert own.at["IT011", "area"] == "rural"
    up = layer_typology("nuts2", typ, nuts3)
    assert up.at["IT01", "area"] == "urban"  # 500 urban > 400 rural
    bits = int(up.at["IT01", "trait_bits"])
    assert bits & TRAIT_BIT["mountain"]  # 600 of 900 live in mountain NUTS 3
    assert not bits & TRAIT_BIT["coastal"]  # 100 of 900
    country = layer_typology("countries", typ, nuts3)
    assert country.at["IT", "area"] == "urban"
    assert layer_typology("uk_regions", typ, nuts3).empty
    f = Filters(areas=("rural",))
    assert list(typology_match(own, f)) == [True, False, True]
    assert list(typology_match(up, Filters(traits=("coastal", "mountain")))) == [True]


def test_territory_filters_round_trip_through_the_url_and_filter_initiatives():
    allowed = {"areas": ["urban", "intermediate", "rural"], "traits": list(TRAIT_BIT)}
    f, notices = from_params({"area": ["rural", "nowhere"], "trait": ["island"]}, allowed)
    assert f.areas == ("rural",) and f.traits == ("island",) and notices
    assert f.to_params() == {"area": ["rural"], "trait": ["island"]}
    assert "predominantly rural" in f.describe() and "island" in f.describe()
    df = pd.DataFrame({"area": ["rural", "urban", None],
                       "trait_bits": [TRAIT_BIT["island"], TRAIT_BIT["island"], 0]})
    assert list(mask(df, Filters(areas=("rural",)))) == [True, False, False]
    assert list(mask(df, Filters(traits=("island",)))) == [True, True, False]
    assert list(mask(df, f)) == [True, False, False]


def test_need_table_puts_high_need_and_few_known_initiatives_first():
    codes = [f"R{i}" for i in range(9)]
    regions = layer(codes, ["IT"] * 9)
    ctx = context_rows([("nuts2", c, "youth_unemployment", float(v), 2025, "", "",
                         "ryb2026_labour") for c, v in zip(codes, [5, 6, 7, 20, 21, 22, 40, 41,
                                                                    42], strict=True)])
    t = with_context(regions, ctx, "nuts2")
    counts = [9, 5, 1, 9, 5, 1, 9, 5, 0]  # per 1e6 inhabitants: ×0.1 per 100k
    df = pd.DataFrame({"code_nuts2": [c for c, n in zip(codes, counts, strict=True)
                                      for _ in range(n)]})
    df["country"], df["themes"] = "IT", [[] for _ in range(len(df))]
    table = region_table(df, t, "nuts2")
    rows = need_table(table, "youth_unemployment", "per_100k")
    assert rows.iloc[0]["code"] == "R8"  # highest need, no known initiative
    assert rows.iloc[0]["gap"] and rows.iloc[0]["class"] == "few initiatives, high need"
    assert set(rows.loc[rows["gap"], "code"]) == {"R8"}
    assert rows.set_index("code").at["R0", "class"] == "many initiatives, low need"
    emp = need_table(table.assign(employment_rate=table["youth_unemployment"]),
                     "employment_rate", "per_100k")
    assert emp.iloc[0]["code"] == "R2"  # low employment is the need: reversed


def test_need_in_the_url_is_checked_against_the_layer():
    view, notices = view_from_params({"layer": "nuts2", "metric": "per_100k",
                                      "need": "youth_unemployment"}, ["employment"])
    assert view.need == "youth_unemployment" and view.bivariate and not notices
    assert view.to_params()["need"] == "youth_unemployment"
    view, notices = view_from_params({"layer": "uk_regions", "need": "youth_unemployment"},
                                     ["employment"])
    assert view.need == "" and notices
    view, notices = view_from_params({"layer": "nuts2", "metric": "unemployment",
                                      "need": "youth_unemployment"}, ["employment"])
    assert view.metric == "per_100k" and notices
    view, notices = view_from_params({"layer": "nuts2", "metric": "neet_rate"}, ["employment"])
    assert view.metric == "neet_rate" and not notices
