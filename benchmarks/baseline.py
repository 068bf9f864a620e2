"""Naive baselines, measured in the same run as the atlas's own path.

- loading: the table prepared row by row (themes lists, accent folding per distinct value),
  as `load_initiatives` did before issue 7;
- filtering: the whole filtered table copied for counts (the pre-issue-7 `region_table`) and
  for the points layer (`filters.apply`), free text searched by pandas' object strings;
- the map: a plain `folium.Map` (folium's default assets) with the country outlines as
  GeoJSON, one `folium.Marker` (with its popup) per initiative in a `MarkerCluster`, and the
  whole regional layer as GeoJSON with all its properties (no reduction to what is drawn);
- the need table (issue 13): recomputed from scratch on every call, as a first version
  without caches or vectorised joins would do: `context.parquet` read again, counts by the
  pre-issue-7 region table above, then one Python loop over the regions (`iterrows`) that
  looks each region's value and flag up in the long context table and builds its row (class
  words, gap) one at a time. The classes are the same `bivariate_classes`, so the result is
  the same table (the benchmark checks it).
"""

from __future__ import annotations

from pathlib import Path

import folium
import pandas as pd
from folium.plugins import MarkerCluster

from atlas import paths
from atlas.model.classify import X_WORDS, bivariate_cell_words, bivariate_classes, classify, colours
from atlas.model.context import INDICATORS, flag_words
from atlas.model.filters import Filters, apply, mask
from atlas.model.layers import LAYERS
from atlas.model.metrics import per_100k
from atlas.model.themes import theme_bits
from atlas.present.mapview import popup_html, popup_parts
from atlas.text import fold_series


def load(data_dir: Path) -> pd.DataFrame:
    """The initiatives table prepared the pre-issue-7 way (object text, row-by-row work)."""
    df = pd.read_parquet(data_dir / paths.INITIATIVES_FILE)
    df["themes"] = df["themes"].map(lambda ts: [] if ts is None else [str(t) for t in ts])
    df["theme_bits"] = theme_bits(df["themes"])
    parts = [fold_series(df[c].fillna("")) for c in ("name", "description", "locality")]
    df["search_text"] = parts[0] + " " + parts[1] + " " + parts[2]
    return df


def region_table(
    df: pd.DataFrame, regions: pd.DataFrame, layer_id: str, f: Filters, theme: str | None
) -> pd.DataFrame:
    """The pre-issue-7 `atlas.analysis.indicators.region_table` (copies every filtered row)."""
    column = LAYERS[layer_id].column
    keep = mask(df, f)
    sub = df.loc[keep & df[column].notna().to_numpy()]
    counts = sub[column].value_counts()
    out = pd.DataFrame({
        "code": regions["code"].to_numpy(),
        "country": regions["country"].to_numpy(),
        "population": pd.to_numeric(regions["population"], errors="coerce").to_numpy(),
    })  # fmt: skip
    out["initiatives"] = out["code"].map(counts).fillna(0).astype(int)
    out["per_100k"] = per_100k(out["initiatives"], out["population"])
    if theme:
        with_theme = sub.loc[sub["themes"].map(lambda ts: theme in ts), column].value_counts()
        n = out["initiatives"].where(out["initiatives"] > 0)
        out["theme_share"] = out["code"].map(with_theme).fillna(0) / n
    out["rank_in_layer"] = out["initiatives"].rank(ascending=False, method="min").astype(int)
    out["rank_in_country"] = (
        out.groupby("country")["initiatives"].rank(ascending=False, method="min").astype(int)
    )
    return out


