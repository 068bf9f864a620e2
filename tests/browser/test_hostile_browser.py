"""Issue #11 in a real browser: hostile URL values, a hostile saved dataset and a hostile story
never become a link or an image to an outside host, and never make the browser fetch anything
from outside (a tracking pixel), on any page, in the page or in its iframes (the maps).

The server runs on a workspace made by `tests.test_injection.make_workspace`; every request
that leaves localhost is blocked and recorded by `OfflinePage`.
"""

from __future__ import annotations

from urllib.parse import urlencode, urlsplit

import pytest

from tests.browser.conftest import LOCAL_HOSTS, OfflinePage, start_app, stop_app
from tests.test_injection import (
    DATASET,
    LINK,
    OWN_LINKS,
    STORY,
    hostile_params,
    make_workspace,
)

pytestmark = pytest.mark.browser
TIMEOUT = 60_000
FOOTER = "Data: SUSY / TransforMap"  # the footer's last caption: the page is complete
#: Every link and image of a document, as the browser resolved them.
SCAN_JS = """() => ({
  links: [...document.querySelectorAll('a[href]')].map(a => a.href),
  images: [...document.querySelectorAll('img, image, source, video, audio')]
    .map(i => i.currentSrc || i.src || i.getAttribute('href') || '').filter(Boolean),
})"""


def _url(path: str, page: str, round_: int, **valid: str) -> str:
    """`path` with hostile values for every parameter `page` reads, except the `valid` ones
    that put the hostile dataset or story on screen."""
    params = {**hostile_params(page, round_), **valid}
    return f"{path}?{urlencode(params)}"


#: (name, URL, has a map): every page, with the hostile dataset on screen where it can be.
VISITS = [
    ("map", _url("/", "map", 0, source=DATASET, layer="nuts2", region="ITH5", present="0"),
     True),
    ("map-present", _url("/", "map", 1, source=DATASET, layer="nuts2", present="1"), True),
    ("region", _url("/region", "region", 2, layer="nuts2", region="ITH5", legal=LINK,
                    present="0"), True),
    ("compare", _url("/compare", "compare", 3, regions="nuts2:ITH5,nuts2:ITH4", present="0"),
     False),
    ("directory", _url("/directory", "directory", 4, id=f"{DATASET}:0", present="0"), True),
    ("data", _url("/data", "data", 5, present="0"), False),
    ("story", f"/stories?{urlencode({'story': STORY, 'step': '1'})}", True),
    ("story-present", f"/stories?{urlencode({'story': STORY, 'step': '1', 'present': '1'})}",
     True),
    ("story-unknown", f"/stories?{urlencode({'story': LINK})}", True),
]


@pytest.fixture(scope="module")
def hostile_app(tmp_path_factory):
    """A real server whose workspace holds the hostile dataset and story."""
    root = make_workspace(tmp_path_factory.mktemp("hostile-browser"))
    proc, url = start_app(env_extra={"ATLAS_WORKSPACE": str(root)})
    yield url
    stop_app(proc)


def _outside(url: str) -> bool:
    """Not this server: another host, or a scheme that is not a page (javascript:)."""
    parts = urlsplit(url)
    if parts.scheme in ("data", "blob", "about"):
        return False
    return parts.scheme not in ("http", "https") or (parts.hostname or "") not in LOCAL_HOSTS


def _offences(screen: OfflinePage) -> list[str]:
    """Links and images to outside hosts in the page and every iframe (licence links that
    the app writes itself excepted)."""
    found = []
    for frame in screen.page.frames:
        try:
            seen = frame.evaluate(SCAN_JS)
        except Exception:  # a frame replaced while scanning: nothing left to show
            continue
        found += [f"link {u}" for u in seen["links"] if _outside(u) and u not in OWN_LINKS]
        found += [f"image {u}" for u in seen["images"] if _outside(u)]
    return found


@pytest.mark.parametrize(("name", "path", "has_map"), VISITS, ids=[v[0] for v in VISITS])
def test_hostile_text_is_never_a_link_an_image_or_a_request(hostile_app, offline_page, name,
                                                            path, has_map):
    page = offline_page.page
    page.goto(hostile_app + path, wait_until="domcontentloaded")
    page.locator('[data-testid="stCaptionContainer"]', has_text=FOOTER).first.wait_for(
        timeout=TIMEOUT)
    if has_map:
        offline_page.map_frame(timeout=TIMEOUT)  # Leaflet has drawn
    page.wait_for_timeout(800)  # images and late frames would load now
    if name == "map":  # the phishing notice is on screen, as text
        page.get_by_text("[Session expired: log in](http", exact=False).first.wait_for(
            timeout=TIMEOUT)
    offline_page.screenshot(f"hostile-{name}")
    assert _offences(offline_page) == []
    assert offline_page.blocked == [], f"requests left localhost: {offline_page.blocked}"
