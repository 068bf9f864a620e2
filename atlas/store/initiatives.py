"""Loading the shipped initiatives table and the facet values the filters offer."""

from __future__ import annotations

import gc
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from atlas import paths
from atlas.model.context import AREAS, TRAITS
from atlas.model.filters import COLUMN_OF, search_text
from atlas.model.schema import COLUMNS, REQUIRED_NAMES, with_optional
from atlas.model.themes import NO_THEME, theme_bits, theme_ids
from atlas.store.context import territory_of


def load_initiatives(data_dir: Path | None = None) -> pd.DataFrame:
    """The built initiatives table, with `themes` as Python lists and a `search_text` column."""
    path = (data_dir or paths.DATA_DIR) / paths.INITIATIVES_FILE
    if not path.exists():
        raise FileNotFoundError(
            f"{path} is missing: run `python -m atlas build` (needs ../shared/data-sources)"
        )
    df = pd.read_parquet(path)
    missing = set(REQUIRED_NAMES) - set(df.columns)
    if missing:
        raise ValueError(f"{path} lacks columns {sorted(missing)}: rebuild it")
    return prepare(df)


def prepare(df: pd.DataFrame) -> pd.DataFrame:
    """A schema table ready for the app: optional columns filled in, text as Arrow strings
    (as Parquet gives them: tables of the same dtypes concatenate without copying text),
    `themes` as Python lists, plus `theme_bits` and `search_text` (shipped and imported
    tables alike)."""
    df = with_optional(df)
    for col in COLUMNS:
        if col.dtype == "str" and col.name in df and df[col.name].dtype != "str":
            df[col.name] = df[col.name].astype("str")
    df["themes"] = theme_lists(df["themes"])
    df["theme_bits"] = theme_bits(df["themes"])
    df["area"], df["trait_bits"] = territory_of(df["code_nuts3"])
    df["search_text"] = search_text(df)
    return df


def theme_lists(values: pd.Series) -> pd.Series:
    """Each row's themes as a new Python list of str ([] for missing).

    Through Arrow: a table has a few hundred distinct theme combinations, so each is split
    once and copied per row (row by row, conversion took seconds for millions of rows).
    """
    lists = pa.array(values.to_numpy(dtype=object), type=pa.list_(pa.string()), from_pandas=True)
    lists = pc.fill_null(lists, pa.scalar([], pa.list_(pa.string())))
    # Join with a separator no theme id contains; empty lists become null, not "".
    joined = pc.if_else(pc.equal(pc.list_value_length(lists), 0), None,
                        pc.binary_join(lists, "\x1f"))
    encoded = pc.dictionary_encode(joined)
    combos = [s.split("\x1f") for s in encoded.dictionary.to_pylist()]
    combos.append([])  # where the code is null
    codes = pc.fill_null(encoded.indices, len(combos) - 1).to_numpy(zero_copy_only=False)
    # Millions of new lists trigger the cyclic GC over and over; none of them can be a cycle.
    enabled = gc.isenabled()
    gc.disable()
    try:
        rows = [combos[i].copy() for i in codes.tolist()]
    finally:
        if enabled:
            gc.enable()
    return pd.Series(rows, index=values.index, dtype=object)


def facet_values(df: pd.DataFrame) -> dict[str, list[str]]:
    """Allowed values of each filter field: themes in taxonomy order, others by frequency."""
    allowed: dict[str, list[str]] = {"themes": [*theme_ids(), NO_THEME]}
    for field, column in COLUMN_OF.items():
        allowed[field] = df[column].dropna().value_counts().index.astype(str).tolist()
    allowed["areas"], allowed["traits"] = list(AREAS), list(TRAITS)  # the typologies' order
    return allowed
