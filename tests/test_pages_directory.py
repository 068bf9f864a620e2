"""AppTest of the directory: all matching initiatives, search, sort, detail view, bad URLs."""

from __future__ import annotations

from streamlit.testing.v1 import AppTest

from atlas.store.initiatives import load_initiatives
from atlas.text import fold
from tests.apptest import open_page as open_app

PAGE = "pages/directory.py"
FOOD_BANK = "susy:e98fb9126657fd09e8c7e43217000e20"  # Bulgarian Food Bank (SUSY)


def open_page(params: dict | None = None) -> AppTest:
    """A fresh session opened on the directory page with `params` in the URL."""
    return open_app(PAGE, params)


def table(at: AppTest):
    return at.dataframe[0].value


def test_every_initiative_listed_with_the_promised_columns():
    at = open_page()
    shown = table(at)
    assert len(shown) == 9181
    for column in ("Name", "Themes", "Legal form", "Region", "Country", "Source"):
        assert column in shown.columns
    names = [fold(n) for n in shown["Name"].head(50)]
    assert names == sorted(names)  # sorted by name, accent- and case-insensitive
    assert [b.label for b in at.get("download_button")] == [
        "CSV + README (.zip)", "Excel (.xlsx)", "GeoJSON"]


def test_search_is_accent_insensitive_and_in_the_url():
    at = open_page({"dq": "cafe"})
    shown = table(at)
    assert 0 < len(shown) < 9181
    assert any("Café" in n for n in shown["Name"])
    assert at.query_params["dq"] == "cafe"


def test_sidebar_filters_and_page_search_combine():
    at = open_page({"country": "IT", "dq": "coop"})
    shown = table(at)
    assert len(shown) > 0 and set(shown["Country"]) == {"IT"}
    assert at.query_params["country"] == "IT"


def test_filters_that_match_nothing_give_an_empty_table():
    at = open_page({"country": "IT", "source": "coopsuk"})
    assert len(table(at)) == 0
    assert any(c.value.startswith("0 initiatives") for c in at.caption)


def test_sort_by_country_descending():
    at = open_page()
    at.selectbox(key="d_sort").set_value("Country").run()
    at.toggle(key="d_desc").set_value(True).run()
    countries = table(at)["Country"].dropna().tolist()
    assert countries == sorted(countries, reverse=True)


def test_detail_view_from_the_url():
    at = open_page({"id": FOOD_BANK})
    assert at.subheader[0].value == "Bulgarian Food Bank"
    text = " ".join(c.value for c in at.caption)
    assert "Licence: Public Domain" in text
    assert at.get("component_instance"), "the location map is drawn"
    assert at.query_params["id"] == FOOD_BANK
    at.button(key="d_close").click().run()
    assert not at.subheader and "id" not in at.query_params


def test_website_is_a_link_button_and_description_plain_text():
    df = load_initiatives()
    row = df[df["website"].notna() & df["description"].notna()].iloc[0]
    at = open_page({"id": row["id"]})
    links = at.get("link_button")
    assert len(links) == 1 and links[0].proto.url == row["website"]
    assert at.text[0].value == row["description"]  # st.text: never markdown, never HTML


def test_unknown_id_in_the_url_gives_a_message():
    at = open_page({"id": "susy:nope<script>"})
    assert any("There is no initiative" in w.value for w in at.warning)
