"""Map pieces: escaping of data text, legend content, feature groups, their JavaScript."""

import json
import shutil
import subprocess

import folium
import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

from atlas.analysis.aggregate import PointGrid
from atlas.present import offline
from atlas.present.mapview import (
    POPUP_LINES,
    base_map,
    cells_group,
    choropleth_group,
    esc,
    map_shapes,
    points_group,
    popup_html,
    popup_parts,
    safe_link,
)
from tests.mapjs import atlas_calls, defined_functions, script_srcs, undefined_calls

MAP_JS_TEXT = offline.local_path(offline.MAP_JS).read_text(encoding="utf-8")

HOSTILE = '<img src=x onerror="alert(1)">'


def _row(**values) -> pd.DataFrame:
    row = {"id": "t:1", "name": HOSTILE, "themes": ["employment"], "legal_form": "<b>Society</b>",
           "locality": "<script>x()</script>", "source": "susy", "website": "javascript:alert(1)",
           "lat": 45.0, "lon": 10.0}
    return pd.DataFrame([{**row, **values}])


def test_popup_escapes_every_text_and_drops_unsafe_links():
    parts = popup_parts(_row(), {"employment": "Employment"}, {"susy": "SUSY"})
    out = popup_html(parts.iloc[0].to_dict())
    assert "<img" not in out and "<script>" not in out and "javascript:" not in out
    assert "&lt;img" in out and "Employment" in out and "SUSY" in out
    assert out.startswith("<b>&lt;img") and "website" not in out
    good = popup_parts(_row(website="https://x.org/?a=\"><b>"), {}, {}).iloc[0].to_dict()
    assert '<a href="https://x.org/?a=&quot;&gt;&lt;b&gt;" target="_blank"' in popup_html(good)
    notes = pd.Series(["near <b>Bologna</b>"])
    noted = popup_parts(_row(), {}, {}, notes).iloc[0].to_dict()
    assert popup_html(noted).endswith("<i>near &lt;b&gt;Bologna&lt;/b&gt;</i>")


def test_points_travel_as_escaped_parts_in_an_html_safe_script():
    df = pd.concat([_row(name="</script><script>alert(1)</script>")] * 3, ignore_index=True)
    group = points_group(df, popup_parts(df, {}, {}))
    m = folium.Map(tiles=None)
    group.add_to(m)
    html = m.get_root().render()
    assert "</script><script>alert" not in html  # cannot end the map's <script> early
    # escaped for the popup (&lt;), then made script-safe (& → \u0026)
    assert "\\u0026lt;/script\\u0026gt;" in html and "atlasPointLayer(" in html
    assert offline.MAP_JS in script_srcs(html)  # the file that draws them, with their cluster
    assert "L.markerClusterGroup" in MAP_JS_TEXT


def test_safe_link_escapes_the_url_and_opens_safely():
    link = safe_link('https://example.org/?a="><script>')
    assert link.startswith('<a href="https://example.org/?a=&quot;&gt;&lt;script&gt;"')
    assert 'rel="noopener noreferrer nofollow"' in link
    assert safe_link("ftp://x.org") == ""
    assert esc(None) == "" and esc(float("nan")) == ""


def _shapes():
    square = shapely.Polygon([(0, 0), (1, 0), (1, 1), (0, 0)])
    return map_shapes(gpd.GeoDataFrame(
        {"code": ["A", "B", "C"], "name": [HOSTILE, "Beta", "Gamma"]},
        geometry=[square, square, None], crs="EPSG:4326"))


def test_choropleth_tooltips_escape_names_and_no_data_is_grey():
    table = pd.DataFrame({"v": [3.0, float("nan"), 10.0]}, index=["A", "B", "C"])
    group, summary = choropleth_group(_shapes(), table, "v", title="Initiatives", unit="n",
                                      scheme="quantiles", selected="C")
    region_layer = next(c for c in group._children.values() if hasattr(c, "props"))
    props = {p["code"]: p for p in region_layer.props}
    assert "<img" not in props["A"]["tip"] and "&lt;img" in props["A"]["tip"]
    assert props["B"]["fill"] == "#d9d9d9" and "no data" in props["B"]["tip"]
    assert props["C"]["selected"] and not props["A"]["selected"]
    assert summary["no_data"] == 1
    legend = next(c for c in group._children.values() if hasattr(c, "html"))
    assert "no data (1 regions)" in legend.html and "Initiatives" in legend.html


def test_region_geometry_is_serialised_once_and_missing_geometry_is_null():
    shapes = _shapes()
    assert shapes.geometry_json.startswith('[{"type":"Polygon"') and shapes.geometry_json.endswith(
        ",null]")
    table = pd.DataFrame({"v": [1.0, 2.0, 3.0]}, index=["A", "B", "C"])
    group, _ = choropleth_group(shapes, table, "v", title="t", unit="u", scheme="quantiles")
    m = folium.Map(tiles=None)
    group.add_to(m)
    html = m.get_root().render()
    assert html.count(shapes.geometry_json) == 1 and "\\u0026lt;img" in html


