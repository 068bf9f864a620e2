"""An exported standalone map page (`offline.standalone_html`) draws in a browser with only the
app's static files: static/atlas-map.js is linked and its functions draw every layer."""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

from atlas.analysis.aggregate import PointGrid
from atlas.paths import STATIC_DIR
from atlas.present import offline
from atlas.present.mapview import (
    base_map,
    cells_group,
    choropleth_group,
    map_shapes,
    points_group,
    popup_parts,
)
from tests.browser.conftest import OfflinePage

pytestmark = pytest.mark.browser

HOSTILE = '<img src=x onerror="window.__pwned=1">'
TYPES = {".js": "text/javascript", ".css": "text/css", ".png": "image/png"}


def _map(basemap: str) -> str:
    squares = [shapely.box(x, 46, x + 3, 50) for x in (2, 6, 10)]
    shapes = map_shapes(gpd.GeoDataFrame(
        {"code": ["A", "B", "C"], "name": [HOSTILE, "Beta", "Gamma"]},
        geometry=squares, crs="EPSG:4326"))
    m = base_map(basemap, shapes, [f"EuroGeographics {HOSTILE}"])
    table = pd.DataFrame({"v": [1.0, 5.0, float("nan")]}, index=["A", "B", "C"])
    group, _ = choropleth_group(shapes, table, "v", title=HOSTILE, unit="n", scheme="quantiles")
    group.add_to(m)
    df = pd.DataFrame({"id": [f"s:{i}" for i in range(40)], "name": HOSTILE,
                       "themes": [["employment"]] * 40, "legal_form": None,
                       "locality": "x", "source": "s", "website": None,
                       "lat": np.linspace(47, 49, 40), "lon": np.linspace(3, 12, 40)})
    points_group(df, popup_parts(df, {}, {})).add_to(m)
    rng = np.random.default_rng(0)
    cells_group(PointGrid(rng.uniform(3, 12, 300), rng.uniform(46, 50, 300)).levels(), 300
                ).add_to(m)
    return offline.standalone_html(m)


@pytest.fixture
def serve():
    """Serves a page at / and static/ at /app/static/, as the app does."""
    pages: dict[str, bytes] = {}

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):
            path = self.path.split("?")[0]
            body, kind = pages.get(path), "text/html"
            if body is None and path.startswith("/app/static/"):
                file = (STATIC_DIR / path[len("/app/static/"):]).resolve()
                if file.is_file() and STATIC_DIR.resolve() in file.parents:
                    body = file.read_bytes()
                    kind = TYPES.get(file.suffix, "application/octet-stream")
            if body is None:
                self.send_error(404)
                return
            self.send_response(200)
            self.send_header("Content-Type", kind)
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()

    def publish(html: str) -> str:
        pages["/"] = html.encode("utf-8")
        return f"http://127.0.0.1:{server.server_address[1]}/"

    yield publish
    server.shutdown()
    server.server_close()


@pytest.mark.parametrize("basemap", ["outline", "tiles"])
def test_exported_map_draws_every_layer_from_the_served_js(browser, serve, basemap):
    context = browser.new_context(viewport={"width": 1200, "height": 800})
    try:
        screen = OfflinePage(context.new_page())
        page = screen.page
        errors: list[str] = []
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.goto(serve(_map(basemap)), wait_until="load")
        legend = page.locator(".atlas-legend")
        legend.wait_for(timeout=30_000)
        assert HOSTILE in legend.inner_text()  # shown as text, never as markup
        assert "no data (1 regions)" in legend.inner_text()
        assert page.locator("path.leaflet-interactive").count() >= 2
        page.locator(".marker-cluster").first.wait_for(timeout=30_000)
        page.locator(".atlas-cells-note").wait_for()
        assert "EuroGeographics" in page.locator(".leaflet-control-attribution").inner_text()
        if basemap == "tiles":  # tiles are blocked: the offline outlines take over
            page.locator(".leaflet-container.atlas-tiles-failed").wait_for(timeout=30_000)
            assert page.locator(".leaflet-atlasFallback-pane path").count() == 3
            assert all("tile.openstreetmap.org" in u for u in screen.blocked)
        else:
            assert screen.blocked == []
        assert page.evaluate("() => window.__pwned") is None
        assert errors == []
        assert not [u for u in screen.failed if "/app/static/" in u]
    finally:
        context.close()
