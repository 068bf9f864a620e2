"""Folium maps draw with zero external requests: every asset URL is local and its file exists.

Each test checks the output links/HTML themselves, so it fails if the CDN -> local rewrite
breaks (the streamlit-folium control test shows the unpatched links are external).
"""

from __future__ import annotations

import inspect
import json
import re
import subprocess
import sys
from pathlib import Path

import branca
import folium
import folium.plugins
import pandas as pd
import pytest

from atlas.paths import STATIC_DIR
from atlas.present import offline
from ui import folium_patch

VENDOR = STATIC_DIR / "vendor"
ROOT = Path(__file__).resolve().parent.parent


def _geojson() -> dict:
    def square(x: float, y: float) -> list:
        return [[[x, y], [x + 1, y], [x + 1, y + 1], [x, y + 1], [x, y]]]

    return {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "id": code,
                "properties": {"code": code, "name": f"Region {code}"},
                "geometry": {"type": "Polygon", "coordinates": square(x, 45.0)},
            }
            for code, x in (("AA1", 10.0), ("BB2", 11.0))
        ],
    }


def make_map() -> folium.Map:
    """tiles=None + maxZoom in the map options (MarkerCluster needs it without tiles)."""
    m = folium.Map(location=[45.5, 11.0], zoom_start=6, tiles=None, maxZoom=18)
    folium.Choropleth(
        geo_data=_geojson(),
        data=pd.DataFrame({"code": ["AA1", "BB2"], "value": [1.0, 2.0]}),
        columns=["code", "value"],
        key_on="feature.id",
        fill_color="YlGn",
        legend_name="value",
    ).add_to(m)
    folium.GeoJson(_geojson(), tooltip=folium.GeoJsonTooltip(["name"])).add_to(m)
    folium.plugins.FastMarkerCluster([[45.2, 10.5], [45.6, 11.5], [45.7, 11.6]]).add_to(m)
    branca.colormap.LinearColormap(["#ffffff", "#006600"], vmin=0, vmax=2, caption="x").add_to(m)
    return m


def _element_links(m: folium.Map) -> list[str]:
    return [
        url
        for e in offline._walk(m)
        for a in ("default_js", "default_css")
        for _, url in getattr(e, a, None) or []
    ]


def _assert_all_local_and_present(links: list[str]) -> None:
    assert links
    assert offline.external_urls(links) == []
    for url in links:
        assert url.startswith("/app/static/"), url
        assert offline.local_path(url).is_file(), url


# --- the vendored files -------------------------------------------------------------------


def test_every_local_url_in_the_table_exists():
    assert offline.missing_local_files() == []
    assert all(v.startswith(offline.LOCAL_PREFIX + "/") for v in offline.CDN_TO_LOCAL.values())
    assert all(offline.is_external(k) for k in offline.CDN_TO_LOCAL)


def test_vendored_css_references_exist():
    css_files = list(VENDOR.rglob("*.css"))
    assert len(css_files) >= 8
    for css in css_files:
        for ref in re.findall(r"url\(\s*['\"]?([^'\")]+)", css.read_text(encoding="utf-8")):
            if ref.startswith(("data:", "#")):
                continue
            assert not offline.is_external(ref), (css, ref)
            target = (css.parent / ref.split("?")[0].split("#")[0]).resolve()
            assert target.is_file(), (css, ref)


def test_every_vendored_folder_has_a_licence_listed():
    licences = (VENDOR / "LICENSES.md").read_text(encoding="utf-8")
    folders = [p for p in VENDOR.iterdir() if p.is_dir()]
    assert len(folders) >= 10
    for folder in folders:
        assert list(folder.glob("LICENSE*")), folder
        assert f"`{folder.name}/`" in licences, folder
    size = sum(p.stat().st_size for p in VENDOR.rglob("*") if p.is_file())
    assert size < 4 * 1024 * 1024


def test_setup_script_sets_local_icon_path():
    js = offline.local_path(offline.SETUP_JS).read_text(encoding="utf-8")
    path = re.search(r"imagePath\s*=\s*\"([^\"]+)\"", js).group(1)
    assert path.endswith("/")
    assert offline.local_path(path + "marker-icon.png").is_file()


# --- the URL table covers what the pinned libraries link ---------------------------------


def _pinned_library_urls() -> set[str]:
    import streamlit_folium  # imports Streamlit: fine in tests, never in atlas/

    urls = {
        url
        for cls in (folium.Map, folium.plugins.MarkerCluster, folium.TopoJson)
        for a in ("default_js", "default_css")
        for _, url in getattr(cls, a)
    }
    for src in (
        inspect.getsource(streamlit_folium.st_folium),
        inspect.getsource(branca.colormap.ColorMap.render),
    ):
        urls |= set(re.findall(r"https://[^\s\"']+\.js", src))
    return urls


def test_table_covers_folium_branca_and_streamlit_folium_urls():
    urls = _pinned_library_urls()
    assert "https://d3js.org/d3.v4.min.js" in urls  # streamlit-folium's hard-coded d3
    assert len(urls) >= 15
    assert sorted(urls - set(offline.CDN_TO_LOCAL)) == []


# --- localise / standalone_html / local_links ---------------------------------------------


def test_localise_rewrites_map_and_every_child():
    m = make_map()
    assert offline.external_urls(_element_links(m))  # before: CDN links
    assert offline.localise(m) is m
    links = _element_links(m)
    _assert_all_local_and_present(links)
    cluster_js = offline.CDN_TO_LOCAL[folium.plugins.MarkerCluster.default_js[0][1]]
    assert cluster_js in links
    map_js = [url for _, url in m.default_js]
    assert map_js[map_js.index(offline.LEAFLET_JS) + 1] == offline.SETUP_JS
    # instance attributes only: folium's class-level lists keep their CDN URLs
    assert offline.external_urls([u for _, u in folium.Map.default_js]) != []
    offline.localise(m)  # idempotent
    assert _element_links(m) == links


