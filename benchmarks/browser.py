"""Browser figures in headless Debian Chromium, every request outside localhost blocked.

Both apps run as real Streamlit servers on the same table (ATLAS_DATA_DIR), NUTS 3 layer:
- ours: `app.py`;
- baseline: `benchmarks/naive_app/app.py` (one Marker per initiative, whole-layer GeoJSON).
Timed: navigation → map drawn (region polygons and initiative clusters visible), median of a
few visits after one warm-up visit that loads the table into the server's cache (that first
visit is reported as the cold start); for ours also the redraw after a filter change (typing
a search in the sidebar) until the new layers replace the old ones in the map. A visit that
does not reach the drawn map within the timeout counts as None (the naive app at 100,000
initiatives never drew its markers here).

The server start, Chromium and the page wrapper that blocks outside requests come from the
browser tests.
"""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

from tests.browser.conftest import CHROMIUM, CHROMIUM_ARGS, OfflinePage, start_app, stop_app

TIMEOUT_MS = 300_000
VIEWPORT = {"width": 1400, "height": 1000}
SEARCH_LABEL = "Search name, description, place"
OURS = "app.py"
NAIVE = "benchmarks/naive_app/app.py"
MAP_IFRAME = 'iframe[title="streamlit_folium.st_folium"]'


def vm_hwm_mb(pid: int) -> float | None:
    """Peak resident memory of a running process (Linux), in MB."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return None


def visit(browser, url: str, keep_open: bool = False, timeout_ms: float = TIMEOUT_MS):
    """Seconds from navigation to the map drawn (None after `timeout_ms`); with `keep_open`,
    also the page, its context and the map frame."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    context = browser.new_context(viewport=VIEWPORT)
    page = OfflinePage(context.new_page())
    start = time.perf_counter()
    page.page.goto(url, wait_until="commit")
    try:
        frame = page.map_frame(timeout=timeout_ms)
        left = max(1.0, timeout_ms - (time.perf_counter() - start) * 1e3)
        frame.locator("path.leaflet-interactive").first.wait_for(timeout=left)
        left = max(1.0, timeout_ms - (time.perf_counter() - start) * 1e3)
        frame.locator(".marker-cluster").first.wait_for(timeout=left)
    except PlaywrightTimeout:
        context.close()
        return (None, None, None, None) if keep_open else None
    seconds = time.perf_counter() - start
    if page.blocked:
        raise RuntimeError(f"the map tried to leave localhost: {page.blocked[:3]}")
    if keep_open:
        return seconds, page, context, frame
    context.close()
    return seconds


def redraw(page: OfflinePage, frame, query: str = "bakery") -> float:
    """Seconds from pressing Enter in the sidebar search to the new legend in the map."""
    frame.locator(".atlas-legend").first.wait_for(timeout=TIMEOUT_MS)
    frame.locator(".atlas-legend").evaluate_all(
        "els => els.forEach(e => e.setAttribute('data-old', '1'))"
    )
    box = page.page.get_by_label(SEARCH_LABEL)
    box.fill(query)
    start = time.perf_counter()
    box.press("Enter")
    frame.locator(".atlas-legend:not([data-old])").first.wait_for(timeout=TIMEOUT_MS)
    return time.perf_counter() - start


def timings(script: str, data_dir: Path | None, repeat: int = 3, with_redraw: bool = True,
            timeout_ms: float = TIMEOUT_MS) -> dict:
    """Cold visit, median warm visit, redraw (ours) and the server's peak memory; a visit
    that times out is None, and after a cold visit that timed out nothing else is tried."""
    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory() as workspace:
        env = {"ATLAS_WORKSPACE": workspace}
        if data_dir is not None:
            env["ATLAS_DATA_DIR"] = str(data_dir)
        proc, base = start_app(env, script)
        try:
            with sync_playwright() as p:
                browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS,
                                            headless=True)
                url = f"{base}/?layer=nuts3"
                cold = visit(browser, url, timeout_ms=timeout_ms)
                draws = [visit(browser, url, timeout_ms=timeout_ms)
                         for _ in range(repeat if cold is not None else 0)]
                again = None
                if with_redraw and cold is not None:
                    _s, page, context, frame = visit(browser, url, keep_open=True)
                    if page is not None:
                        again = redraw(page, frame)
                        context.close()
                browser.close()
            rss = vm_hwm_mb(proc.pid)
        finally:
            stop_app(proc)
    done = sorted(d for d in draws if d is not None)
    draw = done[len(done) // 2] if done and len(done) == len(draws) else None
    return {"cold_s": cold, "draw_s": draw, "redraw_s": again, "server_rss_mb": rss}
