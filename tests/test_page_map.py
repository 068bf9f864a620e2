"""AppTest of the app shell and the map page (no browser): state, filters, URL, offline links."""

from __future__ import annotations

import json

import pytest
from streamlit.testing.v1 import AppTest

from atlas.present import offline
from atlas.present.offline import external_urls
from atlas.text import inert_markdown as md
from tests.apptest import open_page
from tests.mapjs import atlas_calls, undefined_calls


def _run(params: dict | None = None) -> AppTest:
    return open_page(None, params)


def _counter(at: AppTest) -> str:
    return next(m.value for m in at.sidebar.markdown if "initiatives match" in m.value)


def _map_args(at: AppTest) -> dict:
    comps = at.get("component_instance")
    assert comps, "the map component was not drawn"
    return json.loads(comps[0].proto.json_args)


@pytest.fixture(scope="module")
def default_app() -> AppTest:
    return _run()


def test_map_page_loads_with_header_counter_and_map(default_app):
    at = default_app
    assert at.title[0].value == "SSE Atlas"
    assert "9,181 of 9,181 initiatives match" in _counter(at)
    args = _map_args(at)
    assert "initiatives" in args["feature_group"]  # points layer
    assert "atlasLegend(" in args["feature_group"]  # legend travels with the choropleth


def test_every_map_asset_link_is_local(default_app):
    args = _map_args(default_app)
    assert args["js_links"] and args["css_links"]
    assert external_urls(args["js_links"] + args["css_links"]) == []
    assert all(link.startswith("/app/static/") for link in args["js_links"] + args["css_links"])


def test_the_map_component_loads_the_js_file_of_every_function_it_calls(default_app):
    """Fails if static/atlas-map.js is not among the links the map iframe loads."""
    args = _map_args(default_app)
    js = args["js_links"]
    assert js.index(offline.MAP_JS) == js.index(offline.SETUP_JS) + 1  # right after Leaflet's
    script = args["script"] + args["feature_group"]
    assert {"atlasAttribution", "atlasRegionLayer", "atlasLegend"} <= atlas_calls(script)
    assert undefined_calls(script, js) == []


def test_filters_change_the_counter_and_the_url(default_app):
    at = default_app
    at.sidebar.multiselect(key="f_themes").set_value(["housing"]).run()
    counter = _counter(at)
    assert not counter.startswith("**9,181 of")
    assert at.query_params["theme"] == "housing"
    at.sidebar.button[0].click().run()  # reset
    assert _counter(at).startswith("**9,181 of")
    assert "theme" not in at.query_params


def test_a_filter_or_metric_change_keeps_the_map_component_and_swaps_its_layers():
    """streamlit-folium recreates the map (losing zoom) when its key or base script changes;
    a filter or metric change must only change the layers sent with it."""
    at = _run()
    before = _map_args(at)
    at.sidebar.multiselect(key="f_themes").set_value(["employment"]).run()
    at.selectbox(key="v_metric").set_value("per_100k").run()
    after = _map_args(at)
    assert after["script"] == before["script"] and after["key"] == before["key"]
    assert after["feature_group"] != before["feature_group"]
    assert "per 100,000" in after["feature_group"]


def test_query_params_restore_the_view():
    at = _run({"layer": "nuts3", "metric": "per_100k", "theme": ["proximity"], "country": "IT"})
    assert at.selectbox(key="v_layer").value == "nuts3"
    assert at.selectbox(key="v_metric").value == "per_100k"
    assert at.sidebar.multiselect(key="f_themes").value == ["proximity"]
    assert at.sidebar.multiselect(key="f_country").value == ["IT"]
    assert "per 100k" in _map_args(at)["feature_group"]


def test_selected_region_from_url_shows_side_panel():
    at = _run({"layer": "nuts2", "region": "ITH5"})
    assert any(s.value == md("Emilia-Romagna") for s in at.subheader)


def test_bad_query_params_give_a_notice_not_a_traceback():
    at = _run({"layer": "nuts9", "theme": "<script>alert(1)</script>", "region": "XX99"})
    warnings = " ".join(w.value for w in at.warning)
    assert "nuts9" in warnings and md("<script>") in warnings  # shown as written
    assert at.selectbox(key="v_layer").value == "nuts2"


def test_a_click_on_a_region_selects_it(monkeypatch):
    import streamlit_folium

    clicked = {"last_active_drawing": {"type": "Feature", "properties": {"code": "ITH5"}}}
    real = streamlit_folium.st_folium
    monkeypatch.setattr(streamlit_folium, "st_folium", lambda *a, **k: (real(*a, **k), clicked)[1])
    at = _run({"points": "0"})
    assert at.query_params["region"] == "ITH5"
    assert any(s.value == md("Emilia-Romagna") for s in at.subheader)
