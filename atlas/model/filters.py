"""Filters as plain data: one value object, a vectorised mask, and a URL round trip.

Like datasette's facets, a filter is a small dict of lists that can live in a URL
(`?theme=employment&theme=proximity&country=IT&q=coop`); `from_params` validates what comes in
and says what it dropped, so a pasted URL never breaks a page.
"""

from __future__ import annotations

import weakref
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, fields, replace

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from atlas.model.context import AREAS, TRAIT_BIT, TRAITS
from atlas.model.themes import NO_THEME, bit_of, theme_bits
from atlas.text import clip, fold, fold_strings

# URL parameter name → Filters field, and the column each field filters.
PARAMS = {
    "theme": "themes",
    "legal": "legal_forms",
    "org": "org_structures",
    "country": "countries",
    "source": "sources",
    "area": "areas",
    "trait": "traits",
}
COLUMN_OF = {
    "legal_forms": "legal_form",
    "org_structures": "org_structure",
    "countries": "country",
    "sources": "source",
    "areas": "area",
}


@dataclass(frozen=True)
class Filters:
    """Which initiatives to keep. Empty tuple = no restriction. Values OR within a field,
    fields AND together (as in any faceted search)."""

    themes: tuple[str, ...] = ()
    legal_forms: tuple[str, ...] = ()
    org_structures: tuple[str, ...] = ()
    countries: tuple[str, ...] = ()
    sources: tuple[str, ...] = ()
    text: str = ""
    # The territory (Eurostat NUTS 3 typologies, atlas.model.context): urban–rural class and
    # traits (coastal, mountain, island, border, …) of the NUTS 3 region an initiative is in.
    areas: tuple[str, ...] = ()
    traits: tuple[str, ...] = ()

    def is_empty(self) -> bool:
        return self == Filters()

    def to_params(self) -> dict[str, list[str]]:
        """URL parameters (repeated keys for lists); empty fields are left out."""
        out = {p: list(getattr(self, f)) for p, f in PARAMS.items() if getattr(self, f)}
        if self.text.strip():
            out["q"] = [self.text.strip()]
        return out

    def describe(self, theme_labels: Mapping[str, str] | None = None) -> str:
        """One line a human reads in an export header: 'themes: X, Y; country: IT'."""
        labels = theme_labels or {}
        parts = []
        if self.themes:
            parts.append("themes: " + ", ".join(labels.get(t, t) for t in self.themes))
        for name, label in (
            ("legal_forms", "legal form"),
            ("org_structures", "organisational structure"),
            ("countries", "country"),
            ("sources", "source"),
        ):
            if getattr(self, name):
                parts.append(f"{label}: " + ", ".join(getattr(self, name)))
        if self.areas:
            parts.append("territory: " + ", ".join(AREAS.get(a, a) for a in self.areas))
        if self.traits:
            parts.append("territory traits: " + ", ".join(TRAITS.get(t, t) for t in self.traits))
        if self.text.strip():
            parts.append(f'text: "{self.text.strip()}"')
        return "; ".join(parts) or "no filter (all initiatives)"


def from_params(
    params: Mapping[str, Sequence[str] | str], allowed: Mapping[str, Sequence[str]]
) -> tuple[Filters, list[str]]:
    """Filters from URL parameters; values not in `allowed[field]` are dropped with a notice,
    plain text that names a few of them, clipped (`atlas.text.clip`)."""
    notices: list[str] = []
    values: dict[str, object] = {}
    for param, field in PARAMS.items():
        raw = params.get(param, [])
        items = [raw] if isinstance(raw, str) else list(raw)
        items = [v for item in items for v in str(item).split("|") if v.strip()]
        ok = set(allowed.get(field, ()))
        kept = [v for v in dict.fromkeys(items) if v in ok]
        bad = [v for v in dict.fromkeys(items) if v not in ok]
        if bad:
            notices.append(f"Ignored unknown {param} value(s) in the URL: {_echo(bad)}")
        values[field] = tuple(kept)
    q = params.get("q", "")
    text = q if isinstance(q, str) else (q[0] if q else "")
    values["text"] = str(text)[:200]
    return Filters(**values), notices  # type: ignore[arg-type]


