"""The directory's table at any size: sorted orders, matching rows, one page at a time.

A million-row directory cannot sort, build and send its whole table on every run. Instead:
- each sort column becomes an integer rank per row once (`sort_ranks`: the column's distinct
  values folded and ranked, then spread back by code), so an order is one `np.lexsort`
  (`sort_order`), computed once per table and kept by the app;
- a filter is a boolean mask, and the matching rows in that order are `order[keep[order]]`
  (`matching`): no sort, no copy of the table;
- only the visible page's rows are turned into the table people see (`page_bounds`).
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from atlas.model.layers import EXPORT_REGION_LAYERS, LAYERS
from atlas.text import fold_strings

SORTS = ("Name", "Country", "Region", "Source", "Legal form", "Themes")
PAGE_SIZES = (25, 50, 100, 200)
MISSING_RANK = np.iinfo(np.int32).max  # missing values sort last, ascending or descending


def region_of(
    df: pd.DataFrame, region_names: Mapping[str, Mapping[str, str]]
) -> tuple[pd.Series, pd.Series]:
    """(code, name) of each initiative's region: the first of EXPORT_REGION_LAYERS (NUTS 2 in
    Europe, ITL 1 in the UK, else the state or province) that holds it; None where none does
    (a name is None too where the layer does not name the code)."""
    region = pd.Series(None, index=df.index, dtype=object)
    code = pd.Series(None, index=df.index, dtype=object)
    for layer_id in EXPORT_REGION_LAYERS:
        column = LAYERS[layer_id].column
        todo = code.isna() & df[column].notna()
        code[todo] = df.loc[todo, column]
        region[todo] = df.loc[todo, column].map(dict(region_names.get(layer_id, {})))
    return code, region


def rank_text(values: pd.Series) -> np.ndarray:
    """Dense rank of each text value as people read it (case- and accent-insensitive, via
    `fold_strings`); missing or empty values get MISSING_RANK. Folds each distinct value
    once."""
    codes, uniques = pd.factorize(values, use_na_sentinel=True)
    folded = fold_strings(pd.Series(np.asarray(uniques, dtype=object), dtype="str"))
    unique_rank = folded.rank(method="dense").to_numpy(float)
    unique_rank = np.where(folded.to_numpy(dtype=object) == "", np.nan, unique_rank)
    ranks = np.full(len(values), MISSING_RANK, dtype=np.int32)
    seen = codes >= 0
    found = unique_rank[codes[seen]]
    ranks[seen] = np.where(np.isnan(found), MISSING_RANK, found).astype(np.int32)
    return ranks


def sort_ranks(
    df: pd.DataFrame,
    sort_by: str,
    region_names: Mapping[str, Mapping[str, str]],
    theme_labels: Mapping[str, str],
    source_titles: Mapping[str, str],
) -> np.ndarray:
    """Rank of every row for one of SORTS, by the text the directory shows in that column."""
    if sort_by == "Name":
        return rank_text(df["name"])
    if sort_by == "Country":
        return rank_text(df["country"])
    if sort_by == "Legal form":
        return rank_text(df["legal_form"])
    if sort_by == "Source":
        codes, uniques = pd.factorize(df["source"])
        titles = pd.Series([source_titles.get(s, s) for s in uniques], dtype="str")
        return _spread(codes, rank_text(titles))
    if sort_by == "Region":
        return rank_text(region_of(df, region_names)[1])
    if sort_by == "Themes":  # distinct theme sets are few: label each once
        bits = df["theme_bits"].to_numpy()
        uniques, first, codes = np.unique(bits, return_index=True, return_inverse=True)
        themes = df["themes"]
        labels = pd.Series(["; ".join(theme_labels.get(t, t) for t in (themes.iat[i] or []))
                            for i in first], dtype="str")
        return _spread(codes.ravel(), rank_text(labels))
    raise ValueError(f"unknown sort {sort_by!r}; one of {', '.join(SORTS)}")


def _spread(codes: np.ndarray, unique_ranks: np.ndarray) -> np.ndarray:
    ranks = np.full(len(codes), MISSING_RANK, dtype=np.int32)
    seen = codes >= 0
    ranks[seen] = unique_ranks[codes[seen]]
    return ranks


def sort_order(key: np.ndarray, names: np.ndarray, descending: bool = False) -> np.ndarray:
    """Row positions sorted by `key` ranks (descending if asked, missing last either way),
    then by name ranks, then by position (stable)."""
    if descending:
        key = np.where(key == MISSING_RANK, MISSING_RANK, -key.astype(np.int64))
    return np.lexsort((names, key)).astype(np.int64)


def matching(order: np.ndarray, keep: np.ndarray) -> np.ndarray:
    """The rows that pass `keep` (a boolean mask over rows), in `order`."""
    return order[keep[order]]


def page_bounds(total: int, page: int, size: int) -> tuple[int, int, int, int]:
    """(page, first, stop, pages) for a 1-based page number clamped to the pages there are
    (a URL may ask for page 900 of 3)."""
    pages = max(1, -(-total // size))
    page = min(max(1, page), pages)
    first = (page - 1) * size
    return page, first, min(total, first + size), pages
