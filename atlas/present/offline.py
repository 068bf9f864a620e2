"""Folium maps with zero requests outside the app: every CDN asset is served from ./static/.

folium, branca and streamlit-folium link Leaflet, jQuery, Bootstrap, d3... from public CDNs.
Those files are vendored under ``static/vendor/`` by ``python scripts/vendor_assets.py`` and
served by Streamlit's static serving (``server.enableStaticServing = true``) at
``/app/static/vendor/``. This module maps each CDN URL to its local copy. The atlas's own
scripts sit beside them in ``static/`` (``SETUP_JS``; ``MAP_JS``, the functions the map
elements of ``atlas.present.mapview`` call) and are served, and linked, the same way.

How a page uses it (the page, not this module, imports Streamlit)::

    from streamlit_folium import st_folium
    from atlas.present import offline

    folium_patch.patch_streamlit_folium()   # ui.folium_patch: once per run; idempotent
    m = offline.localise(build_my_map())    # after all layers/plugins are added
    st_folium(m, key="map", returned_objects=[], use_container_width=True)

``ui.folium_patch.patch_streamlit_folium`` is required because streamlit-folium computes the
component's ``js_links``/``css_links`` itself and adds two hard-coded d3 URLs whenever a
colormap is on the map; that goes through a private name of streamlit-folium, hence the
pinned version.
``localise`` alone covers ``standalone_html`` (HTML export) and fails early on a plugin whose
assets are not vendored. The main script must sit next to ``static/`` (the repository root):
Streamlit serves the ``static`` folder beside the main script.

This module never imports Streamlit or streamlit_folium (the patch lives in ``ui``).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable
from pathlib import Path
from urllib.parse import urlsplit

import folium

from atlas.paths import STATIC_DIR

log = logging.getLogger(__name__)

#: URL at which Streamlit serves ``static/vendor/`` (``./static`` is served at ``/app/static/``).
LOCAL_PREFIX = "/app/static/vendor"
_STATIC_URL = "/app/static"
#: Served JS that runs right after leaflet.js (sets ``L.Icon.Default.imagePath``).
SETUP_JS = f"{_STATIC_URL}/atlas-leaflet-setup.js"
_SETUP_NAME = "atlas_leaflet_setup"
#: Served JS with the map's own functions (``atlasRegionLayer``, ``atlasLegend``...), which the
#: map elements of ``atlas.present.mapview`` call; linked by the base map and by each element.
MAP_JS = f"{_STATIC_URL}/atlas-map.js"
MAP_JS_NAME = "atlas_map"
#: The atlas's own served scripts (not vendored, not in ``CDN_TO_LOCAL``).
ATLAS_JS = (SETUP_JS, MAP_JS)
#: The streamlit-folium version whose private ``_component_func`` the patch wraps.
STREAMLIT_FOLIUM_VERSION = "0.27.4"

_V = LOCAL_PREFIX
LEAFLET_JS = f"{_V}/leaflet-1.9.3/leaflet.js"
_JSD = "https://cdn.jsdelivr.net"
_CDNJS = "https://cdnjs.cloudflare.com/ajax/libs"
_AWESOME = f"{_CDNJS}/Leaflet.awesome-markers/2.0.2"
_CLUSTER = f"{_CDNJS}/leaflet.markercluster/1.1.0"

#: Every CDN URL that folium 0.20.0 (Map, MarkerCluster/FastMarkerCluster, TopoJson,
#: TimestampedGeoJson's jQuery), branca 0.8.2 (colormaps) and streamlit-folium 0.27.4
#: (its d3 links) may use -> local URL. Other plugins' assets are not vendored: `localise`
#: and `local_links` raise on them.
CDN_TO_LOCAL: dict[str, str] = {
    # folium.Map default_js
    f"{_JSD}/npm/leaflet@1.9.3/dist/leaflet.js": LEAFLET_JS,
    "https://code.jquery.com/jquery-3.7.1.min.js": f"{_V}/jquery-3.7.1/jquery.min.js",
    f"{_JSD}/npm/bootstrap@5.2.2/dist/js/bootstrap.bundle.min.js": (
        f"{_V}/bootstrap-5.2.2/js/bootstrap.bundle.min.js"
    ),
    f"{_AWESOME}/leaflet.awesome-markers.js": (
        f"{_V}/leaflet.awesome-markers-2.0.5/leaflet.awesome-markers.js"
    ),
    # folium.Map default_css
    f"{_JSD}/npm/leaflet@1.9.3/dist/leaflet.css": f"{_V}/leaflet-1.9.3/leaflet.css",
    f"{_JSD}/npm/bootstrap@5.2.2/dist/css/bootstrap.min.css": (
        f"{_V}/bootstrap-5.2.2/css/bootstrap.min.css"
    ),
    "https://netdna.bootstrapcdn.com/bootstrap/3.0.0/css/bootstrap-glyphicons.css": (
        f"{_V}/bootstrap-3.4.1-glyphicons/css/bootstrap-glyphicons.css"
    ),
    f"{_JSD}/npm/@fortawesome/fontawesome-free@6.2.0/css/all.min.css": (
        f"{_V}/fontawesome-free-6.2.0/css/all.min.css"
    ),
    f"{_AWESOME}/leaflet.awesome-markers.css": (
        f"{_V}/leaflet.awesome-markers-2.0.5/leaflet.awesome-markers.css"
    ),
    f"{_JSD}/gh/python-visualization/folium/folium/templates/leaflet.awesome.rotate.min.css": (
        f"{_V}/folium/leaflet.awesome.rotate.min.css"
    ),
    # folium.plugins.MarkerCluster / FastMarkerCluster
    f"{_CLUSTER}/leaflet.markercluster.js": (
        f"{_V}/leaflet.markercluster-1.1.0/leaflet.markercluster.js"
    ),
    f"{_CLUSTER}/MarkerCluster.css": f"{_V}/leaflet.markercluster-1.1.0/MarkerCluster.css",
    f"{_CLUSTER}/MarkerCluster.Default.css": (
        f"{_V}/leaflet.markercluster-1.1.0/MarkerCluster.Default.css"
    ),
    # folium.TopoJson
    f"{_CDNJS}/topojson/1.6.9/topojson.min.js": f"{_V}/topojson-1.6.9/topojson.min.js",
    # jQuery as linked by TimestampedGeoJson / TimestampedWmsTileLayers (same file)
    f"{_CDNJS}/jquery/3.7.1/jquery.min.js": f"{_V}/jquery-3.7.1/jquery.min.js",
    # branca colormaps (figure header) and streamlit-folium (js_links, with any colormap)
    f"{_CDNJS}/d3/3.5.5/d3.min.js": f"{_V}/d3-3.5.5/d3.min.js",
    # streamlit-folium (js_links, with any colormap); also TimeSliderChoropleth
    "https://d3js.org/d3.v4.min.js": f"{_V}/d3-4.13.0/d3.min.js",
}

_LOCAL_HOSTS = {"localhost", "127.0.0.1", "::1", "0.0.0.0"}  # noqa: S104 - hosts, no bind
_URL_RE = re.compile(r"""https?://[^\s"'<>()\\`]+""", re.IGNORECASE)
_ASSET_TAG_RE = re.compile(
    r"""<(?:script|link)\b[^>]*?\b(?:src|href)\s*=\s*["']([^"']+)["']""", re.IGNORECASE
)
PATCH_MARK = "_atlas_offline_links"