def _echo(values: Sequence[str], most: int = 3) -> str:
    """A few of the unknown values, each clipped: a URL can hold thousands, of any length."""
    shown = ", ".join(repr(clip(v)) for v in values[:most])
    return shown + (f" and {len(values) - most} more" if len(values) > most else "")


def mask(df: pd.DataFrame, f: Filters) -> np.ndarray:
    """Boolean array over `df` rows: True where the initiative passes every filter."""
    keep = np.ones(len(df), dtype=bool)
    if f.themes:
        bits = df["theme_bits"].to_numpy() if "theme_bits" in df else theme_bits(df["themes"])
        wanted = sum(bit_of().get(t, 0) for t in f.themes)
        has = (bits & wanted) != 0
        if NO_THEME in f.themes:
            has = has | (bits == 0)
        keep &= has
    for field, column in COLUMN_OF.items():
        chosen = getattr(f, field)
        if chosen:
            keep &= df[column].isin(chosen).to_numpy(bool)
    if f.traits:
        bits = df["trait_bits"].to_numpy() if "trait_bits" in df else np.zeros(len(df), int)
        keep &= (bits & sum(TRAIT_BIT.get(t, 0) for t in f.traits)) != 0
    needle = fold(f.text)
    if needle:
        haystack = df["search_text"] if "search_text" in df else search_text(df)
        keep &= contains(haystack, needle)
    return keep


# Recent text searches: {(id of the haystack's Arrow data, needle): (weak ref to it, rows)}.
# One page run filters the same table several times (sidebar counter, regions, points).
_SEARCHES: dict[tuple[int, str], tuple[weakref.ref, np.ndarray]] = {}
_MAX_SEARCHES = 8


def contains(haystack: pd.Series, needle: str) -> np.ndarray:
    """Rows of `haystack` containing `needle` (plain text, not a pattern).

    For Arrow-backed text the needle becomes an RE2 literal (every character hex-escaped),
    which Arrow's regex kernel scans about twice as fast as its plain substring search; the
    result is remembered for the same Arrow data (replaced, never changed, when edited).
    """
    dtype = haystack.dtype
    if not (isinstance(dtype, pd.StringDtype) and dtype.storage == "pyarrow"):
        return haystack.str.contains(needle, regex=False).to_numpy(bool)
    data = haystack.array.__arrow_array__()
    key = (id(data), needle)
    hit = _SEARCHES.get(key)
    if hit is not None and hit[0]() is data:
        return hit[1].copy()
    literal = "".join(f"\\x{{{ord(c):x}}}" for c in needle)
    found = pc.fill_null(pc.match_substring_regex(data, literal), False)
    rows = np.asarray(found.to_numpy(zero_copy_only=False), dtype=bool)
    for old in [k for k, (ref, _rows) in _SEARCHES.items() if ref() is None]:
        del _SEARCHES[old]
    while len(_SEARCHES) >= _MAX_SEARCHES:
        del _SEARCHES[next(iter(_SEARCHES))]
    _SEARCHES[key] = (weakref.ref(data), rows)
    return rows.copy()


def search_text(df: pd.DataFrame) -> pd.Series:
    """Folded name + description + locality, the haystack of the free-text filter."""
    parts = [fold_strings(df[c]) for c in ("name", "description", "locality") if c in df]
    arrays = [p.array.__arrow_array__().cast(pa.large_string()) for p in parts]
    joined = pc.binary_join_element_wise(*arrays, pa.scalar(" ", pa.large_string()))
    return pd.Series(joined, index=df.index, dtype="str")


def apply(df: pd.DataFrame, f: Filters) -> pd.DataFrame:
    return df[mask(df, f)]


def without(f: Filters, field: str) -> Filters:
    """The same filters minus one field: facet counts show what choosing a value would add."""
    blank = {x.name: x.default for x in fields(Filters)}
    return replace(f, **{field: blank[field]})
