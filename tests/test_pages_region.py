"""AppTest of the region profile page: URL, filters, a region without data, bad URLs, search."""

from __future__ import annotations

from streamlit.testing.v1 import AppTest

from atlas.text import inert_markdown as md
from tests.apptest import open_page as open_app

PAGE = "pages/region.py"


def open_page(params: dict | None = None) -> AppTest:
    """A fresh session opened on the region page with `params` in the URL."""
    return open_app(PAGE, params)


def metrics(at: AppTest) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


def listing(at: AppTest):
    """The table of the region's initiatives (the page shows several tables)."""
    return next(d.value for d in at.dataframe if "Name" in d.value.columns)


def test_profile_from_the_url():
    at = open_page({"layer": "nuts2", "region": "ITH5"})
    assert at.header[0].value == md("Emilia-Romagna")
    m = metrics(at)
    assert m["Initiatives"] == "31" and m["Rank in layer"] == "11 of 299"
    assert m["Rank in country"].endswith("of 21") and m["Share of country"].endswith("%")
    note = at.info[0].value
    assert md("SUSY/TransforMap") in note  # data text, shown as written
    assert "does not cover Italy" in note.replace("\\", "")
    assert at.query_params["region"] == "ITH5"
    labels = [b.label for b in at.get("download_button")]
    assert labels.count("GeoJSON") == 2 and labels.count("Excel (.xlsx)") == 2
    assert "Profile (JSON)" in labels  # RegionProfile.to_json, as the CLI prints it
    assert "Initiatives (31)" in [t.label for t in at.tabs]
    assert len(listing(at)) == 31
    assert at.get("vega_lite_chart"), "the theme chart is drawn"
    assert at.get("component_instance"), "the locator map is drawn"


def test_headline_follows_the_filters():
    at = open_page({"layer": "uk_regions", "region": "UKI", "theme": "housing"})
    assert at.header[0].value == md("London")
    n = int(metrics(at)["Initiatives"].replace(",", ""))
    assert 0 < n < 917
    assert "Housing" in at.caption[0].value
    assert at.query_params["theme"] == "housing" and at.query_params["region"] == "UKI"
    assert len(listing(at)) == n


def test_a_region_without_data_says_no_data_not_no_sse():
    at = open_page({"layer": "nuts2", "region": "BE21"})
    assert metrics(at)["Initiatives"] == "0"
    note = " ".join(w.value for w in at.warning).replace("\\", "")
    assert "no data here, not no social and solidarity economy" in note
    assert "no theme mix" in " ".join(c.value for c in at.caption)


def test_unknown_region_in_the_url_gives_a_message_not_a_traceback():
    at = open_page({"layer": "nuts2", "region": "XX99"})
    warnings = " ".join(w.value for w in at.warning)
    assert md("No region 'XX99'") in warnings
    assert at.title[0].value == "Region profile" and not at.metric
    assert any("Search for a region" in i.value for i in at.info)


def test_bad_layer_in_the_url_falls_back_with_a_notice():
    at = open_page({"layer": "nuts9", "region": "<b>x</b>"})
    assert any("nuts9" in w.value for w in at.warning)


def test_search_by_french_spelling_opens_the_profile():
    at = open_page()
    at.text_input(key="r_query").input("Émilie").run()
    at.button(key="r_query_pick_nuts2:ITH5").click().run()
    assert not at.exception
    assert at.header[0].value == md("Emilia-Romagna")
    assert at.query_params["region"] == "ITH5"


def test_search_without_match_says_so():
    at = open_page()
    at.text_input(key="r_query").input("qqqzzz").run()
    assert any("No region matches" in i.value for i in at.info)


def test_text_from_data_is_inert_markdown():
    assert md("[click](javascript:alert(1))") == "\\[click\\]\\(javascript\\:alert\\(1\\)\\)"
    assert md("**x** <b>y</b>") == "\\*\\*x\\*\\* \\<b\\>y\\<\\/b\\>"
    assert md(":red[z] $e$") == "\\:red\\[z\\] \\$e\\$"
    assert md("- item\nnext") == "\\- item next"
    assert md(None) == "" and md(float("nan")) == ""


def test_profile_offers_the_pdf_brief():
    at = open_page({"layer": "nuts2", "region": "ITH5"})
    labels = [b.proto.label for b in at.get("download_button")]
    assert "Region brief (PDF, two pages)" in labels
