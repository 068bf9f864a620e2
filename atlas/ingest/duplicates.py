"""Duplicate rows of one import: the same source id, or the same name within ~100 m.

A large file is checked block by block (atlas.ingest.stream), so what is kept about earlier
rows is compact: per row its line, 64-bit hashes of its given id and of its folded name, and
its point (about 40 bytes a row), plus a union-find over row numbers (0, 1, ... in file order,
across blocks) that only holds rows with a link. Each block is linked to itself and to every
earlier block, so the groups are those of the whole file, however it was cut.

A group's reason is "same source id" when any of its links is an id, else the reason of its
first row's first name link. Hashes can collide: with 3 million distinct values, about once in
four million imports; a collision could only link rows that also share a name and a place, or
that claim the same id.
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import pairwise

import numpy as np
import pandas as pd

from atlas.model import themes as th

DUPLICATE_METRES = 100.0
EARTH_METRES = 6_371_000
SAME_ID = "same source id"
NEAR = "same name within 100 m"
SAME_REGION = "same name in the same region (no coordinates)"
# Fields a merged row takes from its duplicates when it has none of its own.
MERGE_TEXT = ("description", "locality", "legal_form", "org_structure", "website", "country")
_TABLE_BITS = 24  # bit table in front of each hash index: 16 MB, few false hits at millions


def text_hashes(values: pd.Series) -> np.ndarray:
    """64-bit hashes of text values (missing values hash as "")."""
    return pd.util.hash_array(values.fillna("").to_numpy(dtype=object), categorize=False)


def close_pairs(lat: np.ndarray, lon: np.ndarray, metres: float) -> list[tuple[int, int]]:
    """Index pairs (i < j) of points within `metres` of each other (haversine), in (i, j)
    order. Only pairs in a latitude band are measured: a name repeated thousands of times
    costs about as many distances as it has neighbours, not the square of its count."""
    n = len(lat)
    if n < 2:
        return []
    order = np.argsort(lat, kind="stable")
    band = np.degrees(metres / EARTH_METRES) * (1 + 1e-9)  # the distance is at least R·|Δlat|
    sorted_lat = lat[order]
    ends = np.searchsorted(sorted_lat, sorted_lat + band, side="right")
    counts = ends - np.arange(n) - 1
    first = np.repeat(np.arange(n), counts)
    step = np.arange(counts.sum()) - np.repeat(np.cumsum(counts) - counts, counts)
    a, b = order[first], order[first + 1 + step]
    rad_lat, rad_lon = np.radians(lat), np.radians(lon)
    h = (np.sin((rad_lat[b] - rad_lat[a]) / 2) ** 2
         + np.cos(rad_lat[a]) * np.cos(rad_lat[b]) * np.sin((rad_lon[b] - rad_lon[a]) / 2) ** 2)
    near = 2 * EARTH_METRES * np.arcsin(np.sqrt(np.clip(h, 0, 1))) <= metres
    i, j = np.minimum(a[near], b[near]), np.maximum(a[near], b[near])
    keep = np.lexsort((j, i))
    return list(zip(i[keep].tolist(), j[keep].tolist(), strict=True))


class HashIndex:
    """Hashes of earlier blocks with a value each (a row number, a point...), searchable.

    Per block, sorted arrays; a bit table in front rules most new hashes out without a
    search, so looking a block up costs about the same however many blocks came before."""

    def __init__(self, bits: int = _TABLE_BITS):
        self._table = np.zeros(1 << bits, dtype=bool)
        self._mask = np.uint64((1 << bits) - 1)
        self._blocks: list[tuple[np.ndarray, dict[str, np.ndarray]]] = []

    def add(self, hashes: np.ndarray, **values: np.ndarray) -> None:
        if not len(hashes):
            return
        order = np.argsort(hashes, kind="stable")
        self._blocks.append((hashes[order], {k: v[order] for k, v in values.items()}))
        self._table[(hashes & self._mask).astype(np.int64)] = True

    def _maybe(self, hashes: np.ndarray) -> np.ndarray:
        return np.flatnonzero(self._table[(hashes & self._mask).astype(np.int64)])

    def first(self, hashes: np.ndarray, name: str) -> np.ndarray:
        """`name` value of the earliest entry with each hash; -1 where there is none."""
        out = np.full(len(hashes), -1, dtype=np.int64)
        todo = self._maybe(hashes)
        for keys, values in self._blocks:
            if not len(todo):
                break
            pos = np.minimum(np.searchsorted(keys, hashes[todo]), len(keys) - 1)
            hit = keys[pos] == hashes[todo]
            out[todo[hit]] = values[name][pos[hit]]
            todo = todo[~hit]
        return out

    def every(self, hashes: np.ndarray) -> tuple[np.ndarray, dict[str, np.ndarray]]:
        """Every earlier entry whose hash is one of `hashes`: which hash (its index), values."""
        todo = self._maybe(hashes)
        found: list[np.ndarray] = []
        parts: list[dict[str, np.ndarray]] = []
        for keys, values in self._blocks:
            lo = np.searchsorted(keys, hashes[todo], side="left")
            hi = np.searchsorted(keys, hashes[todo], side="right")
            counts = hi - lo
            if not counts.any():
                continue
            pos = np.repeat(lo, counts) + (np.arange(counts.sum())
                                           - np.repeat(np.cumsum(counts) - counts, counts))
            found.append(np.repeat(todo, counts))
            parts.append({k: v[pos] for k, v in values.items()})
        if not found:
            return np.array([], dtype=np.int64), {}
        return np.concatenate(found), {k: np.concatenate([p[k] for p in parts])
                                       for k in parts[0]}


@dataclass
class Group:
    """Rows found to be one initiative: row numbers in file order (the first is kept)."""

    rows: np.ndarray
    lines: list[int]
    reason: str

    def report(self) -> dict:
        return {"lines": self.lines, "reason": self.reason}


class Links:
    """Duplicate links between all rows of an import, added block by block."""

    def __init__(self):
        self.rows = 0
        self._lines: list[np.ndarray] = []
        self._ids = HashIndex()
        self._names = HashIndex()
        self._parent: dict[int, int] = {}
        self._by_id: set[int] = set()
        self._name_why: dict[int, str] = {}

    def add_block(self, lines: np.ndarray, id_hash: np.ndarray, has_id: np.ndarray,
                  name_hash: np.ndarray, lat: np.ndarray, lon: np.ndarray,
                  point: np.ndarray) -> np.ndarray:
        """Link a block's rows to each other and to earlier rows; returns their row numbers."""
        rows = np.arange(self.rows, self.rows + len(lines), dtype=np.int64)
        self._lines.append(np.asarray(lines, dtype=np.int64))
        self._link_ids(rows[has_id], id_hash[has_id])
        located = ~np.isnan(lat)
        self._link_names(rows[located], name_hash[located], lat[located], lon[located],
                         point[located])
        self.rows += len(lines)
        return rows

    def _find(self, i: int) -> int:
        root = i
        while (up := self._parent.get(root, root)) != root:
            root = up
        while i != root:
            self._parent[i], i = root, self._parent[i]
        return root

    def _union(self, i: int, j: int, reason: str) -> None:
        ri, rj = self._find(i), self._find(j)
        if ri == rj:
            return
        low, high = min(ri, rj), max(ri, rj)
        self._parent[high] = low
        self._parent.setdefault(low, low)
        if reason == SAME_ID or high in self._by_id:
            self._by_id.add(low)
        name = self._name_why.get(low) or self._name_why.get(high) or (
            reason if reason != SAME_ID else None)
        if name:
            self._name_why[low] = name

    def _link_ids(self, rows: np.ndarray, hashes: np.ndarray) -> None:
        """Each row with an id joins the earliest row (this block or before) with that id."""
        if not len(rows):
            return
        codes, uniques = pd.factorize(hashes)
        first_here = rows[np.unique(codes, return_index=True)[1]]
        earlier = self._ids.first(uniques, "row")
        target = np.where(earlier >= 0, earlier, first_here)[codes]
        link = target != rows
        for a, b in zip(target[link].tolist(), rows[link].tolist(), strict=True):
            self._union(a, b, SAME_ID)
        new = earlier < 0
        self._ids.add(uniques[new], row=first_here[new])

    def _link_names(self, rows, hashes, lat, lon, point) -> None:
        """Rows with the same folded name within DUPLICATE_METRES, this block or before."""
        if not len(rows):
            return
        codes, uniques = pd.factorize(hashes)
        here = np.bincount(codes)
        which, old = self._names.every(uniques)
        self._names.add(hashes, row=rows, lat=lat, lon=lon, point=point)
        total = here + np.bincount(which, minlength=len(uniques))
        repeated = total[codes] > 1
        if not repeated.any():
            return
        group = np.concatenate([codes[repeated], which])
        member_rows = np.concatenate([rows[repeated], old.get("row", rows[:0])])
        member_lat = np.concatenate([lat[repeated], old.get("lat", lat[:0])])
        member_lon = np.concatenate([lon[repeated], old.get("lon", lon[:0])])
        member_point = np.concatenate([point[repeated], old.get("point", point[:0])])
        order = np.lexsort((member_rows, group))
        group = group[order]
        bounds = np.flatnonzero(np.r_[True, group[1:] != group[:-1], True])
        first_new = rows[0]
        for start, end in pairwise(bounds):
            pos = order[start:end]
            for a, b in close_pairs(member_lat[pos], member_lon[pos], DUPLICATE_METRES):
                i, j = int(member_rows[pos[a]]), int(member_rows[pos[b]])
                if j < first_new:
                    continue  # both earlier: linked with their block
                exact = member_point[pos[a]] and member_point[pos[b]]
                self._union(i, j, NEAR if exact else SAME_REGION)

    def line_of(self, rows: np.ndarray) -> np.ndarray:
        return np.concatenate(self._lines)[rows] if self._lines else rows

    def groups(self) -> list[Group]:
        """Every group of two rows or more, by first line."""
        if not self._parent:
            return []
        members = np.fromiter(self._parent.keys(), dtype=np.int64, count=len(self._parent))
        roots = np.array([self._find(int(m)) for m in members], dtype=np.int64)
        order = np.lexsort((members, roots))
        members, roots = members[order], roots[order]
        lines = self.line_of(members)
        bounds = np.flatnonzero(np.r_[True, roots[1:] != roots[:-1], True])
        out = []
        for start, end in pairwise(bounds):
            root = int(roots[start])
            reason = SAME_ID if root in self._by_id else self._name_why.get(root, "duplicate")
            out.append(Group(members[start:end], lines[start:end].tolist(), reason))
        return out


