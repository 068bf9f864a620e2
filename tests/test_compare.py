"""Comparison and ranking tables, coverage notes, mixes and charts (synthetic rows)."""

import math

import pandas as pd
import pytest

from atlas.analysis.compare import (
    MAX_REGIONS,
    RECORDS_PREFIX,
    RegionRef,
    activity_mix,
    category_table,
    comparison_table,
    coverage,
    coverage_note,
    format_refs,
    layer_indicators,
    mix_long,
    parse_refs,
    ranking,
    region_mixes,
    theme_bars,
    theme_multiples,
)
from atlas.model.filters import Filters
from atlas.model.themes import NO_THEME

CODES = {"nuts2": {"ITH5", "ITH4", "UKX"}, "uk_regions": {"UKI", "UKC"}}


@pytest.fixture
def uk_regions() -> pd.DataFrame:
    return pd.DataFrame({"code": ["UKI", "UKC"], "name": ["London", "North East"],
                         "country": ["GB", "GB"], "population": [9_000_000.0, 2_600_000.0],
                         "population_year": [2019, 2019]})


def test_parse_refs_keeps_valid_regions_in_order():
    refs, notices = parse_refs("nuts2:ITH5,uk_regions:UKI", CODES)
    assert refs == [RegionRef("nuts2", "ITH5"), RegionRef("uk_regions", "UKI")]
    assert notices == []
    assert format_refs(refs) == "nuts2:ITH5,uk_regions:UKI"


def test_parse_refs_repeated_params_and_duplicates():
    refs, notices = parse_refs(["nuts2:ITH5", "nuts2:ITH5,uk_regions:UKC"], CODES)
    assert [str(r) for r in refs] == ["nuts2:ITH5", "uk_regions:UKC"] and notices == []


@pytest.mark.parametrize(
    "raw, fragment",
    [("nuts9:ITH5", "layer:code"), ("ITH5", "layer:code"), ("nuts2:XX99", "no region"),
     ("<script>:x", "layer:code")],
)
def test_parse_refs_drops_bad_values_with_a_notice(raw, fragment):
    refs, notices = parse_refs(raw, CODES)
    assert refs == [] and len(notices) == 1 and fragment in notices[0]


def test_parse_refs_caps_the_selection():
    many = ",".join(f"nuts2:R{i}" for i in range(MAX_REGIONS + 2))
    refs, notices = parse_refs(many, {"nuts2": {f"R{i}" for i in range(10)}})
    assert len(refs) == MAX_REGIONS and "Only 6" in notices[-1]


def test_comparison_table_mixes_layers_and_countries(rows, nuts2_regions, uk_regions):
    refs = [RegionRef("nuts2", "ITH5"), RegionRef("uk_regions", "UKI")]
    table = comparison_table(rows, {"nuts2": nuts2_regions, "uk_regions": uk_regions}, refs)
    assert list(table["Code"]) == ["ITH5", "UKI"]
    assert list(table["Initiatives"]) == [3, 2]
    assert table.loc[0, "Layer"] == "NUTS 2 regions"
    assert table.loc[1, "Initiatives per 100,000 inhabitants"] == pytest.approx(2 / 90)
    assert table.loc[0, "Rank in layer"] == 1 and table.loc[0, "Regions in layer"] == 3
    assert table.loc[1, "Share of the country's initiatives"] == 1.0
    source_columns = [c for c in table.columns if c.startswith(RECORDS_PREFIX)]
    assert table.loc[0, source_columns].sum() == 3  # every record counted under its source


def test_comparison_follows_filters(rows, nuts2_regions, uk_regions):
    refs = [RegionRef("nuts2", "ITH5"), RegionRef("uk_regions", "UKI")]
    tables = {"nuts2": nuts2_regions, "uk_regions": uk_regions}
    table = comparison_table(rows, tables, refs, Filters(themes=("circular",)))
    assert list(table["Initiatives"]) == [1, 0]


def test_layer_indicators_theme_shares_and_no_data(rows, nuts2_regions):
    table = layer_indicators(rows, nuts2_regions, "nuts2", Filters(), ["proximity", NO_THEME])
    ith5 = table.set_index("Code").loc["ITH5"]
    assert ith5["Share with theme: Proximity circuits"] == pytest.approx(2 / 3)
    assert ith5["Share with theme: No theme"] == 0
    friuli = table.set_index("Code").loc["ITH4"]
    assert math.isnan(friuli["Share with theme: Proximity circuits"])  # no initiatives: no data
    assert str(table["Population year"].dtype) == "Int64"


