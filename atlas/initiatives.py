"""Loading the shipped initiatives table and the facet values the filters offer."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from atlas import paths
from atlas.filters import COLUMN_OF, search_text
from atlas.schema import REQUIRED_NAMES, with_optional
from atlas.themes import NO_THEME, theme_bits, theme_ids


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
    """A schema table ready for the app: optional columns filled in, `themes` as Python lists,
    plus `theme_bits` and `search_text` (shipped and imported tables alike)."""
    df = with_optional(df)
    df["themes"] = df["themes"].map(lambda ts: [] if ts is None else [str(t) for t in ts])
    df["theme_bits"] = theme_bits(df["themes"])
    df["search_text"] = search_text(df)
    return df


def facet_values(df: pd.DataFrame) -> dict[str, list[str]]:
    """Allowed values of each filter field: themes in taxonomy order, others by frequency."""
    allowed: dict[str, list[str]] = {"themes": [*theme_ids(), NO_THEME]}
    for field, column in COLUMN_OF.items():
        allowed[field] = df[column].dropna().value_counts().index.astype(str).tolist()
    return allowed
