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


def test_one_page_of_every_initiative_listed_with_the_promised_columns():
    at = open_page()
    shown = table(at)
    assert len(shown) == 50  # one page is built and sent, not the whole table
    assert any(c.value.startswith("9,181 initiatives match") for c in at.caption)
    assert at.number_input(key="d_page").value == 1
    for column in ("Name", "Themes", "Legal form", "Region", "Country", "Source"):
        assert column in shown.columns
    names = [fold(n) for n in shown["Name"].head(50)]
    assert names == sorted(names)  # sorted by name, accent- and case-insensitive
    assert [b.label for b in at.get("download_button")] == [
        "CSV + README (.zip)", "Excel (.xlsx)", "GeoJSON"]


def test_search_is_accent_insensitive_and_in_the_url():
    at = open_page({"dq": "cafe"})
    shown = table(at)
    assert 0 < len(shown) <= 50
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


def test_pages_follow_the_global_order_and_the_url():
    at = open_page()
    first = table(at)
    at.button(key="d_next").click().run()
    second = table(at)
    assert at.number_input(key="d_page").value == 2 and at.query_params["dpage"] == "2"
    names = [fold(n) for n in [*first["Name"], *second["Name"]]]
    assert names == sorted(names)  # page 2 continues page 1's order
    assert set(first["ID"]).isdisjoint(second["ID"])
    again = open_page({"dpage": "2"})
    assert table(again)["ID"].tolist() == second["ID"].tolist()  # a shared link, same rows
    at.text_input(key="d_q").set_value("coop").run()  # a new search starts at page 1
    assert at.number_input(key="d_page").value == 1 and "dpage" not in at.query_params


def test_page_numbers_past_the_end_and_page_sizes():
    at = open_page({"dpage": "99999999", "dsize": "200", "country": "IT"})
    pages = at.number_input(key="d_page")
    assert pages.value == pages.max >= 1  # clamped to the last page
    assert 0 < len(table(at)) <= 200
    assert open_page({"dsize": "7"}).selectbox(key="d_size").value == 50  # not offered


def test_sort_is_over_every_match_not_only_the_page():
    df = load_initiatives()
    at = open_page()
    at.selectbox(key="d_sort").set_value("Country").run()
    at.toggle(key="d_desc").set_value(True).run()
    top = sorted(df["country"].dropna().unique())[-1]
    first = table(at)["Country"].tolist()
    assert first[0] == top and first == sorted(first, reverse=True)
    last = at.number_input(key="d_page")
    last.set_value(last.max).run()
    tail = table(at)["Country"].dropna().tolist()  # missing countries come last
    assert not tail or max(tail) <= min(first)


def test_detail_of_a_row_on_another_page_says_it_does_not_match():
    at = open_page({"id": FOOD_BANK, "country": "IT"})
    assert at.subheader[0].value == "Bulgarian Food Bank"
    assert any("does not match the current filters" in c.value for c in at.caption)
