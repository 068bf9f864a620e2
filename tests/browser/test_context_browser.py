"""The territory in a browser, offline: a need indicator and the bivariate map drawn with their
legends (inside a 1280×720 presenter screen), and the Need and SSE page's chart and table."""

from __future__ import annotations

import pytest

from atlas.model.classify import BIVARIATE_PALETTE

pytestmark = pytest.mark.browser
TIMEOUT = 60_000


@pytest.fixture
def presenter_page(browser):
    from tests.browser.conftest import OfflinePage

    context = browser.new_context(viewport={"width": 1280, "height": 720})
    yield OfflinePage(context.new_page())
    context.close()


def _regions(frame):
    frame.locator("path.leaflet-interactive").first.wait_for(timeout=TIMEOUT)
    return frame.locator("path.leaflet-interactive")


def test_a_need_indicator_colours_the_map_with_its_source_year_and_flags(app_url, offline_page):
    page = offline_page.page
    page.goto(f"{app_url}/?layer=nuts2&metric=youth_unemployment&points=0",
              wait_until="domcontentloaded")
    frame = offline_page.map_frame(timeout=TIMEOUT)
    assert _regions(frame).count() > 250
    legend = frame.locator(".atlas-legend")
    legend.wait_for(timeout=TIMEOUT)
    text = legend.inner_text()
    assert "Youth unemployment rate (15–29), 2025" in text
    assert "Source: Eurostat" in text and "Flagged values" in text and "no data" in text
    offline_page.screenshot("map-youth-unemployment")
    assert offline_page.blocked == [], f"requests left localhost: {offline_page.blocked}"


def test_the_bivariate_map_fits_a_presenter_screen_with_its_square_legend(app_url,
                                                                          presenter_page):
    page = presenter_page.page
    page.goto(f"{app_url}/?layer=nuts2&metric=per_100k&need=youth_unemployment&points=0"
              "&present=1", wait_until="domcontentloaded")
    frame = presenter_page.map_frame(timeout=TIMEOUT)
    regions = _regions(frame)
    assert regions.count() > 250
    legend = frame.locator(".atlas-bivariate")
    legend.wait_for(timeout=TIMEOUT)
    text = legend.inner_text()
    assert "few initiatives, high need" in text and "many initiatives, low need" in text
    assert "no data" in text
    assert frame.locator(".atlas-bivariate-cell").count() == 9
    box = legend.bounding_box()
    assert box and box["y"] + box["height"] <= 720 and box["x"] + box["width"] <= 1280, box
    fills = {regions.nth(i).get_attribute("fill") for i in range(0, regions.count(), 7)}
    assert fills & {c.lower() for c in BIVARIATE_PALETTE}, fills
    page.get_by_text("against youth unemployment", exact=False).first.wait_for(timeout=TIMEOUT)
    presenter_page.screenshot("map-bivariate-presenter-1280x720")
    assert presenter_page.blocked == [], f"requests left localhost: {presenter_page.blocked}"


def test_need_page_draws_its_chart_and_ranked_table_offline(app_url, offline_page):
    page = offline_page.page
    page.goto(f"{app_url}/need?layer=nuts2&need=youth_unemployment",
              wait_until="domcontentloaded")
    page.get_by_text("Where need is high and known SSE is low").first.wait_for(timeout=TIMEOUT)
    page.locator(".vega-embed").first.wait_for(timeout=TIMEOUT)
    page.locator('[data-testid="stDataFrame"]').first.wait_for(timeout=TIMEOUT)
    page.get_by_text("High need, few known initiatives").first.wait_for(timeout=TIMEOUT)
    assert "need=youth_unemployment" in page.url
    # a click on a dot selects its region: in the URL, and the profile link appears
    dot = page.locator(".vega-embed svg .mark-symbol path").first
    dot.wait_for(timeout=TIMEOUT)
    box = dot.bounding_box()
    page.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    page.wait_for_function("() => location.href.includes('region=')", timeout=TIMEOUT)
    page.get_by_text("Open the selected region's profile").first.wait_for(timeout=TIMEOUT)
    offline_page.screenshot("need-youth-unemployment")
    assert offline_page.blocked == [], f"requests left localhost: {offline_page.blocked}"
