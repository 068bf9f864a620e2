"""Find a region from what people type: its code, its name in Latin or national spelling, or a
near miss ("emilia romagna", "Émilie", "ITH5", "Bologna").

Officers know their region by name, often in their own language, rarely by NUTS code, and type
it without accents. Every name (`name`, `name_local`, `alt_names`) of every layer becomes matching
keys once, in the one index imports also use to resolve region names (`atlas.geo.names`:
accents, case, punctuation, `/` parts, generic prefixes such as "Provincia di"). A query is tried
as a code, then as a name, a prefix, words or part of a name, and last as a fuzzy match (difflib)
so that a typo still finds the region. Unlike placement, which must resolve one value to one
region, this ranks candidates for a person to choose from.
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping
from dataclasses import dataclass

import pandas as pd

from atlas.geo.names import NamedRegion, RegionNames, key
from atlas.model.layers import LAYER_IDS, LAYERS

MIN_FUZZY = 3  # shorter queries only match codes and names exactly or by prefix
WORD_CUTOFF = 0.75
NAME_CUTOFF = 0.8

# Scores: higher is better. Ties go to the preferred layer, then LAYER_IDS order.
CODE, CODE_PREFIX, NAME, ALT_NAME, NAME_PREFIX, WORDS, PART, SIMILAR = (
    100, 80, 90, 85, 70, 60, 50, 40,
)


@dataclass(frozen=True)
class RegionMatch:
    layer: str
    code: str
    name: str
    country: str
    how: str  # "code", "name", "alternative name", "start of name", "words", "part", "similar"
    matched: str  # the name (or code) that matched
    score: float

    @property
    def ref(self) -> str:
        """`layer:code`, the form regions take in URLs (`?regions=nuts2:ITH5`)."""
        return f"{self.layer}:{self.code}"

    def label(self) -> str:
        """What a result list shows: 'Emilia-Romagna (ITH5 · NUTS 2 regions · IT)'."""
        also = f" — {self.matched}" if self.how in ("alternative name",) else ""
        return f"{self.name} ({self.code} · {LAYERS[self.layer].label} · {self.country}){also}"


class RegionSearch:
    """All regions of the given layers, ready to be searched by code or name (keys from the
    shared `atlas.geo.names.RegionNames`)."""

    def __init__(self, tables: Mapping[str, pd.DataFrame] | RegionNames):
        self.names = tables if isinstance(tables, RegionNames) else RegionNames(tables)
        self.entries: list[NamedRegion] = self.names.regions
        self._regions = [e.region for e in self.entries]
        self._words: dict[str, set[int]] = {}
        self._full: dict[str, set[int]] = {}
        for i, entry in enumerate(self.entries):
            for name in (*entry.names, *entry.alts):
                self._full.setdefault(name, set()).add(i)
                for word in name.split():
                    self._words.setdefault(word, set()).add(i)
        self._word_list = sorted(self._words)
        self._full_list = sorted(self._full)

    def __len__(self) -> int:
        return len(self.entries)

    def search(
        self, query: str, limit: int = 10, prefer_layer: str | None = None
    ) -> list[RegionMatch]:
        """Best matches first; [] for an empty query or when nothing is close enough."""
        q = key(query)
        if not q:
            return []
        best: dict[int, tuple[float, str, str]] = {}

        def offer(i: int, score: float, how: str, matched: str) -> None:
            if i not in best or score > best[i][0]:
                best[i] = (score, how, matched)

        for i, entry in enumerate(self.entries):
            if entry.code_key == q:
                offer(i, CODE, "code", entry.region.code)
            elif " " not in q and len(q) >= 2 and entry.code_key.startswith(q):
                # Shorter codes first: ITH5 before ITH55.
                offer(i, CODE_PREFIX - len(entry.code_key) / 100, "code", entry.region.code)
            for names, exact, how in ((entry.names, NAME, "name"),
                                      (entry.alts, ALT_NAME, "alternative name")):
                for name in names:
                    shown = self._shown(entry, name)
                    if name == q:
                        offer(i, exact, how, shown)
                    elif name.startswith(q):
                        offer(i, NAME_PREFIX - len(name) / 1000, "start of name", shown)
                    elif len(q) >= MIN_FUZZY and all(
                        any(w.startswith(p) for w in name.split()) for p in q.split()
                    ):
                        offer(i, WORDS - len(name) / 1000, "words", shown)
                    elif len(q) >= MIN_FUZZY and q in name:
                        offer(i, PART - len(name) / 1000, "part", shown)
        if len(q) >= MIN_FUZZY:
            self._similar(q, offer)
        order = {lid: n for n, lid in enumerate(LAYER_IDS)}
        if prefer_layer in order:
            order[str(prefer_layer)] = -1
        regions = self._regions
        ranked = sorted(
            best.items(),
            key=lambda kv: (-kv[1][0], order[regions[kv[0]].layer], regions[kv[0]].name),
        )
        return [
            RegionMatch(r.layer, r.code, r.name, r.country, how, matched, round(score, 3))
            for i, (score, how, matched) in ranked[:limit]
            for r in (self.entries[i].region,)
        ]

    def _similar(self, q: str, offer) -> None:
        """Fuzzy matches: the whole query against whole names, and word by word."""
        for name in difflib.get_close_matches(q, self._full_list, n=20, cutoff=NAME_CUTOFF):
            ratio = difflib.SequenceMatcher(None, q, name).ratio()
            for i in self._full[name]:
                offer(i, SIMILAR + 5 * ratio, "similar", self._shown(self.entries[i], name))
        words = q.split()
        per_word: list[dict[int, tuple[float, str]]] = []
        for word in words:
            hits: dict[int, tuple[float, str]] = {}
            close = difflib.get_close_matches(word, self._word_list, n=30, cutoff=WORD_CUTOFF)
            for candidate in close:
                ratio = difflib.SequenceMatcher(None, word, candidate).ratio()
                for i in self._words[candidate]:
                    if i not in hits or ratio > hits[i][0]:
                        hits[i] = (ratio, candidate)
            per_word.append(hits)
        if not per_word:
            return
        common = set(per_word[0]).intersection(*per_word[1:])
        for i in common:
            entry = self.entries[i]
            mean = sum(hits[i][0] for hits in per_word) / len(words)
            name = next(
                (n for n in (*entry.names, *entry.alts) if per_word[0][i][1] in n.split()),
                entry.names[0] if entry.names else entry.code_key,
            )
            coverage = min(1.0, len(words) / max(1, len(name.split())))
            offer(i, SIMILAR * mean + 5 * coverage - 5, "similar", self._shown(entry, name))

    @staticmethod
    def _shown(entry: NamedRegion, name_key: str) -> str:
        return entry.shown.get(name_key, entry.region.name)

