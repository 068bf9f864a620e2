"""The point-in-polygon join as one call: a table with lon/lat gets its code_<layer> columns,
its `region_match` and its country from the point. Shipped sources and imports both use it.
"""

from __future__ import annotations

import pandas as pd

from atlas.geo import regions


def place(rows: pd.DataFrame, layers: dict, indexes: dict | None = None) -> pd.DataFrame:
    """Add the code_<layer> and region_match columns, and the country from the point
    (`indexes`: see `regions.piece_indexes`)."""
    codes = regions.assign_regions(rows["lon"], rows["lat"], layers, indexes)
    out = pd.concat([rows.drop(columns=list(codes.columns), errors="ignore"), codes], axis=1)
    out.loc[out["lat"].isna(), "region_match"] = "no_point"
    from_point = out["code_countries"].where(out["code_countries"].str.len() == 2)
    out["country"] = from_point.fillna(out["country"])
    # An initiative without a point still counts for its declared country.
    out["code_countries"] = out["code_countries"].fillna(out["country"])
    return out
