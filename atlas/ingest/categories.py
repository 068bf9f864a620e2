"""From an imported file's category cells to atlas themes: the taxonomy lookup tables, the
splitting of multi-valued cells and the optional keyword rules."""

from __future__ import annotations

import csv
import re
from collections import Counter
from functools import lru_cache

import numpy as np
import pandas as pd

from atlas import paths
from atlas.geo.names import key
from atlas.model import themes as th
from atlas.text import fold, fold_strings


@lru_cache(maxsize=1)
def theme_lookup() -> dict[str, tuple[str, ...]]:
    """Folded category → theme ids (maybe none): theme ids and labels, SUSY tags (with their
    labels and aliases), Co-operatives UK sectors and ownership, ICA codes and labels."""
    out: dict[str, set[str]] = {}

    def add(label: str, themes: tuple[str, ...] | list[str]) -> None:
        k = key(label)
        if k:  # a known category without themes maps to ()
            out.setdefault(k, set()).update(themes)

    for theme in th.load_themes():
        add(theme.id, [theme.id])
        add(theme.label, [theme.id])
    tags = th.susy_tags()
    for tag, themes in tags.items():
        add(tag, themes)
    for tag, (label, _cat) in th.susy_tag_labels().items():
        add(label, tags.get(tag, ()))
    for alias, tag in th.susy_aliases().items():
        add(alias, tags.get(tag, ()))
    for name, column in (("coopsuk_sectors.csv", "sector"), ("coopsuk_ownership.csv",
                         "ownership"), ("ica_activities.csv", "code")):  # fmt: skip
        for category, themes in th.load_mapping(name, column).items():
            add(category, themes)
    with open(paths.TAXONOMY_DIR / "ica_activities.csv", newline="", encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            add(row["label"], th.load_mapping("ica_activities.csv", "code").get(row["code"], ()))
    order = th.theme_ids()
    return {k: tuple(t for t in order if t in v) for k, v in out.items()}


@lru_cache(maxsize=1)
def keyword_rules() -> tuple[tuple[str, tuple[str, ...]], ...]:
    """(folded keyword, themes) pairs from atlas/taxonomy/import_keywords.csv."""
    known = set(th.theme_ids())
    rules = []
    with open(paths.TAXONOMY_DIR / "import_keywords.csv", newline="", encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            themes = tuple(t.strip() for t in row["themes"].split(";") if t.strip())
            unknown = set(themes) - known
            if unknown:
                raise ValueError(f"import_keywords.csv: {row['keyword']!r} maps to unknown "
                                 f"theme(s) {sorted(unknown)}")
            rules.append((fold(row["keyword"]), themes))
    return tuple(rules)


def _categories(cell: str, lookup: dict[str, tuple[str, ...]], ica_labels: dict[str, str]):
    """Themes and unknown categories of one cell: parts split on ; | and line breaks, then on
    commas only when a part as a whole is unknown (sector names contain commas). A category
    the taxonomy knows but gives no theme ("Other") is not reported as unknown."""

    def hit(part: str) -> tuple[str, ...] | None:
        found = lookup.get(key(part))
        return found if found is not None else lookup.get(key(ica_labels.get(part, "")))

    found: set[str] = set()
    missing: list[str] = []
    for part in split_categories(cell, ";|\n"):
        themes = hit(part)
        if themes is not None:
            found.update(themes)
            continue
        pieces = split_categories(part, ",")
        matched = [hit(p) for p in pieces]
        if len(pieces) > 1 and any(m is not None for m in matched):
            for piece, themes in zip(pieces, matched, strict=True):
                found.update(themes or ())
                if themes is None:
                    missing.append(piece)
        else:
            missing.append(part)
    return found, missing


def split_categories(cell: str, separators: str = ";|\n,") -> list[str]:
    """'A; B | C' → ['A', 'B', 'C']; an ESSGlobal URI → its code (last path segment)."""
    out = []
    for part in re.split(f"[{re.escape(separators)}]+", cell or ""):
        part = part.strip()
        if re.match(r"^https?://", part, re.I):
            part = part.rstrip("/").rsplit("/", 1)[-1]
        if part:
            out.append(part)
    return out


def _haystack(rows: pd.DataFrame) -> pd.Series:
    """Folded name, description and raw categories: where keywords are looked for."""
    out = fold_strings(rows["name"]) + " " + fold_strings(rows["description"])
    if "source_categories" in rows:
        out = out + " " + fold_strings(rows["source_categories"])
    return out


def _keyword_pattern(keyword: str) -> re.Pattern:
    return re.compile(rf"(?<!\w){re.escape(keyword)}")


def _keyword_hits(hay: pd.Series, keyword: str) -> np.ndarray:
    """Rows whose text has the keyword at the start of a word: Arrow finds the rows that
    contain it at all, Python's regex (Unicode word boundaries) checks only those."""
    maybe = np.flatnonzero(hay.str.contains(keyword, regex=False).to_numpy(dtype=bool))
    pattern = _keyword_pattern(keyword)
    out = np.zeros(len(hay), dtype=bool)
    out[maybe] = [pattern.search(text) is not None for text in hay.iloc[maybe]]
    return out


def _keyword_counts(rows: pd.DataFrame, themes: np.ndarray) -> Counter:
    """How many rows without a theme carry each keyword (in their name, description or
    categories)."""
    without = np.array([not t for t in themes], dtype=bool)
    if not without.any():
        return Counter()
    hay = _haystack(rows[without])
    return Counter({keyword: n for keyword, _ in keyword_rules()
                    if (n := int(_keyword_hits(hay, keyword).sum()))})


def _apply_keywords(rows, themes: np.ndarray, accepted: frozenset[str]) -> np.ndarray:
    """Themes of the accepted keywords, for rows that got none from their columns."""
    rules = [(k, t) for k, t in keyword_rules() if k in accepted]
    without = [i for i, t in enumerate(themes) if not t]
    if not rules or not without:
        return themes
    hay = _haystack(rows.iloc[without])
    order = th.theme_ids()
    found: dict[int, set[str]] = {i: set() for i in without}
    for keyword, kw_themes in rules:
        for pos in np.flatnonzero(_keyword_hits(hay, keyword)):
            found[without[pos]].update(kw_themes)
    out = themes.copy()
    for i, ts in found.items():
        out[i] = [t for t in order if t in ts]
    return out
