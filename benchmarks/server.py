"""Server-side figures for one table: load, filter + aggregate latency, map payload and time.

Run in a child process per table size (`python -m benchmarks.server DATA_DIR N [--baseline]
[--repeat R]`), printing one JSON list of results, so sizes never share memory or caches.
The map is built exactly as pages/map.py builds it (base map with offline country outlines,
NUTS 3 choropleth, initiatives) and handed to `st_folium`, whose component call is recorded
instead of sent: payload = the JSON of the arguments the browser would receive.

Context (issue 13), on NUTS 2 with the context indicators of DATA_DIR joined by region code:
- the map coloured by a context metric (youth unemployment) and the bivariate map (per 100k
  against youth unemployment), built as the map page builds them (`region_table` over the
  layer table with its context, `ui.presenter.regions_group`, initiatives, base map); their
  baseline is today's choropleth of `per_100k` on the same layer, measured in the same run
  (the target: "draws as fast as today's", so a ratio near 1.0x is the goal);
- the Need page's table (`need_table` over `region_table`) over a few filters, against
  `benchmarks.baseline.need_table` (recomputed from scratch, row by row, on every call).
Before timing, every region code of the table must exist in the layers the context is joined
to (the synthetic generator places initiatives in the shipped NUTS 2024 regions).
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
from atlas.analysis.need import need_table
from atlas.geo.regions import background_outlines, load_layer
from atlas.model import filters
from atlas.model.filters import Filters, mask
from atlas.model.layers import LAYERS
from atlas.model.sources import short_titles as source_titles
from atlas.model.themes import theme_labels
from atlas.model.views import MapView
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
from atlas.store.context import load_context, with_context
from atlas.store.initiatives import load_initiatives
from benchmarks import baseline
from ui import folium_patch, presenter

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
CONTEXT_LAYER = "nuts2"
NEED = "youth_unemployment"
# The map page's URLs /?layer=nuts2&metric=per_100k (reference), &metric=youth_unemployment
# and &metric=per_100k&need=youth_unemployment.
CONTEXT_VIEWS = {
    "choropleth": MapView(layer=CONTEXT_LAYER, metric="per_100k"),
    "context": MapView(layer=CONTEXT_LAYER, metric=NEED),
    "bivariate": MapView(layer=CONTEXT_LAYER, metric="per_100k", need=NEED),
}
# The Need page's table as filters change (no filter, a theme, countries, a search).
NEED_FILTERS = [Filters(), Filters(themes=("employment",)), Filters(countries=("ES", "IT")),
                Filters(text="bakery")]


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


def check_codes(df: pd.DataFrame, tables: dict[str, pd.DataFrame]) -> None:
    """Every region code of the initiatives exists in its layer (context is joined by code)."""
    for layer_id, table in tables.items():
        codes = df[LAYERS[layer_id].column].dropna()
        unknown = codes[~codes.isin(set(table["code"]))]
        if len(unknown):
            raise RuntimeError(f"{len(unknown):,} initiatives have {layer_id} codes missing from "
                               f"the layer, e.g. {sorted(set(unknown))[:5]}")


def context_map(df, table, view: MapView, outlines, popups) -> None:
    """The map page with `view` on the whole table: region figures with context, regions
    (choropleth or bivariate, as `ui.presenter.regions_group` draws them), initiatives."""
    everything = Filters()
    figures = region_table(df, table, view.layer, everything, theme=view.metric_theme)
    regions, _summary = presenter.regions_group(view, everything, figures)
    points = points_layer(df, mask(df, everything),
                          (lambda: popups) if popups is not None else None)
    render(base_map(view.basemap, outlines, ATTRIBUTIONS), [regions, points])


def our_need_table(df, table, f: Filters) -> pd.DataFrame:
    """What the Need page computes on each run (filters, no typology)."""
    return need_table(region_table(df, table, CONTEXT_LAYER, f), NEED, "per_100k")


def measure_context(df, table, outlines, popups, recorder: Recorder, repeat: int) -> dict:
    """Median server seconds and payload of each CONTEXT_VIEWS map (interleaved, after one
    untimed pass that fills the per-layer caches as a first visit would), and the need table's
    median milliseconds over NEED_FILTERS."""
    for view in CONTEXT_VIEWS.values():
        context_map(df, table, view, outlines, popups)
    seconds: dict[str, list[float]] = {name: [] for name in CONTEXT_VIEWS}
    payload: dict[str, int] = {}
    for _ in range(repeat):
        for name, view in CONTEXT_VIEWS.items():
            t = time.perf_counter()
            context_map(df, table, view, outlines, popups)
            seconds[name].append(time.perf_counter() - t)
            payload[name] = recorder.payload_bytes()
    need_ms = []
    for _ in range(repeat):
        for f in NEED_FILTERS:
            filters._SEARCHES.clear()
            t = time.perf_counter()
            our_need_table(df, table, f)
            need_ms.append((time.perf_counter() - t) * 1e3)
    return {"map_s": {k: statistics.median(v) for k, v in seconds.items()},
            "payload": payload, "need_ms": statistics.median(need_ms)}


def measure_naive_need(naive: pd.DataFrame, table, data_dir: Path, check) -> float:
    """Median milliseconds of the naive need table over NEED_FILTERS; its first result (no
    filter) must name the same regions, cells and gaps as ours (`check`)."""
    times = []
    for i, f in enumerate(NEED_FILTERS):
        t = time.perf_counter()
        rows = baseline.need_table(naive, table, CONTEXT_LAYER, f, NEED, "per_100k", data_dir)
        times.append((time.perf_counter() - t) * 1e3)
        if i == 0:
            ours, theirs = check.set_index("code"), rows.set_index("code")
            same = set(ours.index) == set(theirs.index) and all(
                np.array_equal(ours[c].to_numpy(), theirs[c].reindex(ours.index).to_numpy())
                for c in ("cell", "gap", "rank_need", "rank_sse"))
            if not same:
                raise RuntimeError("the naive need table disagrees with need_table")
    return statistics.median(times)


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
    context = with_context(tables[CONTEXT_LAYER], load_context(data_dir), CONTEXT_LAYER)
    if context[NEED].notna().sum() == 0:
        raise RuntimeError(f"no {NEED} in {data_dir}: the context files are missing")
    recorder = install_recorder()

    start = time.perf_counter()
    df = load_initiatives(data_dir)
    point_grid(df)
    load_s = time.perf_counter() - start
    check_codes(df, {lid: tables[lid] for lid in ("nuts2", "nuts3")})
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
    ctx = measure_context(df, context, outlines, popups, recorder, repeat)
    need_check = our_need_table(df, context, NEED_FILTERS[0]) if with_baseline else None
    del df, popups

    base = {"load": None, "p50": None, "p95": None, "map": None, "payload": None, "need": None}
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
        base["need"] = measure_naive_need(naive, context, data_dir, need_check)
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
    reference = "choropleth"  # today's per_100k map on the same layer, this run
    for name in ("context", "bivariate"):
        out.append(result(n, f"map_{name}_server_s", ctx["map_s"][name],
                          ctx["map_s"][reference], "s"))
        out.append(result(n, f"map_{name}_payload_bytes", ctx["payload"][name],
                          ctx["payload"][reference], "bytes"))
    out.append(result(n, "need_table_ms", ctx["need_ms"], base["need"], "ms"))
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
