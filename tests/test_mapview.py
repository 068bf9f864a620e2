"""Map pieces: escaping of data text, legend content, feature groups."""

import folium
import geopandas as gpd
import pandas as pd
import shapely

from atlas.present import offline
from atlas.present.mapview import (
    base_map,
    choropleth_group,
    esc,
    map_shapes,
    points_group,
    popup_html,
    popup_parts,
    safe_link,
)

HOSTILE = '<img src=x onerror="alert(1)">'


def _row(**values) -> pd.DataFrame:
    row = {"name": HOSTILE, "themes": ["employment"], "legal_form": "<b>Society</b>",
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
    assert "\\u0026lt;/script\\u0026gt;" in html and "L.markerClusterGroup" in html


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
    assert links == [offline.LEAFLET_JS, offline.SETUP_JS, offline.LEAFLET_JS[:-2] + "css"]
    assert "leaflet.markercluster" in html and "\\u0026lt;b\\u0026gt;source" in html