def test_standalone_html_has_no_external_url():
    html = offline.standalone_html(make_map())
    assert offline.external_urls(html) == []
    assets = re.findall(r"<(?:script|link)\b[^>]*?\b(?:src|href)=\"([^\"]+)\"", html)
    assert offline.LEAFLET_JS in assets
    assert offline.CDN_TO_LOCAL["https://cdnjs.cloudflare.com/ajax/libs/d3/3.5.5/d3.min.js"] in (
        assets  # branca's d3, added at render time
    )
    _assert_all_local_and_present(assets)
    assert assets.index(offline.SETUP_JS) == assets.index(offline.LEAFLET_JS) + 1


def test_unknown_external_asset_is_an_error():
    m = make_map()
    folium.plugins.Fullscreen().add_to(m)  # its assets are not vendored
    with pytest.raises(offline.OfflineAssetError, match=r"Control\.FullScreen"):
        offline.localise(m)
    with pytest.raises(offline.OfflineAssetError):
        offline.local_links(["https://unpkg.com/x.js"])
    assert offline.local_links(["https://unpkg.com/x.js"], strict=False) == [
        "https://unpkg.com/x.js"
    ]


def test_local_links_rewrites_dedupes_and_adds_setup_after_leaflet():
    cdn_leaflet = "https://cdn.jsdelivr.net/npm/leaflet@1.9.3/dist/leaflet.js"
    links = [
        "https://d3js.org/d3.v4.min.js",
        "https://cdnjs.cloudflare.com/ajax/libs/d3/3.5.5/d3.min.js",
        cdn_leaflet,
        "https://code.jquery.com/jquery-3.7.1.min.js",
        cdn_leaflet,
        "/app/static/custom.js",
    ]
    out = offline.local_links(links)
    assert out[2:4] == [offline.LEAFLET_JS, offline.SETUP_JS]
    assert len(out) == len(set(out)) == 6
    assert offline.external_urls(out) == []
    assert offline.local_links(out) == out  # idempotent


def test_external_urls():
    text = 'a <script src="https://x.org/a.js"></script> http://localhost:8501/app/b.js '
    text += "http://127.0.0.1/c.css /app/static/d.js https://x.org/a.js"
    assert offline.external_urls(text) == ["https://x.org/a.js"]
    assert offline.external_urls(["//cdn.example/a.js", "http://b.example/x"]) == [
        "http://b.example/x"  # protocol-relative is caught by is_external, not by the scan
    ]
    assert offline.is_external("//cdn.example/a.js")


# --- streamlit-folium ----------------------------------------------------------------------

PAGE = "\n".join(
    [
        "import branca, folium, folium.plugins, pandas as pd",
        "from streamlit_folium import st_folium",
        "from atlas.present import offline",
        "from ui import folium_patch",
        inspect.getsource(_geojson),
        inspect.getsource(make_map),
        "PATCH",
        'st_folium(offline.localise(make_map()), key="m", returned_objects=[])',
    ]
)


@pytest.fixture
def restore_streamlit_folium():
    import streamlit_folium

    original = streamlit_folium._component_func
    while hasattr(original, "__wrapped__"):
        original = original.__wrapped__
    streamlit_folium._component_func = original
    yield streamlit_folium
    streamlit_folium._component_func = original


def _component_args(patch: bool) -> dict:
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_string(
        PAGE.replace("PATCH", "folium_patch.patch_streamlit_folium()" if patch else ""),
        default_timeout=60,
    )
    at.run()
    assert not at.exception, at.exception
    return json.loads(at.get("component_instance")[0].proto.json_args)


@pytest.mark.usefixtures("restore_streamlit_folium")
def test_st_folium_component_links_are_local():
    args = _component_args(patch=True)
    js, css = args["js_links"], args["css_links"]
    _assert_all_local_and_present(js)
    _assert_all_local_and_present(css)
    assert js.index(offline.SETUP_JS) == js.index(offline.LEAFLET_JS) + 1
    assert {"/app/static/vendor/d3-4.13.0/d3.min.js", "/app/static/vendor/d3-3.5.5/d3.min.js"} <= (
        set(js)  # the two d3 links streamlit-folium adds for the colormap
    )
    assert offline.external_urls(json.dumps(args)) == []  # script, header, html too


@pytest.mark.usefixtures("restore_streamlit_folium")
def test_control_unpatched_st_folium_links_are_external():
    """Shows the test above can fail: streamlit-folium adds CDN d3 links on its own."""
    args = _component_args(patch=False)
    assert "https://d3js.org/d3.v4.min.js" in args["js_links"]


def test_patch_is_idempotent_and_version_guarded(restore_streamlit_folium, monkeypatch):
    sf = restore_streamlit_folium
    original = sf._component_func
    folium_patch.patch_streamlit_folium()
    patched = sf._component_func
    folium_patch.patch_streamlit_folium()
    assert sf._component_func is patched
    assert patched.__wrapped__ is original
    monkeypatch.setattr(offline, "STREAMLIT_FOLIUM_VERSION", "0.0.0")
    with pytest.raises(offline.OfflineAssetError, match="streamlit-folium"):
        folium_patch.patch_streamlit_folium()


def test_atlas_offline_does_not_import_streamlit():
    code = "import sys, atlas.present.offline; assert 'streamlit' not in sys.modules, 'streamlit'"
    subprocess.run([sys.executable, "-c", code], cwd=ROOT, check=True)
