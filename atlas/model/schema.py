"""The initiatives table: every column, its type and meaning, documented here and only here.

README's data section and the app's data page render this list; tests check that built tables
have exactly these columns.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyarrow as pa

from atlas.model.layers import LAYERS


@dataclass(frozen=True)
class Column:
    name: str
    dtype: str
    doc: str
    # Added after data/ was built: a table without it still loads (see `conform`).
    optional: bool = False


COLUMNS: tuple[Column, ...] = (
    Column("id", "str", "Stable id `<source>:<source_id>`; unique across all sources."),
    Column("name", "str", "Name as published by the source."),
    Column("description", "str", "Free-text description from the source (may be empty)."),
    Column("lat", "float", "Latitude, WGS84; empty when the source gives no usable point."),
    Column("lon", "float", "Longitude, WGS84; empty when the source gives no usable point."),
    Column("country", "str", "ISO 3166-1 alpha-2 (GB, GR, ...): from the point, else the source."),
    Column("locality", "str", "Town or city from the source address (may be empty)."),
    Column("themes", "list[str]", "SSE Atlas theme ids (atlas/taxonomy/themes.yaml); may be []."),
    Column("activity", "str", "Source activity label(s): SSEDAS tag labels, ICA activity label."),
    Column("source_categories", "str", "Raw source categories the themes were derived from."),
    Column("legal_form", "str", "Legal form as given by the source (Co-ops UK only)."),
    Column("org_structure", "str", "ESSGlobal organisational structure label (Co-ops UK only)."),
    Column("website", "str", "http(s) URL, validated; empty when the source value is not a URL."),
    Column("source", "str", "Dataset id: `susy` or `coopsuk` (imports add their own)."),
    Column("source_id", "str", "The record's id in its source."),
    Column("license", "str", "Licence of the source dataset (SPDX-like id)."),
    *(
        Column(layer.column, "str", f"Code of the `{layer.id}` region the initiative lies in.")
        for layer in LAYERS.values()
    ),
    Column(
        "region_match",
        "str",
        "`inside` (point in a region), `nearest` (point just off a simplified coastline, given "
        "the nearest region within 0.1°), `none` (no region), `no_point` (no coordinates), "
        "`region` (imported row without a point, placed in the region it names).",
    ),
    Column("location_issue", "str", "Why the record has no usable point; empty when it has one."),
    Column(
        "placement",
        "str",
        "Where the map draws it: `point` (its own coordinates), `region_label_point` (no usable "
        "point: drawn at the label point of the region it names, approximate), `none`. Tables "
        "built without this column get `point` or `none` from `lat`.",
        optional=True,
    ),
    Column(
        "placed_in",
        "str",
        "For `region_label_point` rows: the region they were placed in, as people read it "
        "('Emilia-Romagna (ITH5, NUTS 2 regions)'); empty otherwise. Popups read it from here.",
        optional=True,
    ),
)
COLUMN_NAMES: tuple[str, ...] = tuple(c.name for c in COLUMNS)
REQUIRED_NAMES: tuple[str, ...] = tuple(c.name for c in COLUMNS if not c.optional)
TEXT_COLUMNS = tuple(c.name for c in COLUMNS if c.dtype == "str")


def arrow_schema() -> pa.Schema:
    """Every column as an Arrow type, for tables written in pieces (a block-wise import)."""
    kinds = {"float": pa.float64(), "list[str]": pa.list_(pa.string())}
    return pa.schema([(c.name, kinds.get(c.dtype, pa.string())) for c in COLUMNS])


def optional_default(df: pd.DataFrame, name: str) -> pd.Series:
    """The value an optional column takes in a table built before it existed."""
    if name == "placement":
        lat = pd.to_numeric(df["lat"], errors="coerce") if "lat" in df else pd.Series(
            np.nan, index=df.index)
        return pd.Series(np.where(lat.notna(), "point", "none"), index=df.index, dtype=object)
    return pd.Series(None, index=df.index, dtype=object)


def with_optional(df: pd.DataFrame) -> pd.DataFrame:
    """`df` with any missing optional column added (other columns untouched)."""
    for col in COLUMNS:
        if col.optional and col.name not in df:
            df[col.name] = optional_default(df, col.name)
    return df


def conform(df: pd.DataFrame) -> pd.DataFrame:
    """Columns in schema order with schema types; missing text columns become empty (None).

    An optional column is kept when `df` has it and left out otherwise (`with_optional` adds
    its default when a table is loaded)."""
    out = pd.DataFrame(index=df.index)
    for col in COLUMNS:
        if col.name in df:
            out[col.name] = df[col.name]
        elif col.optional:
            continue  # left out, so `python -m atlas build` still reproduces data/ exactly
        elif col.dtype == "list[str]":
            out[col.name] = [[] for _ in range(len(df))]
        else:
            out[col.name] = None
        if col.dtype == "float":
            out[col.name] = pd.to_numeric(out[col.name], errors="coerce").astype("float64")
        elif col.dtype == "str":
            out[col.name] = out[col.name].astype("object").where(out[col.name].notna(), None)
    return out.reset_index(drop=True)
