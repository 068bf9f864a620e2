"""The themes taxonomy and the source-category → theme mappings, read from `atlas/taxonomy/`.

The mappings are data files so that reviewers can change them without touching code; this module
only reads them and applies them.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np
import pandas as pd
import yaml

from atlas.paths import TAXONOMY_DIR

NO_THEME = "no_theme"  # pseudo-id used in counts, never stored on an initiative


@dataclass(frozen=True)
class Theme:
    id: str
    label: str
    definition: str
    sdgs: tuple[int, ...]
    round_table: bool = False


@lru_cache(maxsize=4)
def load_themes(folder: Path = TAXONOMY_DIR) -> tuple[Theme, ...]:
    """All themes in display order (round-table themes first, as in the file)."""
    raw = yaml.safe_load((folder / "themes.yaml").read_text(encoding="utf-8"))["themes"]
    themes = tuple(
        Theme(
            id=t["id"],
            label=t["label"],
            definition=" ".join(str(t["definition"]).split()),
            sdgs=tuple(int(s) for s in t.get("sdgs", [])),
            round_table=bool(t.get("round_table", False)),
        )
        for t in raw
    )
    ids = [t.id for t in themes]
    if len(set(ids)) != len(ids):
        raise ValueError(f"duplicate theme ids in themes.yaml: {ids}")
    return themes


def theme_ids() -> list[str]:
    return [t.id for t in load_themes()]


def theme_labels() -> dict[str, str]:
    return {t.id: t.label for t in load_themes()}


def _split(cell: str | None) -> tuple[str, ...]:
    return tuple(x.strip() for x in (cell or "").split(";") if x.strip())


@lru_cache(maxsize=16)
def load_mapping(name: str, key: str, folder: Path = TAXONOMY_DIR) -> dict[str, tuple[str, ...]]:
    """A mapping file as {category: (theme ids...)}; fails loudly on an unknown theme id."""
    known = set(theme_ids())
    out: dict[str, tuple[str, ...]] = {}
    with open(folder / name, newline="", encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            themes = _split(row["themes"])
            unknown = set(themes) - known
            if unknown:
                raise ValueError(f"{name}: {row[key]!r} maps to unknown theme(s) {sorted(unknown)}")
            out[row[key].strip()] = themes
    return out


def susy_tags() -> dict[str, tuple[str, ...]]:
    return load_mapping("susy_tags.csv", "tag")


@lru_cache(maxsize=1)
def susy_tag_labels() -> dict[str, tuple[str, str]]:
    """tag → (SSEDAS label, SSEDAS top category)."""
    with open(TAXONOMY_DIR / "susy_tags.csv", newline="", encoding="utf-8") as fh:
        return {r["tag"]: (r["label"], r["ssedas_category"]) for r in csv.DictReader(fh)}


@lru_cache(maxsize=1)
def susy_aliases() -> dict[str, str]:
    with open(TAXONOMY_DIR / "susy_tag_aliases.csv", newline="", encoding="utf-8") as fh:
        return {r["raw"].strip().lower(): r["tag"].strip() for r in csv.DictReader(fh)}


def normalise_susy_tags(raw: str | None) -> list[str]:
    """Split a SUSY `type_of_initiative` cell (`;` or `,` separated, mixed case) into tags."""
    aliases = susy_aliases()
    tags: list[str] = []
    for part in (raw or "").replace(",", ";").split(";"):
        tag = part.strip().lower()
        tag = aliases.get(tag, tag)
        if tag and tag not in tags:
            tags.append(tag)
    return tags


def themes_for(categories: list[tuple[dict[str, tuple[str, ...]], str | None]]) -> list[str]:
    """Union of the themes of several (mapping, category) pairs, in taxonomy order."""
    found: set[str] = set()
    for mapping, category in categories:
        if category:
            found.update(mapping.get(category.strip(), ()))
    return [t for t in theme_ids() if t in found]


def bit_of() -> dict[str, int]:
    """Theme id → its bit in the `theme_bits` column (taxonomy order; ≤ 63 themes)."""
    ids = theme_ids()
    if len(ids) > 63:
        raise ValueError("theme_bits holds at most 63 themes")
    return {t: 1 << i for i, t in enumerate(ids)}


def theme_bits(themes: pd.Series) -> np.ndarray:
    """Each row's themes as one int64 bit set, so theme filters are one vectorised AND."""
    bits = bit_of()
    lookup: dict[tuple[str, ...], int] = {}
    out = np.zeros(len(themes), dtype=np.int64)
    for i, ts in enumerate(themes):
        key = tuple(ts) if ts is not None else ()
        value = lookup.get(key)
        if value is None:
            value = sum(bits.get(t, 0) for t in key)
            lookup[key] = value
        out[i] = value
    return out
