"""The one region-name index: every code and name of every region, as matching keys.

Imports (`atlas.geo.placement.RegionIndex`, which must resolve one value to one region) and the
search box (`atlas.geo.search.RegionSearch`, which ranks candidates for a person) both read
the same `RegionNames`, so a region found by one is found by the other. Keys fold accents,
case and punctuation, and a name is also known by each `/` part and without a generic prefix
("Provincia Autonoma di Bolzano/Bozen" is also "Bolzano" and "Bozen").
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass

import pandas as pd

from atlas.model.layers import LAYER_IDS, LAYERS
from atlas.text import fold

# Matches are ranked: a code beats a name, a name beats an alternative name.
TIER_CODE, TIER_NAME, TIER_ALT = 0, 1, 2
# Generic words in official names ("Provincia Autonoma di Bolzano/Bozen" is also "Bolzano").
PREFIXES = (
    "provincia autonoma di", "provincia autonoma", "provincia di", "provincia", "regione",
    "region de", "region of", "region", "province of", "province de", "province", "county of",
    "county", "departement de", "departement du", "departement", "comunidad autonoma de",
    "state of", "land", "city of", "autonomous province of",
)  # fmt: skip
_PUNCT = re.compile(r"[\W_]+", re.UNICODE)


def key(text: object) -> str:
    """Matching key: folded, punctuation as spaces ("Valle d’Aosta" = "valle d'aosta")."""
    return _PUNCT.sub(" ", fold(text)).strip()


def variants(name: str) -> set[str]:
    """Keys a name is known by: whole, each `/` part, each without a generic prefix."""
    parts = {name, *name.split("/")}
    out: set[str] = set()
    for part in parts:
        k = key(part)
        if not k:
            continue
        out.add(k)
        for prefix in PREFIXES:
            if k.startswith(prefix + " ") and len(k) > len(prefix) + 2:
                out.add(k[len(prefix) + 1 :])
    return out


@dataclass(frozen=True)
class Region:
    """One region of one layer."""

    layer: str
    code: str
    name: str
    country: str

    def label(self) -> str:
        return f"{self.name} ({self.code}, {LAYERS[self.layer].label})"

    @property
    def ref(self) -> str:
        """`layer:code`, how regions travel through URLs, forms, the CLI and JSON."""
        return f"{self.layer}:{self.code}"


@dataclass(frozen=True)
class NamedRegion:
    """A region with its keys: the code's, its names' (name, name_local) and alternatives'."""

    region: Region
    code_key: str
    names: tuple[str, ...]
    alts: tuple[str, ...]
    shown: Mapping[str, str]  # key → the spelling it comes from


class RegionNames:
    """Every region of the given layer tables (code, name, name_local, alt_names, country),
    in LAYER_IDS order, and `lookup`: key → [(tier, region)], each region once per key."""

    def __init__(self, tables: Mapping[str, pd.DataFrame]):
        self.regions: list[NamedRegion] = []
        self.lookup: dict[str, list[tuple[int, Region]]] = defaultdict(list)
        self.by_country: dict[str, set[str]] = defaultdict(set)
        for layer_id in (lid for lid in LAYER_IDS if lid in tables):
            columns = ["code", "name", "name_local", "alt_names", "country"]
            for row in tables[layer_id][columns].itertuples(index=False):
                primary = [str(v) for v in (row.name, row.name_local) if isinstance(v, str) and v]
                alts = [a for a in str(row.alt_names or "").split("|") if a.strip()]
                shown: dict[str, str] = {}
                for text in (*primary, *alts):
                    for k in sorted(variants(text)):
                        shown.setdefault(k, text)
                region = Region(layer_id, str(row.code), str(row.name), str(row.country or ""))
                named = NamedRegion(region, key(row.code),
                                    tuple(k for k in shown if shown[k] in primary),
                                    tuple(k for k in shown if shown[k] not in primary), shown)
                self.regions.append(named)
                self._add(named.code_key, TIER_CODE, region)
                for k in named.names:
                    self._add(k, TIER_NAME, region)
                for k in named.alts:
                    self._add(k, TIER_ALT, region)

    def _add(self, k: str, tier: int, region: Region) -> None:
        if not k:
            return
        entries = self.lookup[k]
        if any(r == region for _, r in entries):
            return
        entries.append((tier, region))
        self.by_country[region.country].add(k)

    def __len__(self) -> int:
        return len(self.regions)
