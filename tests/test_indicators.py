"""Indicators: counts, per-capita maths (no divide-by-zero), mixes and ranks."""

import math

import pandas as pd

from atlas.analysis.indicators import (
    category_mix,
    region_counts,
    region_table,
    theme_counts,
    theme_mix,
)
from atlas.analysis.profile import build_profile
from atlas.model.filters import Filters
from atlas.model.metrics import per_100k


def test_per_100k_never_divides_by_zero():
    assert per_100k(5, 100_000) == 5
    assert math.isnan(per_100k(5, 0))
    assert math.isnan(per_100k(5, float("nan")))
    assert math.isnan(per_100k(5, None))
    s = per_100k(pd.Series([1, 2, 3]), pd.Series([200_000, 0, float("nan")]))
    assert s.iloc[0] == 0.5 and s.iloc[1:].isna().all()


def test_region_counts_follow_filters(rows):
    assert region_counts(rows, "nuts3").to_dict() == {"ITH55": 2, "ITH56": 1}
    f = Filters(themes=("circular",))
    assert region_counts(rows, "nuts3", f).to_dict() == {"ITH55": 1}


def test_theme_counts_include_no_theme(rows):
    counts = theme_counts(rows)
    assert counts["proximity"] == 2 and counts["no_theme"] == 1 and counts["housing"] == 0


def test_theme_mix_shares_and_empty_input(rows):
    mix = theme_mix(rows)
    assert mix["proximity"] == 2 / 5
    assert theme_mix(rows.iloc[0:0]).isna().all()


def test_category_mix_names_missing_values(rows):
    mix = category_mix(rows, "legal_form")
    assert mix["Society"] == 3 / 5 and mix["Not stated"] == 1 / 5


def test_region_table_per_capita_no_data_and_ranks(rows, nuts2_regions):
    t = region_table(rows, nuts2_regions, "nuts2", theme="proximity").set_index("code")
    assert t.loc["ITH5", "initiatives"] == 3
    assert t.loc["ITH5", "per_100k"] == 3 / 4_400_000 * 100_000
    assert math.isnan(t.loc["ITH4", "per_100k"])  # unknown population → no data
    assert math.isnan(t.loc["UKX", "per_100k"])  # zero population → no data, never inf
    assert t.loc["ITH5", "theme_share"] == 2 / 3
    assert math.isnan(t.loc["ITH4", "theme_share"])  # no initiatives → no share
    assert t.loc["ITH5", "rank_in_layer"] == 1 and t.loc["ITH5", "share_of_country"] == 1.0
    assert math.isnan(t.loc["UKX", "share_of_country"])


def test_region_profile_compares_with_country_and_all(rows, nuts2_regions):
    countries = pd.DataFrame({"code": ["IT", "GB"], "name": ["Italy", "United Kingdom"],
                              "population": [59e6, 67e6]})
    p = build_profile(rows, nuts2_regions, "nuts2", "ITH5", countries=countries)
    assert p.initiatives == 3 and p.country_initiatives == 3
    assert p.rank_in_country == 1 and p.regions_in_country == 2
    assert p.country_per_100k == 3 / 59e6 * 100_000
    assert p.theme_mix.loc["proximity", "region"] == 2 / 3
    assert p.theme_mix.loc["proximity", "all"] == 2 / 5
    filtered = build_profile(rows, nuts2_regions, "nuts2", "ITH5", Filters(themes=("circular",)))
    assert filtered.initiatives == 1
