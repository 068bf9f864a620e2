"""AppTest of the compare page: selection in the URL, filters, no data, bad URLs, ranking."""

from __future__ import annotations

from streamlit.testing.v1 import AppTest

from atlas.text import inert_markdown as md
from tests.apptest import open_page as open_app

PAGE = "pages/compare.py"
PER_100K = "Initiatives per 100,000 inhabitants"


def open_page(params: dict | None = None) -> AppTest:
    """A fresh session opened on the compare page with `params` in the URL."""
    return open_app(PAGE, params)


def compared(at: AppTest):
    return at.dataframe[0].value


def ranked(at: AppTest):
    return at.dataframe[-1].value


def test_regions_from_the_url_side_by_side():
    at = open_page({"regions": "nuts2:ITH5,uk_regions:UKI"})
    table = compared(at)
    assert list(table["Code"]) == ["ITH5", "UKI"]
    assert list(table["Initiatives"]) == [31, 917]
    assert list(table["Layer"]) == ["NUTS 2 regions", "UK regions (ITL 1)"]
    assert at.get("vega_lite_chart"), "theme small multiples drawn"
    assert at.query_params["regions"] == "nuts2:ITH5,uk_regions:UKI"
    assert [b.label for b in at.get("download_button")].count("GeoJSON") == 2
    assert len(ranked(at)) == 299  # the ranking of the default layer, NUTS 2


def test_comparison_follows_the_filters():
    at = open_page({"regions": "nuts2:ITH5,uk_regions:UKI", "country": "IT"})
    assert list(compared(at)["Initiatives"]) == [31, 0]
    assert at.query_params["country"] == "IT"


def test_regions_without_data_are_compared_as_zero():
    at = open_page({"regions": "nuts2:BE21,nuts2:BE22"})
    assert list(compared(at)["Initiatives"]) == [0, 0]
    assert any("None of these regions" in c.value for c in at.caption)


def test_bad_regions_in_the_url_give_notices_not_a_traceback():
    at = open_page({"regions": "nuts2:XX99,<script>,nuts2:ITH5"})
    warnings = " ".join(w.value for w in at.warning)
    assert "XX99" in warnings and md("layer:code") in warnings
    assert list(compared(at)["Code"]) == ["ITH5"]
    assert any("Add one more region" in i.value for i in at.info)
    assert at.query_params["regions"] == "nuts2:ITH5"


def test_empty_page_invites_a_choice_and_still_ranks():
    at = open_page()
    assert any("Add two regions" in i.value for i in at.info)
    assert len(at.dataframe) == 1 and len(ranked(at)) == 299


def test_add_and_remove_regions():
    at = open_page({"regions": "nuts2:ITH5"})
    at.text_input(key="c_query").input("london").run()
    at.button(key="c_query_pick_uk_regions:UKI").click().run()
    assert list(compared(at)["Code"]) == ["ITH5", "UKI"]
    assert at.query_params["regions"] == "nuts2:ITH5,uk_regions:UKI"
    at.button(key="c_remove_nuts2:ITH5").click().run()
    assert list(compared(at)["Code"]) == ["UKI"]
    assert at.query_params["regions"] == "uk_regions:UKI"


def test_ranking_sorts_by_any_indicator():
    at = open_page()
    table = ranked(at)
    values = table[PER_100K].dropna().tolist()
    assert values == sorted(values, reverse=True)
    assert table[PER_100K].iloc[-1:].isna().all()  # no data listed last
    at.selectbox(key="c_rank_layer").set_value("uk_regions").run()
    at.selectbox(key="c_rank_sort").set_value("Initiatives").run()
    at.toggle(key="c_rank_asc").set_value(True).run()
    table = ranked(at)
    assert len(table) == 12 and list(table["Initiatives"]) == sorted(table["Initiatives"])