def need_table(df: pd.DataFrame, regions: pd.DataFrame, layer_id: str, f: Filters,
               indicator: str, sse: str, data_dir: Path) -> pd.DataFrame:
    """`atlas.analysis.need.need_table(region_table(...))` the naive way (module docstring)."""
    context = pd.read_parquet(data_dir / paths.CONTEXT_FILE)
    here = context[(context["layer"] == layer_id) & (context["indicator"] == indicator)]
    table = region_table(df, regions, layer_id, f, None)
    names = dict(zip(regions["code"], regions["name"], strict=True))
    rows = []
    for _, r in table.iterrows():
        hit = here[here["code"] == r["code"]]
        value = float(hit["value"].iloc[0]) if len(hit) else float("nan")
        flag = hit["flag"].iloc[0] if len(hit) and isinstance(hit["flag"].iloc[0], str) else ""
        rows.append({"code": r["code"], "name": names[r["code"]], "country": r["country"],
                     "initiatives": r["initiatives"], sse: r[sse], indicator: value,
                     "flag": flag, "flag_meaning": flag_words(flag)})
    out = pd.DataFrame(rows)
    low = INDICATORS[indicator].need == "low"
    need = -out[indicator] if low else out[indicator]
    bi = bivariate_classes(out[sse], need)
    out["cell"] = bi.cell
    classes, gaps = [], []
    for cell in bi.cell:
        row, col = divmod(int(cell), bi.k) if cell >= 0 else (-1, -1)
        classes.append(bivariate_cell_words(row, col, bi.k, x_words=X_WORDS)
                       if cell >= 0 else "")
        gaps.append(bool(cell >= 0 and row == bi.k - 1 and col == 0))
    out["class"], out["gap"] = classes, gaps
    out = out[out["cell"] >= 0].copy()
    need = -out[indicator] if low else out[indicator]
    out["rank_need"] = need.rank(ascending=False, method="min").astype(int)
    out["rank_sse"] = out[sse].rank(ascending=True, method="min").astype(int)
    out["_need"] = need
    return (out.sort_values(["gap", "_need"], ascending=[False, False])
            .drop(columns="_need").reset_index(drop=True))


def filter_change(df: pd.DataFrame, regions: pd.DataFrame, layer_id: str, f: Filters,
                  theme: str | None) -> None:
    """What one page run computed before: counter, region figures, filtered table copy."""
    int(mask(df, f).sum())
    region_table(df, regions, layer_id, f, theme)
    apply(df, f)


def base_map(countries) -> folium.Map:
    """The background as plain folium draws it: full-detail outlines, default assets (its
    Popup needs jQuery), everything serialised on every run."""
    m = folium.Map(location=[52.0, 10.0], zoom_start=4, tiles=None, maxZoom=18)
    folium.GeoJson(
        countries[["code", "name", "geometry"]].to_json(),
        style_function=lambda _f: {"color": "#8c8c8c", "weight": 0.6, "fillColor": "#f4f4f1",
                                   "fillOpacity": 1.0},
        interactive=False,
    ).add_to(m)
    return m


def map_groups(
    df: pd.DataFrame, layer, table: pd.DataFrame, theme_labels: dict, titles: dict
) -> list[folium.FeatureGroup]:
    """Whole-layer GeoJSON choropleth + one Marker per point in a MarkerCluster."""
    values = table.set_index("code")["initiatives"].reindex(layer["code"]).reset_index(drop=True)
    classes = classify(values, "quantiles")
    fills = colours(classes)
    fill_of = {code: fills[c] if c >= 0 else "#d9d9d9"
               for code, c in zip(layer["code"], classes.index, strict=True)}
    regions = folium.FeatureGroup(name="regions")
    folium.GeoJson(
        layer.to_json(),
        style_function=lambda feat: {"fillColor": fill_of[feat["properties"]["code"]],
                                     "fillOpacity": 0.8, "color": "#ffffff", "weight": 0.6},
        tooltip=folium.GeoJsonTooltip(fields=["name", "code"]),
    ).add_to(regions)
    points = folium.FeatureGroup(name="initiatives")
    cluster = MarkerCluster().add_to(points)
    located = df[df["lat"].notna() & df["lon"].notna()]
    parts = popup_parts(located, theme_labels, titles).to_dict("records")
    for lat, lon, row in zip(located["lat"].to_numpy(), located["lon"].to_numpy(), parts,
                             strict=True):
        popup = popup_html(row)
        folium.Marker([float(lat), float(lon)], popup=folium.Popup(popup, max_width=320)).add_to(
            cluster)
    return [regions, points]

