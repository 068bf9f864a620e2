"""Text normalisation for search and matching: accent-, case- and spacing-insensitive."""

from __future__ import annotations

import re
import unicodedata

import pandas as pd

_SPACES = re.compile(r"\s+")


def fold(text: object) -> str:
    """'Émilie-Romagne ' → 'emilie-romagne': strip accents, casefold, collapse spaces."""
    if not isinstance(text, str):
        return ""
    decomposed = unicodedata.normalize("NFKD", text)
    stripped = "".join(c for c in decomposed if not unicodedata.combining(c))
    return _SPACES.sub(" ", stripped.casefold()).strip()


def fold_series(values: pd.Series) -> pd.Series:
    """`fold` over a column, computed once per distinct value (names repeat a lot)."""
    uniques = pd.unique(values.astype("object"))
    lookup = {u: fold(u) for u in uniques}
    return values.astype("object").map(lookup)