class OfflineAssetError(RuntimeError):
    """A map would load an asset from outside the app, or the local copy is missing."""


def is_external(url: str) -> bool:
    """True for an http(s) or protocol-relative URL whose host is not this machine."""
    url = url.strip()
    if not (url.lower().startswith(("http://", "https://")) or url.startswith("//")):
        return False
    host = (urlsplit(url).hostname or "").lower()
    return host not in _LOCAL_HOSTS and not host.endswith(".localhost")


def external_urls(html_or_links: str | Iterable[str]) -> list[str]:
    """Every http(s) URL not on localhost, in a text or a list of links (sorted, unique)."""
    texts = [html_or_links] if isinstance(html_or_links, str) else list(html_or_links)
    found: set[str] = set()
    for text in texts:
        for url in _URL_RE.findall(text):
            url = url.rstrip(".,;")
            if is_external(url):
                found.add(url)
    return sorted(found)


def local_url(url: str) -> str:
    """The local URL for a known CDN URL; local/relative URLs unchanged; else raise."""
    key = "https://" + url[len("http://") :] if url.startswith("http://") else url
    if key.startswith("//"):
        key = "https:" + key
    if key in CDN_TO_LOCAL:
        return CDN_TO_LOCAL[key]
    if is_external(url):
        raise OfflineAssetError(_unknown_message([url]))
    return url