def test_base_map_loads_only_leaflet_and_markercluster_all_local():
    m = offline.localise(base_map("outline", _shapes(), ["<b>source</b>"]))
    html = m.get_root().render()
    assert "jquery" not in html and "bootstrap" not in html and "fontawesome" not in html
    links = [u for _, u in m.default_js] + [u for _, u in m.default_css]
    assert links == [offline.LEAFLET_JS, offline.SETUP_JS, offline.MAP_JS,
                     offline.LEAFLET_JS[:-2] + "css"]
    assert "leaflet.markercluster" in html and "\\u0026lt;b\\u0026gt;source" in html


def _full_maps() -> list[folium.Map]:
    """Both base maps with every layer the pages add (choropleth, legend, points, cells)."""
    table = pd.DataFrame({"v": [1.0, 2.0, 3.0]}, index=["A", "B", "C"])
    df = pd.concat([_row()] * 3, ignore_index=True)
    rng = np.random.default_rng(1)
    grid = PointGrid(rng.uniform(-10, 30, 500), rng.uniform(35, 60, 500))
    maps = []
    for basemap in ("tiles", "outline"):
        m = base_map(basemap, _shapes(), ["<b>source</b>"])
        group, _ = choropleth_group(_shapes(), table, "v", title="t", unit="u", scheme="quantiles")
        group.add_to(m)
        points_group(df, popup_parts(df, {}, {})).add_to(m)
        cells_group(grid.levels(), 500).add_to(m)
        maps.append(m)
    return maps


ALL_CALLS = {"atlasAttribution", "atlasTileFallback", "atlasOutlines", "atlasRegionLayer",
             "atlasLegend", "atlasPointLayer", "atlasCellLayer"}


def test_exported_map_links_the_js_file_of_every_function_it_calls():
    """Fails if static/atlas-map.js (or a function in it) is missing from an exported page."""
    called = set()
    for m in _full_maps():
        html = offline.standalone_html(m)
        srcs = script_srcs(html)
        assert srcs.index(offline.MAP_JS) > srcs.index(offline.LEAFLET_JS)
        assert srcs.count(offline.MAP_JS) == 1
        assert undefined_calls(html, srcs) == []
        called |= atlas_calls(html)
    assert called == ALL_CALLS
    assert defined_functions([offline.MAP_JS]) == ALL_CALLS  # nothing unused, nothing inline


def test_a_layer_rendered_without_the_base_map_still_links_its_js_file():
    table = pd.DataFrame({"v": [1.0, 2.0, 3.0]}, index=["A", "B", "C"])
    group, _ = choropleth_group(_shapes(), table, "v", title="t", unit="u", scheme="quantiles")
    m = folium.Map(tiles=None)
    group.add_to(m)
    html = m.get_root().render()
    assert atlas_calls(html) == {"atlasRegionLayer", "atlasLegend"}
    assert undefined_calls(html, script_srcs(html)) == []


def test_control_the_js_check_fails_without_the_file(monkeypatch, tmp_path):
    """Shows the checks above can fail: no link, or a linked file missing under static/."""
    html = offline.standalone_html(_full_maps()[0])
    srcs = script_srcs(html)
    assert undefined_calls(html, [u for u in srcs if u != offline.MAP_JS]) == sorted(
        ALL_CALLS - {"atlasOutlines"})
    monkeypatch.setattr(offline, "STATIC_DIR", tmp_path)
    assert offline.MAP_JS in offline.missing_local_files()
    assert "atlasRegionLayer" in undefined_calls(html, srcs)


def test_map_js_keeps_the_behaviour_the_pages_rely_on():
    js = MAP_JS_TEXT
    assert 'createPane("atlasFallback")' in js and '"tileerror"' in js
    assert '"atlas-tiles-failed"' in js and '"atlas-tiles-note"' in js
    assert '"atlas-legend"' in js and '"atlas-cells-note"' in js
    assert '"marker-cluster marker-cluster-"' in js and "L.markerClusterGroup" in js
    assert "setPrefix(false)" in js and "bringToFront" in js
    # text from data is put into the page only where Python escaped it
    assert js.count("innerHTML") == 2 and "textContent" in js


@pytest.mark.skipif(shutil.which("node") is None, reason="node not installed")
def test_map_js_is_valid_javascript():
    path = offline.local_path(offline.MAP_JS)
    subprocess.run(["node", "--check", str(path)], check=True, capture_output=True, timeout=60)


def test_each_marker_takes_the_popup_of_its_own_row():
    """Popups are joined to markers by initiative id, never by position: a reordered,
    filtered or re-indexed table still shows each initiative's own popup."""
    df = pd.DataFrame({"id": ["a:1", "a:2", "a:3"], "name": ["Alpha", "Beta", "Gamma"],
                       "themes": [[], [], []], "legal_form": None, "locality": None,
                       "source": "a", "website": None, "lat": [45.0, 46.0, 47.0],
                       "lon": [10.0, 11.0, 12.0]})
    parts = popup_parts(df, {}, {})
    shown = df.iloc[[2, 0]].reset_index(drop=True)  # Gamma, Alpha at positions 0, 1
    group = points_group(shown, parts)
    layer = next(iter(group._children.values()))
    payload = json.loads(layer.data_json)
    name_at = list(POPUP_LINES).index("name")
    names = {(r[0], r[1]): payload["lookup"][name_at][r[2 + name_at]]
             if payload["lookup"][name_at] else r[2 + name_at] for r in payload["rows"]}
    assert names == {(47.0, 12.0): "Gamma", (45.0, 10.0): "Alpha"}
