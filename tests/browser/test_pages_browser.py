"""The region, compare and directory pages opened straight from a link, offline, in Chromium;
and the map's side panel leading to the region profile."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.browser
TIMEOUT = 60_000


def _text(page, text: str, timeout: float = TIMEOUT):
    page.get_by_text(text, exact=False).first.wait_for(timeout=timeout)


def test_region_profile_opens_from_its_url(app_url, offline_page):
    page = offline_page.page
    page.goto(f"{app_url}/region?layer=nuts2&region=ITH5", wait_until="domcontentloaded")
    page.locator("h2", has_text="Emilia-Romagna").first.wait_for(timeout=TIMEOUT)
    _text(page, "Rank in layer")
    _text(page, "11 of 299")
    _text(page, "does not cover Italy")  # the data-coverage note
    frame = offline_page.map_frame(timeout=TIMEOUT)  # the locator map
    # a drawn outline: outlines clipped out of the view stay as hidden "M0 0" paths
    frame.locator("path >> visible=true").first.wait_for(timeout=TIMEOUT)
    page.locator(".vega-embed").first.wait_for(timeout=TIMEOUT)  # the theme chart
    assert "region=ITH5" in page.url
    offline_page.screenshot("region-emilia-romagna")
    assert offline_page.blocked == [], f"requests left localhost: {offline_page.blocked}"


def test_compare_opens_from_its_url(app_url, offline_page):
    page = offline_page.page
    page.goto(f"{app_url}/compare?regions=nuts2:ITH5,uk_regions:UKI",
              wait_until="domcontentloaded")
    _text(page, "Side by side")
    page.get_by_role("button", name="✕ London (UKI)").wait_for(timeout=TIMEOUT)
    page.locator(".vega-embed").first.wait_for(timeout=TIMEOUT)  # small multiples
    page.locator('[data-testid="stDataFrame"]').first.wait_for(timeout=TIMEOUT)
    _text(page, "Ranking of a layer")
    assert "regions=nuts2" in page.url
    offline_page.screenshot("compare-ith5-uki")
    assert offline_page.blocked == [], f"requests left localhost: {offline_page.blocked}"


def test_directory_opens_from_its_url(app_url, offline_page):
    page = offline_page.page
    page.goto(f"{app_url}/directory?dq=repair", wait_until="domcontentloaded")
    _text(page, "Directory of initiatives")
    _text(page, "initiatives match the filters and the search")
    page.locator('[data-testid="stDataFrame"]').first.wait_for(timeout=TIMEOUT)
    assert page.get_by_label("Search names and descriptions").input_value() == "repair"
    offline_page.screenshot("directory-repair")
    assert offline_page.blocked == [], f"requests left localhost: {offline_page.blocked}"


def test_map_side_panel_links_to_the_region_profile(app_url, offline_page):
    page = offline_page.page
    page.goto(f"{app_url}/?layer=nuts2&region=ITH5&points=0", wait_until="domcontentloaded")
    link = page.get_by_role("link", name="Open the region profile")
    link.wait_for(timeout=TIMEOUT)
    link.click()
    page.locator("h2", has_text="Emilia-Romagna").first.wait_for(timeout=TIMEOUT)
    page.wait_for_function("() => location.pathname.endsWith('/region')", timeout=TIMEOUT)
    assert offline_page.blocked == [], f"requests left localhost: {offline_page.blocked}"