def test_ranking_sorts_by_any_indicator_with_no_data_last(rows, nuts2_regions):
    table = layer_indicators(rows, nuts2_regions, "nuts2")
    ranked = ranking(table, "Initiatives per 100,000 inhabitants")
    assert list(ranked["Code"]) == ["ITH5", "ITH4", "UKX"]  # no data last, then by name
    assert ranked["Initiatives per 100,000 inhabitants"].iloc[1:].isna().all()
    low_first = ranking(table, "Initiatives", ascending=True)
    assert list(low_first["Initiatives"]) == sorted(table["Initiatives"])
    with pytest.raises(KeyError):
        ranking(table, "nope")


def test_coverage_says_what_each_source_contributes(rows):
    rows = rows.assign(source=["susy", "susy", "coopsuk", "coopsuk", "coopsuk"])
    table = coverage(rows, "nuts2", "ITH5", "IT", Filters(themes=("circular",)))
    by = table.set_index("Source")
    assert by.loc["SUSY/TransforMap", "Records in the region"] == 2
    assert by.loc["SUSY/TransforMap", "Records matching the filters"] == 1
    assert by.loc["Co-ops UK", "Covers this country"] == "no"
    note = coverage_note(table, "Emilia-Romagna", "Italy", filtered=True)
    assert "Co-ops UK does not cover Italy" in note and "3 record(s)" in note
    assert "1 of them match the filters" in note


def test_zero_reads_as_no_data_not_no_sse(rows):
    table = coverage(rows, "nuts2", "ITH4", "IT")
    note = coverage_note(table, "Friuli", "Italy", filtered=False)
    assert "no data here, not no social and solidarity economy" in note


def test_uk_note_names_both_sources(rows):
    table = coverage(rows, "uk_regions", "UKI", "GB")
    note = coverage_note(table, "London", "United Kingdom", filtered=False)
    assert "Co-ops UK: UK co-operatives only" in note and "SUSY/TransforMap:" in note


def test_activity_and_category_mixes(rows):
    rows = rows.assign(activity=["Food; Jobs", "Repair", None, "Food", ""])
    mix = activity_mix(rows)
    assert mix["Food"] == 2 / 5 and mix["Not stated"] == 2 / 5
    assert activity_mix(rows.iloc[0:0]).empty
    legal = category_table(rows, "legal_form", "Legal form").set_index("Legal form")
    assert legal.loc["Society", "Initiatives"] == 3 and legal.loc["Society", "Share"] == 0.6


def test_mix_long_and_charts(rows):
    refs = [RegionRef("nuts2", "ITH5"), RegionRef("uk_regions", "UKI")]
    names = {refs[0]: "Emilia-Romagna", refs[1]: "London"}
    mix = region_mixes(rows, refs, names)
    long = mix_long(mix, {"Emilia-Romagna (ITH5)": 3, "London (UKI)": 2})
    er = long[long["Scope"] == "Emilia-Romagna (ITH5)"].set_index("Theme")
    assert er.loc["Proximity circuits", "Share"] == pytest.approx(2 / 3)
    assert er.loc["Proximity circuits", "Initiatives"] == 2
    assert long["Theme"].iloc[0] == "Employment and work integration"  # taxonomy order
    scopes = list(mix.columns)
    spec = theme_bars(long, scopes).to_dict()
    assert spec["encoding"]["yOffset"]["field"] == "Scope"
    assert "facet" in theme_multiples(long, scopes).to_dict()


def test_imported_sources_appear_by_title_in_coverage_and_comparison(rows, nuts2_regions):
    rows = rows.assign(source=["mine", "susy", "susy", "coopsuk", "coopsuk"])
    table = coverage(rows, "nuts2", "ITH5", "IT", titles={"mine": "My register"})
    mine = table.set_index("Source").loc["My register"]
    assert mine["Records in the region"] == 1 and mine["Covers this country"] == "yes"
    compared = comparison_table(rows, {"nuts2": nuts2_regions}, [RegionRef("nuts2", "ITH5")],
                                titles={"mine": "My register"})
    assert compared.loc[0, RECORDS_PREFIX + "My register"] == 1
