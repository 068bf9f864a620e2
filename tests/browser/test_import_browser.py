"""A real browser imports a file whose every text field is HTML/JS, saves it with the admin
secret, and finds it on the map: the text shows as text, no script runs, nothing leaves
localhost."""

from __future__ import annotations

import pytest

from atlas.ingest.importer import slug
from tests import import_fixtures as fx
from tests.browser.conftest import start_app, stop_app

pytestmark = pytest.mark.browser
SECRET = "browser-test-secret"
TITLE = f"Synthetic {fx.HOSTILE}"


@pytest.fixture(scope="module")
def import_app(tmp_path_factory):
    workspace = tmp_path_factory.mktemp("workspace")
    proc, url = start_app({"ATLAS_WORKSPACE": str(workspace), "ATLAS_ADMIN_SECRET": SECRET})
    yield url
    stop_app(proc)


def pwned(page) -> bool:
    return page.evaluate("() => window.__pwned !== undefined")


def test_hostile_import_is_escaped_everywhere_and_saved_for_the_map(import_app, offline_page):
    page = offline_page.page
    page.goto(f"{import_app}/data", wait_until="domcontentloaded")
    page.get_by_text("Your data").first.wait_for(timeout=60_000)
    page.locator('input[type="file"]').set_input_files(
        files=[{"name": "hostile.csv", "mimeType": "text/csv", "buffer": fx.hostile_csv()}])
    title = page.get_by_label("Name shown in the atlas")
    title.wait_for(timeout=60_000)
    title.fill(TITLE)
    page.get_by_role("button", name="Check the file").click()
    page.get_by_text("Rows read").wait_for(timeout=60_000)
    assert "Accepted + rejected = read: 4 + 0 = 4" in page.inner_text("body")

    page.get_by_text("Shared workspace (admin)").click()
    page.get_by_label("Admin secret").fill(SECRET)
    page.get_by_role("button", name="Unlock").click()
    page.get_by_text("Unlocked").wait_for(timeout=30_000)
    page.get_by_role("button", name="Save to the shared workspace").click()
    page.get_by_text("Saved as dataset").wait_for(timeout=60_000)
    body = page.inner_text("body")
    assert fx.HOSTILE in body  # the dataset's name, shown as text in the footer
    assert page.locator("img[src='x']").count() == 0 and page.locator("main script").count() == 0
    assert not pwned(page)
    offline_page.screenshot("import-hostile-data-page")

    dataset = slug(TITLE)
    page.goto(f"{import_app}/?source={dataset}&layer=nuts2", wait_until="domcontentloaded")
    frame = offline_page.map_frame(timeout=60_000)
    frame.locator(".marker-cluster, path.leaflet-interactive").first.wait_for(timeout=60_000)
    iframe = page.locator('iframe[title="streamlit_folium.st_folium"]').element_handle()
    inner = iframe.content_frame()
    # Open the first imported marker's own popup content in a Leaflet popup (no animation).
    opened = inner.evaluate("""() => {
        const groups = Object.values(window.map._layers).filter(l => l._topClusterLevel);
        const markers = groups.flatMap(g => g.getLayers());
        if (!markers.length) { return -1; }
        L.popup().setLatLng(markers[0].getLatLng())
            .setContent(markers[0].getPopup().getContent()).openOn(window.map);
        return markers.length;
    }""")
    assert opened == 3  # the fourth row has no point and no known region
    popup = frame.locator(".leaflet-popup-content")
    popup.wait_for(timeout=30_000)
    text = popup.inner_text()
    assert "<img src=x" in text and "<script>" in text  # shown literally
    assert popup.locator("img, script").count() == 0
    assert not inner.evaluate("() => window.__pwned !== undefined")
    assert not pwned(page)
    sidebar = page.locator('[data-testid="stSidebar"]').inner_text()
    assert "Synthetic <img" in sidebar  # the Source filter shows its own name, as text
    offline_page.screenshot("import-hostile-map-popup")
    assert offline_page.blocked == [], f"requests left localhost: {offline_page.blocked}"