def local_links(links: Iterable[str], *, strict: bool = True) -> list[str]:
    """Rewrite streamlit-folium's js_links/css_links to local URLs, deduplicated, in order.

    The served setup script (``SETUP_JS``) is inserted right after leaflet.js when leaflet.js
    is in the list. ``strict=False`` keeps unknown external URLs (with a warning) instead of
    raising.
    """
    out: list[str] = []
    unknown: list[str] = []
    for link in links:
        try:
            new = local_url(link)
        except OfflineAssetError:
            if strict:
                unknown.append(link)
                continue
            log.warning("map asset not vendored, loaded from outside: %s", link)
            new = link
        if new == SETUP_JS:
            continue  # re-placed right after leaflet below
        if new not in out:
            out.append(new)
            if new == LEAFLET_JS:
                out.append(SETUP_JS)
    if unknown:
        raise OfflineAssetError(_unknown_message(unknown))
    return out


def _unknown_message(urls: Iterable[str]) -> str:
    listed = "\n  ".join(urls)
    return (
        f"map assets with no local copy (the map would load them from outside):\n  {listed}\n"
        "Vendor them in scripts/vendor_assets.py and map them in "
        "atlas.present.offline.CDN_TO_LOCAL,"
        " or do not use that plugin."
    )


def _localise_pairs(
    pairs: list[tuple[str, str]], owner: str, unknown: list[str], strict: bool
) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    for name, url in pairs:
        if name == _SETUP_NAME:
            continue
        try:
            out.append((name, local_url(url)))
        except OfflineAssetError:
            if strict:
                unknown.append(f"{url}  ({owner}: {name})")
            else:
                log.warning("%s asset %s not vendored, loaded from outside: %s", owner, name, url)
            out.append((name, url))
        if out[-1][1] == LEAFLET_JS:
            out.append((_SETUP_NAME, SETUP_JS))
    return out


def _walk(root: object) -> Iterable[object]:
    stack, seen = [root], set()
    while stack:
        elem = stack.pop()
        if id(elem) in seen:
            continue
        seen.add(id(elem))
        yield elem
        for attr in ("m1", "m2"):  # folium.plugins.DualMap
            if hasattr(elem, attr):
                stack.append(getattr(elem, attr))
        stack.extend(reversed(list(getattr(elem, "_children", {}).values())))


def localise(m: folium.Map, *, strict: bool = True) -> folium.Map:
    """Point the map's and every child's ``default_js``/``default_css`` at local copies.

    Sets instance attributes (folium's lists are class attributes shared by every map).
    Call it once the map is complete: elements added later keep their CDN links (the
    streamlit-folium patch still rewrites those). Raises ``OfflineAssetError`` listing every
    asset with no local copy (``strict=False``: warns and keeps it). Tile layers that fetch
    tiles from outside are logged, not changed. Returns ``m``; idempotent.
    """
    unknown: list[str] = []
    for elem in _walk(m):
        owner = type(elem).__name__
        for attr in ("default_js", "default_css"):
            pairs = getattr(elem, attr, None)
            if pairs:
                setattr(elem, attr, _localise_pairs(list(pairs), owner, unknown, strict))
        if isinstance(elem, folium.TileLayer) and is_external(str(getattr(elem, "tiles", ""))):
            log.warning("tile layer %s fetches tiles from outside: %s", elem.tile_name, elem.tiles)
    if unknown:
        raise OfflineAssetError(_unknown_message(unknown))
    return m


def rewrite_html(html: str) -> str:
    """Replace every known CDN URL in a text by its local URL."""
    for cdn in sorted(CDN_TO_LOCAL, key=len, reverse=True):
        html = html.replace(cdn, CDN_TO_LOCAL[cdn])
    return html


def standalone_html(m: folium.Map, *, strict: bool = True) -> str:
    """The whole page (``m.get_root().render()``) with every asset URL local.

    branca adds its d3 link at render time, so the final HTML is rewritten too. The asset
    URLs are absolute (``/app/static/...``): the page works when served by the app, not as
    a file opened from disk. Raises ``OfflineAssetError`` if a ``<script src>`` or
    ``<link href>`` still points outside (``strict=False``: returns it anyway).
    """
    localise(m, strict=strict)
    html = rewrite_html(m.get_root().render())
    left = [u for u in _ASSET_TAG_RE.findall(html) if is_external(u)]
    if left and strict:
        raise OfflineAssetError(_unknown_message(left))
    return html


def local_path(url: str) -> Path:
    """The file under ``static/`` that Streamlit serves for a local ``/app/static/...`` URL."""
    if not url.startswith(_STATIC_URL + "/"):
        raise ValueError(f"not a static URL: {url}")
    return STATIC_DIR / url[len(_STATIC_URL) + 1 :]


def missing_local_files() -> list[str]:
    """Local URLs of the table (and the atlas's own scripts) whose file is missing under static/."""
    urls = sorted({*CDN_TO_LOCAL.values(), *ATLAS_JS})
    return [u for u in urls if not local_path(u).is_file()]
