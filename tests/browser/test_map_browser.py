"""What only a browser shows: the map draws offline, the legend and clusters appear, a click
on a region selects it."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.browser


def _wait_for_regions(frame, timeout=30_000):
    frame.locator("path.leaflet-interactive").first.wait_for(timeout=timeout)


def test_map_draws_offline_with_choropleth_legend_and_clusters(app_url, offline_page):
    page = offline_page.page
    page.goto(f"{app_url}/?layer=nuts2", wait_until="domcontentloaded")
    frame = offline_page.map_frame()
    _wait_for_regions(frame)
    assert frame.locator("path.leaflet-interactive").count() > 250  # NUTS 2 polygons
    legend = frame.locator(".atlas-legend")
    legend.wait_for()
    text = legend.inner_text()
    assert "Initiatives" in text and "no data" in text
    frame.locator(".marker-cluster").first.wait_for(timeout=30_000)
    assert frame.locator(".marker-cluster").count() > 3
    attribution = frame.locator(".leaflet-control-attribution").inner_text()
    assert "EuroGeographics" in attribution
    offline_page.screenshot("map-nuts2-offline")
    assert offline_page.blocked == [], f"requests left localhost: {offline_page.blocked}"


def test_clicking_a_region_selects_it_and_puts_it_in_the_url(app_url, offline_page):
    page = offline_page.page
    page.goto(f"{app_url}/?layer=nuts2&points=0", wait_until="domcontentloaded")
    frame = offline_page.map_frame()
    _wait_for_regions(frame)
    iframe = page.locator('iframe[title="streamlit_folium.st_folium"]')
    box = iframe.bounding_box()
    # Where Bologna (in ITH5 Emilia-Romagna) is drawn, asked of Leaflet itself.
    handle = iframe.element_handle().content_frame()
    x, y = handle.evaluate("() => { const p = window.map.latLngToContainerPoint([44.5, 11.3]);"
                           " return [p.x, p.y]; }")
    page.mouse.click(box["x"] + x, box["y"] + y)
    page.wait_for_function("() => location.search.includes('region=ITH5')", timeout=30_000)
    page.get_by_text("Emilia-Romagna").first.wait_for(timeout=30_000)
    offline_page.screenshot("map-region-selected")
    assert offline_page.blocked == []


def test_a_fresh_server_opened_on_a_page_link_uses_the_app_navigation(browser):
    """The first visitor of a new server opens a shared /region link (not the home page)."""
    from tests.browser.conftest import OfflinePage, start_app

    proc, url = start_app()
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    try:
        offline = OfflinePage(context.new_page())
        offline.page.goto(f"{url}/region?layer=nuts2&region=ITH5", wait_until="domcontentloaded")
        offline.page.get_by_text("Emilia-Romagna").first.wait_for(timeout=60_000)
        nav = offline.page.locator('[data-testid="stSidebarNav"]')
        nav.get_by_text("Region profile").wait_for(timeout=30_000)
        assert "app" not in nav.inner_text().split()
        offline.screenshot("region-direct-link-fresh-server")
        assert offline.blocked == []
    finally:
        context.close()
        proc.terminate()
        proc.wait(timeout=10)


def test_popups_built_in_the_browser_match_the_python_markup(app_url, offline_page):
    """Popups travel as escaped parts and are joined in the browser: the joined HTML must be
    exactly what `popup_html` makes of the same initiative, and a click on a marker opens it."""
    from atlas.model.sources import short_titles
    from atlas.model.themes import theme_labels
    from atlas.present.mapview import popup_html, popup_parts
    from atlas.store.initiatives import load_initiatives

    df = load_initiatives()
    parts = popup_parts(df, theme_labels(), short_titles())
    expected = {popup_html(row) for row in parts.to_dict("records")}

    page = offline_page.page
    page.goto(f"{app_url}/?layer=nuts2", wait_until="domcontentloaded")
    frame = offline_page.map_frame()
    inner = page.locator('iframe[title="streamlit_folium.st_folium"]').element_handle()
    inner = inner.content_frame()
    inner.wait_for_function("() => Object.values(window.map._layers)"
                            ".some(l => l._topClusterLevel)", timeout=30_000)
    shown = inner.evaluate("""() => {
        const cluster = Object.values(window.map._layers).find(l => l._topClusterLevel);
        return cluster.getLayers().slice(0, 400).map(m => m.getPopup().getContent()(m));
    }""")
    assert len(shown) == 400 and set(shown) <= expected
    assert any("Themes: " in h and "Source: " in h for h in shown)
    # Zoom in on a marker that shares its position with no other, so it is drawn on its own.
    inner.evaluate("""() => {
        const cluster = Object.values(window.map._layers).find(l => l._topClusterLevel);
        const markers = cluster.getLayers();
        const seen = {};
        markers.forEach(m => { const k = m.getLatLng().toString(); seen[k] = (seen[k] || 0) + 1; });
        window.__lone = markers.find(m => seen[m.getLatLng().toString()] === 1);
        window.map.setView(window.__lone.getLatLng(), 17, {animate: false});
    }""")
    # (a circle marker has no _icon, so getVisibleParent does not apply: drawn = on the map)
    inner.wait_for_function("() => !!window.__lone._map", timeout=30_000)
    point = inner.evaluate("""() => {
        const p = window.map.latLngToContainerPoint(window.__lone.getLatLng());
        return [p.x, p.y];
    }""")
    box = page.locator('iframe[title="streamlit_folium.st_folium"]').bounding_box()
    page.mouse.click(box["x"] + point[0], box["y"] + point[1])
    popup = frame.locator(".leaflet-popup-content")
    popup.wait_for(timeout=30_000)
    assert popup.inner_html().strip() in expected
    offline_page.screenshot("map-marker-popup")
    assert offline_page.blocked == []
