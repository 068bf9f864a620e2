"""Server-side figures for one table: load, filter + aggregate latency, map payload and time.

Run in a child process per table size (`python -m benchmarks.server DATA_DIR N [--baseline]
[--repeat R]`), printing one JSON list of results, so sizes never share memory or caches.
The map is built exactly as pages/map.py builds it (base map with offline country outlines,
NUTS 3 choropleth, initiatives) and handed to `st_folium`, whose component call is recorded
instead of sent: payload = the JSON of the arguments the browser would receive.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

from atlas.analysis.aggregate import point_grid
from atlas.analysis.indicators import region_table
from atlas.geo.regions import background_outlines, load_layer
from atlas.model import filters
from atlas.model.filters import Filters, mask
from atlas.model.sources import short_titles as source_titles
from atlas.model.themes import theme_labels
from atlas.present import offline
from atlas.present.mapview import (
    MARKER_LIMIT,
    POPUP_CACHE_LIMIT,
    base_map,
    choropleth_group,
    map_shapes,
    points_layer,
    popup_parts,
)
from atlas.store.initiatives import load_initiatives
from benchmarks import baseline
from ui import folium_patch

MAP_LAYER = "nuts3"
ATTRIBUTIONS = ["Synthetic data (benchmark)", "© EuroGeographics for the administrative boundaries"]
# Realistic filter changes: themes, countries, legal forms, text, a theme-share metric, layers.
FILTER_CHANGES: list[tuple[str, Filters, str | None]] = [
    ("nuts2", Filters(), None),
    ("nuts2", Filters(themes=("employment",)), None),
    ("nuts2", Filters(themes=("employment", "proximity")), None),
    ("nuts3", Filters(countries=("IT",)), None),
    ("nuts3", Filters(countries=("DE", "FR")), None),
    ("nuts2", Filters(legal_forms=("Co-operative",)), None),
    ("nuts3", Filters(themes=("social_services",), countries=("ES",)), None),
    ("nuts2", Filters(text="bakery"), None),
    ("nuts3", Filters(text="repair cafe"), None),
    ("nuts2", Filters(), "housing"),
    ("nuts3", Filters(themes=("proximity",)), "employment"),
    ("countries", Filters(sources=("synthetic",)), None),
]


def result(n: int, metric: str, ours: float | None, base: float | None, unit: str) -> dict:
    return {"n": n, "metric": metric, "ours": ours, "baseline": base, "unit": unit}


def percentile(values: list[float], q: float) -> float:
    return float(np.percentile(values, q)) if values else float("nan")


def our_filter_change(df, regions, layer_id, f, theme) -> None:
    """What one page run computes on a filter change: counter, region figures, points."""
    filters._SEARCHES.clear()  # a new filter: nothing remembered from the previous one
    int(mask(df, f).sum())  # sidebar counter
    region_table(df, regions, layer_id, f, theme=theme)
    located = mask(df, f) & df["lat"].notna().to_numpy()
    if located.sum() > MARKER_LIMIT:
        point_grid(df).levels(located)
    else:
        df[located]


class Recorder:
    """Stands in for streamlit-folium's component: keeps the arguments it would send."""

    def __init__(self) -> None:
        self.kwargs: dict = {}

    def __call__(self, **kwargs):
        self.kwargs = kwargs
        return kwargs.get("default")

    def payload_bytes(self) -> int:
        sent = {k: v for k, v in self.kwargs.items() if k != "on_change"}
        return len(json.dumps(sent).encode("utf-8"))


def install_recorder() -> Recorder:
    import streamlit_folium

    recorder = Recorder()
    streamlit_folium._component_func = recorder
    folium_patch.patch_streamlit_folium()  # wraps the recorder: links become local, as in the app
    return recorder


def render(m, groups) -> None:
    from streamlit_folium import st_folium

    st_folium(offline.localise(m), key="bench", feature_group_to_add=groups,
              returned_objects=["last_active_drawing"], use_container_width=True, height=620)


