"""The example story played end to end on a 1280×720 screen with the keyboard only, with every
outside request blocked; and the tile basemap falling back to outlines when tiles cannot load.
Screenshots of each view are kept in test-artifacts/."""

from __future__ import annotations

import pytest

from atlas.build.story_example import PATH, STORY_ID
from atlas.model.themes import theme_labels
from atlas.model.views import METRICS
from atlas.store import stories
from tests.browser.conftest import OfflinePage

pytestmark = pytest.mark.browser
EXAMPLE = stories.loads(PATH.read_bytes())[0]
MAP_IFRAME = 'iframe[title="streamlit_folium.st_folium"]'


@pytest.fixture
def screen(browser):
    """A 1280×720 page, the size of a typical screen share."""
    context = browser.new_context(viewport={"width": 1280, "height": 720})
    yield OfflinePage(context.new_page())
    context.close()


def _legend_title(view: stories.View) -> str:
    if view.map.metric == "theme_share":
        return f"Share with theme: {theme_labels()[view.map.theme]}"
    return METRICS[view.map.metric].label


def _check_view(screen: OfflinePage, number: int, view: stories.View) -> None:
    page = screen.page
    page.wait_for_function(f"() => location.search.includes('step={number}')", timeout=30_000)
    page.get_by_role("heading", name=view.title).wait_for(timeout=30_000)
    frame = screen.map_frame()
    frame.locator("path.leaflet-interactive").first.wait_for(timeout=30_000)
    legend = frame.locator(".atlas-legend")
    legend.filter(has_text=_legend_title(view)).wait_for(timeout=30_000)
    assert "no data" in legend.inner_text()
    # The legend and the sources are on screen, not below the fold.
    for locator in (legend, frame.locator(".leaflet-control-attribution")):
        box = locator.bounding_box()
        assert box and box["y"] >= 0 and box["y"] + box["height"] <= 720, box
    assert "EuroGeographics" in frame.locator(".leaflet-control-attribution").inner_text()
    if view.map.region:  # the selected region is outlined in black
        frame.locator('path.leaflet-interactive[stroke="#000000"]').first.wait_for(
            timeout=30_000)
    page.wait_for_timeout(600)  # let tiles-free drawing and the note settle for the picture
    screen.screenshot(f"story-{number:02d}")


def test_example_story_plays_end_to_end_with_the_keyboard_offline(app_url, screen):
    page = screen.page
    page.goto(f"{app_url}/{stories.PLAYER_PATH}?story={STORY_ID}&step=1&present=1",
              wait_until="domcontentloaded")
    for number, view in enumerate(EXAMPLE.views, start=1):
        _check_view(screen, number, view)
        assert page.locator('[data-testid="stSidebar"]').is_hidden()
        assert page.locator('[data-testid="stToolbar"]').count() == 0 or \
            page.locator('[data-testid="stToolbar"]').is_hidden()
        if number < len(EXAMPLE.views):
            page.keyboard.press("ArrowRight")
    # Back with the arrow, then forward with a presentation clicker's PageDown.
    last = len(EXAMPLE.views)
    page.keyboard.press("ArrowLeft")
    page.wait_for_function(f"() => location.search.includes('step={last - 1}')")
    page.get_by_role("heading", name=EXAMPLE.views[last - 2].title).wait_for()
    page.keyboard.press("PageDown")
    page.wait_for_function(f"() => location.search.includes('step={last}')")
    # Arrows still work after a click on the map (the key events then go to its iframe).
    screen.map_frame().locator(".leaflet-container").click(position={"x": 200, "y": 200})
    page.keyboard.press("ArrowLeft")
    page.wait_for_function(f"() => location.search.includes('step={last - 1}')")
    assert page.locator(".st-key-story_next button").is_enabled()
    assert screen.blocked == [], f"requests left localhost: {screen.blocked}"


def test_tiles_that_cannot_load_fall_back_to_outlines(app_url, screen):
    page = screen.page
    page.goto(f"{app_url}/?basemap=tiles&points=0&present=1", wait_until="domcontentloaded")
    frame = screen.map_frame()
    frame.locator(".leaflet-container.atlas-tiles-failed").wait_for(timeout=30_000)
    frame.locator(".atlas-tiles-note").wait_for()
    assert frame.locator(".leaflet-atlasFallback-pane").evaluate(
        "el => getComputedStyle(el).display") != "none"
    assert frame.locator(".leaflet-atlasFallback-pane path").count() > 100  # country outlines
    frame.locator(".atlas-legend").wait_for()
    screen.screenshot("map-tiles-fallback")
    assert screen.blocked, "tiles were expected to be requested (and blocked)"
    assert all("tile.openstreetmap.org" in url for url in screen.blocked), screen.blocked