def merge(rows: pd.DataFrame, groups: list[Group]) -> tuple[pd.DataFrame, list[dict]]:
    """Each group merged into its first row (indexed by row number), the others dropped;
    returns the rows and one rejection per dropped row saying where it went."""
    merged, drop = [], []
    for group in groups:
        first, others = int(group.rows[0]), [int(r) for r in group.rows[1:]]
        merge_into(rows, first, others)
        drop += others
        merged += [{"line": line, "reason": f"merged into line {group.lines[0]} ({group.reason})"}
                   for line in group.lines[1:]]
    return rows.drop(index=drop), merged


def merge_into(rows: pd.DataFrame, target: int, others: list[int]) -> None:
    """Fill the first row's empty fields from its duplicates (in line order); themes are
    united; a point beats an approximate placement."""
    themes = set(rows.at[target, "themes"])
    location = [c for c in rows.columns if c.startswith("code_")] + [
        "lat", "lon", "placement", "placed_in", "region_match", "location_issue"]
    for src in others:
        for column in MERGE_TEXT:
            if pd.isna(rows.at[target, column]) and not pd.isna(rows.at[src, column]):
                rows.at[target, column] = rows.at[src, column]
        themes.update(rows.at[src, "themes"])
        if rows.at[target, "placement"] != "point" and rows.at[src, "placement"] == "point":
            for column in location:
                rows.at[target, column] = rows.at[src, column]
    rows.at[target, "themes"] = [t for t in th.theme_ids() if t in themes]