def our_map(df, regions, shapes, outlines, popups) -> None:
    table = region_table(df, regions, MAP_LAYER, Filters())
    choropleth, _ = choropleth_group(shapes, table.set_index("code"), "initiatives",
                                     title="Initiatives", unit="initiatives", scheme="quantiles")
    points = points_layer(df, mask(df, Filters()), (lambda: popups) if popups is not None else None)
    render(base_map("outline", outlines, ATTRIBUTIONS), [choropleth, points])


def measure(
    data_dir: Path, n: int, with_baseline: bool, map_baseline: bool, repeat: int
) -> list[dict]:
    """Our figures and, when asked, the baseline's (the naive map only up to some size: one
    Marker per point takes minutes and gigabytes beyond 100k)."""
    out: list[dict] = []
    tables = {lid: pd.DataFrame(load_layer(lid).drop(columns="geometry"))
              for lid in {c[0] for c in FILTER_CHANGES} | {MAP_LAYER}}
    layer = load_layer(MAP_LAYER)
    shapes = map_shapes(layer)  # the app caches both per layer
    countries = load_layer("countries")
    outlines = map_shapes(background_outlines(countries))
    recorder = install_recorder()

    start = time.perf_counter()
    df = load_initiatives(data_dir)
    point_grid(df)
    load_s = time.perf_counter() - start
    ours_ms = []
    for _ in range(repeat):
        for layer_id, f, theme in FILTER_CHANGES:
            t = time.perf_counter()
            our_filter_change(df, tables[layer_id], layer_id, f, theme)
            ours_ms.append((time.perf_counter() - t) * 1e3)
    popups = None
    if len(df) <= POPUP_CACHE_LIMIT:  # the app caches these once per process
        popups = popup_parts(df, theme_labels(), source_titles())
    map_s = []
    for _ in range(repeat):
        t = time.perf_counter()
        our_map(df, tables[MAP_LAYER], shapes, outlines, popups)
        map_s.append(time.perf_counter() - t)
    ours_payload = recorder.payload_bytes()
    del df, popups

    base = {"load": None, "p50": None, "p95": None, "map": None, "payload": None}
    if with_baseline:
        start = time.perf_counter()
        naive = baseline.load(data_dir)
        base["load"] = time.perf_counter() - start
        base_ms = []
        for layer_id, f, theme in FILTER_CHANGES:
            t = time.perf_counter()
            baseline.filter_change(naive, tables[layer_id], layer_id, f, theme)
            base_ms.append((time.perf_counter() - t) * 1e3)
        base["p50"], base["p95"] = percentile(base_ms, 50), percentile(base_ms, 95)
    if with_baseline and map_baseline:
        t = time.perf_counter()
        table = baseline.region_table(naive, tables[MAP_LAYER], MAP_LAYER, Filters(), None)
        render(baseline.base_map(countries),
               baseline.map_groups(naive, layer, table, theme_labels(), source_titles()))
        base["map"] = time.perf_counter() - t
        base["payload"] = recorder.payload_bytes()

    out.append(result(n, "load_s", load_s, base["load"], "s"))
    out.append(result(n, "filter_p50_ms", percentile(ours_ms, 50), base["p50"], "ms"))
    out.append(result(n, "filter_p95_ms", percentile(ours_ms, 95), base["p95"], "ms"))
    out.append(result(n, "map_server_s", statistics.median(map_s), base["map"], "s"))
    out.append(result(n, "payload_bytes", ours_payload, base["payload"], "bytes"))
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.server")
    parser.add_argument("data_dir", type=Path)
    parser.add_argument("n", type=int)
    parser.add_argument("--baseline", action="store_true", help="naive load and filters too")
    parser.add_argument("--map-baseline", action="store_true", help="and the naive map")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args(argv)
    print(json.dumps(measure(args.data_dir, args.n, args.baseline, args.map_baseline,
                                  args.repeat)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
