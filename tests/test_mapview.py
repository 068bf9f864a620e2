"""Map pieces: escaping of data text, legend content, feature groups."""

import pandas as pd

from atlas.mapview import choropleth_group, esc, popup_html, safe_link

HOSTILE = '<img src=x onerror="alert(1)">'


def test_popup_escapes_every_text_and_drops_unsafe_links():
    row = {"name": HOSTILE, "themes": ["employment"], "legal_form": "<b>Society</b>",
           "locality": "<script>x()</script>", "source": "susy", "website": "javascript:alert(1)"}
    out = popup_html(row, {"employment": "Employment"}, {"susy": "SUSY"})
    assert "<img" not in out and "<script>" not in out and "javascript:" not in out
    assert "&lt;img" in out and "Employment" in out and "SUSY" in out


def test_safe_link_escapes_the_url_and_opens_safely():
    link = safe_link('https://example.org/?a="><script>')
    assert link.startswith('<a href="https://example.org/?a=&quot;&gt;&lt;script&gt;"')
    assert 'rel="noopener noreferrer nofollow"' in link
    assert safe_link("ftp://x.org") == ""
    assert esc(None) == "" and esc(float("nan")) == ""


def _shapes():
    square = {"type": "Polygon", "coordinates": [[[0, 0], [1, 0], [1, 1], [0, 0]]]}
    return {"type": "FeatureCollection", "features": [
        {"type": "Feature", "geometry": square, "properties": {"code": c, "name": n}}
        for c, n in (("A", HOSTILE), ("B", "Beta"), ("C", "Gamma"))
    ]}


def test_choropleth_tooltips_escape_names_and_no_data_is_grey():
    table = pd.DataFrame({"v": [3.0, float("nan"), 10.0]}, index=["A", "B", "C"])
    group, summary = choropleth_group(_shapes(), table, "v", title="Initiatives", unit="n",
                                      scheme="quantiles", selected="C")
    region_layer = next(c for c in group._children.values() if hasattr(c, "data"))
    props = {f["properties"]["code"]: f["properties"] for f in region_layer.data["features"]}
    assert "<img" not in props["A"]["tip"] and "&lt;img" in props["A"]["tip"]
    assert props["B"]["fill"] == "#d9d9d9" and "no data" in props["B"]["tip"]
    assert props["C"]["selected"] and not props["A"]["selected"]
    assert summary["no_data"] == 1
    legend = next(c for c in group._children.values() if hasattr(c, "html"))
    assert "no data (1 regions)" in legend.html and "Initiatives" in legend.html
