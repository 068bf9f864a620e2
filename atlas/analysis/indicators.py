"""Region indicators: pure functions over the initiatives table and a region layer.

Every function takes the full table plus a `Filters`, so each figure follows the user's filters.
Per-capita figures are NaN ("no data") where the population is unknown or zero, never 0 or inf.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from atlas.model.context import NO_CONTEXT, flag_column, missing_column, year_column
from atlas.model.filters import Filters, mask
from atlas.model.layers import LAYERS
from atlas.model.metrics import METRICS
from atlas.model.themes import NO_THEME, bit_of, theme_ids


def region_counts(df: pd.DataFrame, layer_id: str, f: Filters = Filters()) -> pd.Series:
    """Initiatives per region code of a layer (regions with none are absent)."""
    column = LAYERS[layer_id].column
    sub = df.loc[mask(df, f), column]
    return sub.dropna().value_counts().rename("initiatives")


def theme_counts(df: pd.DataFrame, keep: np.ndarray | None = None) -> pd.Series:
    """Initiatives carrying each theme (taxonomy order), plus `no_theme`, among the rows
    `keep` selects (all by default). With `theme_bits` it is one AND per theme on one column,
    never a copy of the table nor an explode of its lists (seconds at a million rows)."""
    if "theme_bits" in df:
        bits = df["theme_bits"].to_numpy()
        if keep is not None:
            bits = bits[keep]
        counts = pd.Series({t: int(np.count_nonzero(bits & b)) for t, b in bit_of().items()},
                           dtype=int).reindex(theme_ids(), fill_value=0)
        counts[NO_THEME] = int(np.count_nonzero(bits == 0))
        return counts.astype(int)
    themes = df["themes"] if keep is None else df["themes"][keep]
    counts = themes.explode().dropna().value_counts().reindex(theme_ids(), fill_value=0)
    counts[NO_THEME] = int((themes.map(len) == 0).sum())
    return counts.astype(int)


def theme_mix(df: pd.DataFrame, keep: np.ndarray | None = None) -> pd.Series:
    """Share of initiatives carrying each theme (sums to more than 1: themes overlap)."""
    n = len(df) if keep is None else int(np.count_nonzero(keep))
    counts = theme_counts(df, keep)
    return counts / n if n else counts.astype(float) * np.nan


def category_mix(df: pd.DataFrame, column: str, top: int = 10) -> pd.Series:
    """Share of initiatives per value of `column` (legal form, org structure...); the tail
    beyond `top` is summed as 'Other values' and missing values as 'Not stated'."""
    n = len(df)
    if not n:
        return pd.Series(dtype=float)
    counts = df[column].fillna("Not stated").value_counts()
    if len(counts) > top:
        tail = pd.Series({"Other values": counts.iloc[top:].sum()})
        counts = pd.concat([counts.iloc[:top], tail])
    return counts / n


def has_theme(df: pd.DataFrame, theme: str) -> np.ndarray:
    """Rows carrying `theme`: one AND on `theme_bits` when the table has it."""
    bit = bit_of().get(theme)
    if bit is not None and "theme_bits" in df:
        return (df["theme_bits"].to_numpy() & bit) != 0
    return df["themes"].map(lambda ts: theme in ts).to_numpy(bool)


def _context_columns(regions: pd.DataFrame, layer_id: str) -> dict[str, np.ndarray]:
    """A layer's context columns as the layer table has them (see store.context.with_context):
    value, flag, reason for no data and year of every indicator the layer offers. Gathered
    once and added in one step: column by column, this was most of region_table's time."""
    n = len(regions)
    out: dict[str, np.ndarray] = {}
    for metric in METRICS.values():
        ind = metric.indicator
        if not ind or layer_id not in metric.layers:
            continue
        for column, blank in ((ind, np.nan), (flag_column(ind), ""),
                              (missing_column(ind), NO_CONTEXT), (year_column(ind), np.nan)):
            out[column] = (regions[column].to_numpy() if column in regions
                           else np.full(n, blank, dtype=object if isinstance(blank, str)
                                        else float))
    return out


def region_table(
    df: pd.DataFrame,
    regions: pd.DataFrame,
    layer_id: str,
    f: Filters = Filters(),
    theme: str | None = None,
) -> pd.DataFrame:
    """One row per region of the layer: a column per metric of `atlas.model.metrics`
    (theme metrics only when `theme` is given), population, ranks and share of the country.

    `regions` is the layer table (geometry optional).
    """
    # Only the code column is sliced (never the whole table): this runs on every filter change.
    codes = df[LAYERS[layer_id].column]
    keep = mask(df, f)
    counts = codes[keep].value_counts()
    out = pd.DataFrame(
        {
            "code": regions["code"].to_numpy(),
            "name": regions["name"].to_numpy(),
            "country": regions["country"].to_numpy(),
            "population": pd.to_numeric(regions["population"], errors="coerce").to_numpy(),
            "population_year": regions["population_year"].to_numpy(),
        }
    )
    out["initiatives"] = out["code"].map(counts).fillna(0).astype(int)
    if theme:
        out["with_theme"] = out["code"].map(codes[keep & has_theme(df, theme)].value_counts())
        out["with_theme"] = out["with_theme"].fillna(0)
    for metric in METRICS.values():
        if not metric.indicator and (theme or not metric.needs_theme):
            out[metric.id] = metric.compute(out)
    context = _context_columns(regions, layer_id)
    if context:  # value, flag, reason and year of each indicator, as the layer table has them
        out = pd.concat([out, pd.DataFrame(context, index=out.index)], axis=1)
    out = out.drop(columns="with_theme", errors="ignore")
    out["rank_in_layer"] = out["initiatives"].rank(ascending=False, method="min").astype(int)
    out["rank_in_country"] = (
        out.groupby("country")["initiatives"].rank(ascending=False, method="min").astype(int)
    )
    country_total = out.groupby("country")["initiatives"].transform("sum")
    out["share_of_country"] = out["initiatives"] / country_total.where(country_total > 0)
    return out

