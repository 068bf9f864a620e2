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

Context (issue 13), ours only, NUTS 2 (CONTEXT_PAGES): navigation → drawn for the map coloured
by youth unemployment and the bivariate map (regions, legend, initiatives), and for the Need
page (its table and its scatter plot), against today's choropleth of `per_100k` on the same
layer visited in the same rounds. Each round visits the four pages in turn, starting one page
further each round (the first round ends with the reference); each page's median counts;
with more than one round, one untimed visit of the bivariate map and one of the Need page
first fill the server's NUTS 2 and context caches (`--quick` skips them, so there each new
page pays its own first visit, a bias against the new pages, never for them). After each
timed visit the page is checked to show what it should (the indicator, a 3 × 3 square, regions
in the need table), so a map without its context data cannot pass for a fast one.

The server start, Chromium and the page wrapper that blocks outside requests come from the
browser tests.
"""

from __future__ import annotations

import re
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from tests.browser.conftest import CHROMIUM, CHROMIUM_ARGS, OfflinePage, start_app, stop_app

TIMEOUT_MS = 300_000
VIEWPORT = {"width": 1400, "height": 1000}
SEARCH_LABEL = "Search name, description, place"
OURS = "app.py"
NAIVE = "benchmarks/naive_app/app.py"
MAP_IFRAME = 'iframe[title="streamlit_folium.st_folium"]'
NEED = "youth_unemployment"
CONTEXT_PAGES = {  # the reference (today's choropleth on the same layer) is visited last
    "context": f"/?layer=nuts2&metric={NEED}",
    "bivariate": f"/?layer=nuts2&metric=per_100k&need={NEED}",
    "need": f"/need?layer=nuts2&need={NEED}",
    "choropleth": "/?layer=nuts2&metric=per_100k",
}
GAP_COUNT = re.compile(r"\d[\d,]* of [1-9][\d,]* regions")  # the Need page's gap metric


def vm_hwm_mb(pid: int) -> float | None:
    """Peak resident memory of a running process (Linux), in MB."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return None


def map_drawn(page: OfflinePage, left: Callable[[], float]):
    """The map frame once region polygons and initiative clusters are drawn in it."""
    frame = page.map_frame(timeout=left())
    frame.locator("path.leaflet-interactive").first.wait_for(timeout=left())
    frame.locator(".marker-cluster").first.wait_for(timeout=left())
    return frame


def map_and_legend_drawn(page: OfflinePage, left: Callable[[], float]):
    """`map_drawn`, and the legend (the square of the bivariate map, or the class list)."""
    frame = map_drawn(page, left)
    frame.locator(".atlas-legend").first.wait_for(timeout=left())
    return frame


def need_drawn(page: OfflinePage, left: Callable[[], float]):
    """The Need page once its table and its scatter plot (Vega's marks) are drawn."""
    page.page.locator('[data-testid="stDataFrame"] canvas').first.wait_for(timeout=left())
    page.page.locator(".vega-embed .marks").first.wait_for(timeout=left())
    return None


def check_context(page: OfflinePage, frame) -> None:
    legend = frame.locator(".atlas-legend").first.inner_text().lower()
    if "unemployment" not in legend:
        raise RuntimeError(f"the context map's legend does not name its indicator: {legend!r}")


def check_bivariate(page: OfflinePage, frame) -> None:
    cells = frame.locator(".atlas-legend .atlas-bivariate-cell").count()
    if cells != 9:
        raise RuntimeError(f"the bivariate legend has {cells} cells, not 3 × 3")


def check_need(page: OfflinePage, frame) -> None:
    if not page.page.get_by_text(GAP_COUNT).count():
        raise RuntimeError("the Need page shows no region (is the context data there?)")


WAITS = {"context": (map_and_legend_drawn, check_context),
         "bivariate": (map_and_legend_drawn, check_bivariate),
         "need": (need_drawn, check_need),
         "choropleth": (map_and_legend_drawn, None)}


def visit(browser, url: str, keep_open: bool = False, timeout_ms: float = TIMEOUT_MS,
          drawn: Callable = map_drawn, check: Callable | None = None):
    """Seconds from navigation to the page drawn as `drawn` waits for it (None after
    `timeout_ms`), then `check(page, frame)` if given, untimed; with `keep_open`, also the
    page, its context and the map frame."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    context = browser.new_context(viewport=VIEWPORT)
    page = OfflinePage(context.new_page())
    start = time.perf_counter()

    def left() -> float:
        return max(1.0, timeout_ms - (time.perf_counter() - start) * 1e3)

    page.page.goto(url, wait_until="commit")
    try:
        frame = drawn(page, left)
    except PlaywrightTimeout:
        context.close()
        return (None, None, None, None) if keep_open else None
    seconds = time.perf_counter() - start
    if page.blocked:
        raise RuntimeError(f"the page tried to leave localhost: {page.blocked[:3]}")
    if check is not None:
        check(page, frame)
    if keep_open:
        return seconds, page, context, frame
    context.close()
    return seconds


def context_timings(browser, base: str, repeat: int, timeout_ms: float) -> dict:
    """Median seconds to drawn of each CONTEXT_PAGES page (module docstring); None when a
    visit timed out."""
    if repeat > 1:  # fill the NUTS 2 and context caches, untimed
        for name in ("bivariate", "need"):
            visit(browser, base + CONTEXT_PAGES[name], timeout_ms=timeout_ms,
                  drawn=WAITS[name][0])
    seconds: dict[str, list] = {name: [] for name in CONTEXT_PAGES}
    names = list(CONTEXT_PAGES)
    for r in range(repeat):
        for name in names[r % len(names):] + names[:r % len(names)]:
            drawn, check = WAITS[name]
            seconds[name].append(visit(browser, base + CONTEXT_PAGES[name],
                                       timeout_ms=timeout_ms, drawn=drawn, check=check))
    return {name: statistics.median(s) if s and None not in s else None
            for name, s in seconds.items()}


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
            timeout_ms: float = TIMEOUT_MS, with_context: bool = False) -> dict:
    """Cold visit, median warm visit, redraw (ours), the context pages (`with_context`:
    `context_timings`) and the server's peak memory; a visit that times out is None, and
    after a cold visit that timed out nothing else is tried."""
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
                pages = {name: None for name in CONTEXT_PAGES}
                if with_context and cold is not None:
                    pages = context_timings(browser, base, repeat, timeout_ms)
                browser.close()
            rss = vm_hwm_mb(proc.pid)
        finally:
            stop_app(proc)
    done = sorted(d for d in draws if d is not None)
    draw = done[len(done) // 2] if done and len(done) == len(draws) else None
    return {"cold_s": cold, "draw_s": draw, "redraw_s": again, "server_rss_mb": rss,
            "pages_s": pages}
