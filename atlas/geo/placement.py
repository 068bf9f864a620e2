"""Placing imported rows: numbers and coordinates checked, region names and codes resolved.

A row with a usable point goes through `atlas.geo.join.place` like the shipped sources. A row
without one but with a recognisable region (a NUTS or ISO 3166-2 code, or a name in any
language the layers carry) counts in that region and its parents, and is drawn at the region's
label point, marked approximate. Nothing is guessed silently: suspicious points are flagged and
unsure region names come back as suggestions for the user to confirm.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass
from functools import cached_property, lru_cache

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from atlas.geo.names import TIER_CODE, TIER_NAME, Region, RegionNames, key
from atlas.geo.regions import MAX_NEAREST_DEG
from atlas.model.layers import LAYERS, MATCH_ORDER

# A point this far (degrees, about 55 km) outside its declared country is flagged.
FAR_OUTSIDE_DEG = 0.5
# Share of a region's area that must lie inside a region of another layer to borrow its code.
CONTAINED_SHARE = 0.9
# Unique region values looked up fuzzily per import (each costs a scan of the name index).
MAX_FUZZY_VALUES = 500
FUZZY_CUTOFF = 0.75
NUTS_CODE = re.compile(r"^[A-Z]{2}[0-9A-Z]{0,3}$")
ISO_3166_2 = re.compile(r"^[A-Z]{2}-[0-9A-Z]{1,3}$")
_PUNCT = re.compile(r"[\W_]+", re.UNICODE)


# ---------------------------------------------------------------- numbers and coordinates

_NUMBER = re.compile(r"^[+-]?\d+(\.\d+)?$")
_HEMISPHERE = {"N": 1, "E": 1, "S": -1, "W": -1, "O": -1}  # O: ouest/oeste


@lru_cache(maxsize=200_000)
def parse_number(raw: str) -> float | None:
    """A float from '45.1', '45,1' (decimal comma), '1.234,5', '45.1° N', '−3.2'; else None."""
    text = raw.strip().replace("\u2212", "-").replace("\u00a0", "").replace(" ", "")
    if not text:
        return None
    sign = 1
    if text[-1].upper() in _HEMISPHERE and len(text) > 1:
        sign = _HEMISPHERE[text[-1].upper()]
        text = text[:-1]
    text = text.rstrip("°")
    if "," in text and "." in text:
        if text.rfind(",") > text.rfind("."):
            text = text.replace(".", "").replace(",", ".")
        else:
            text = text.replace(",", "")
    elif text.count(",") == 1:
        text = text.replace(",", ".")
    if not _NUMBER.match(text):
        return None
    value = float(text) * sign
    return value if np.isfinite(value) else None


# Plain decimals, which `parse_number` reads as `float` does: Arrow parses them all at once.
_PLAIN = r"[+-]?[0-9]+(?:\.[0-9]+)?"


def parse_numbers(values: pd.Series) -> pd.Series:
    """`parse_number` over a text column (None stays NaN). Plain decimals are parsed by
    Arrow, the rest (decimal commas, hemispheres...) once per distinct value."""
    if not isinstance(values.dtype, pd.StringDtype):
        return values.map(lambda v: parse_number(v) if isinstance(v, str) else None).astype(
            "float64")
    out = np.full(len(values), np.nan)
    text = values.fillna("")
    plain = text.str.fullmatch(_PLAIN).to_numpy(dtype=bool)
    if plain.any():
        out[plain] = text[plain].astype("float64").to_numpy()
    rest = ~plain & (text != "").to_numpy(dtype=bool)
    if rest.any():
        uniques, codes = np.unique(text[rest].to_numpy(dtype=object), return_inverse=True)
        parsed = np.array([parse_number(u) for u in uniques], dtype="float64")
        out[rest] = parsed[codes]
    out[~np.isfinite(out)] = np.nan
    return pd.Series(out, index=values.index)


_PAIR = re.compile(r"[+-]?\d+(?:[.,]\d+)?")


def parse_pair(raw: object) -> tuple[float | None, float | None]:
    """(lat, lon) from one cell: '44.49, 11.34', '44,49 11,34', 'POINT(11.34 44.49)'."""
    if not isinstance(raw, str) or not raw.strip():
        return None, None
    numbers = [parse_number(n) for n in _PAIR.findall(raw)]
    if len(numbers) != 2 or None in numbers:
        return None, None
    a, b = numbers
    if raw.strip().upper().startswith("POINT"):  # WKT is x y: longitude first
        return b, a
    return a, b


def swapped(lat: pd.Series, lon: pd.Series) -> pd.Series:
    """Pairs that only make sense the other way round (|lat| > 90 but |lon| ≤ 90)."""
    return (lat.abs() > 90) & (lat.abs() <= 180) & (lon.abs() <= 90)


def distance_to_country(
    lat: pd.Series, lon: pd.Series, declared: pd.Series, countries: gpd.GeoDataFrame
) -> pd.Series:
    """Degrees from each point to its declared country (0 inside; NaN: nothing to check)."""
    out = pd.Series(np.nan, index=lat.index)
    check = (declared.notna() & lat.notna() & lon.notna() & lat.between(-90, 90)
             & lon.between(-180, 180))
    if not check.any():
        return out
    shapes = countries.set_index("code").geometry
    for country, group in declared[check].groupby(declared[check]):
        if country not in shapes.index:
            continue
        geom = shapes[country]
        shapely.prepare(geom)
        x, y = lon[group.index].to_numpy(), lat[group.index].to_numpy()
        inside = shapely.contains_xy(geom, x, y)
        dist = np.zeros(len(x))
        if (~inside).any():
            dist[~inside] = shapely.distance(shapely.points(x[~inside], y[~inside]), geom)
        out[group.index] = dist
    return out


LONE_DEG = 5.0  # ~550 km: farther than this from every other point of the file is lone


def lone_points(lat: pd.Series, lon: pd.Series, undeclared: pd.Series,
                countries: gpd.GeoDataFrame) -> pd.Series:
    """Degrees to the nearest other point, for points of rows that declare no country, lie
    in no country (not within MAX_NEAREST_DEG of one) and are farther than LONE_DEG from
    every other point; NaN for the others. A swapped pair lands in the Gulf of Aden this
    way: nothing else can tell it is wrong."""
    out = pd.Series(np.nan, index=lat.index)
    has = (lat.notna() & lon.notna()).to_numpy()
    check = has & undeclared.to_numpy(dtype=bool)
    if not check.any() or has.sum() < 2:
        return out
    points = shapely.points(lon.to_numpy()[has], lat.to_numpy()[has])
    candidates = np.flatnonzero(check[has])
    land = shapely.STRtree(countries.geometry.to_numpy())
    near_land = land.query(points[candidates], predicate="dwithin", distance=MAX_NEAREST_DEG)
    at_sea = np.setdiff1d(np.arange(len(candidates)), near_land[0])
    if not len(at_sea):
        return out
    tree = shapely.STRtree(points)
    _pairs, distance = tree.query_nearest(points[candidates[at_sea]], exclusive=True,
                                          return_distance=True, all_matches=False)
    far = distance > LONE_DEG
    rows = lat.index[np.flatnonzero(has)[candidates[at_sea][far]]]
    out[rows] = distance[far]
    return out


# ---------------------------------------------------------------- region names and codes


@dataclass(frozen=True)
class Resolution:
    """What a region value resolved to: a region, or suggestions for the user to confirm."""

    value: str
    region: Region | None
    how: str  # code | name | alternative name | group | confirmed | ambiguous | fuzzy | unknown
    suggestions: tuple[Region, ...] = ()


class RegionIndex:
    """Every code and name variant of every region in the given layers, for exact lookups."""

    def __init__(self, layers: dict[str, gpd.GeoDataFrame]):
        self.layers = layers
        self._spatial: dict | None = None
        self.tables = {lid: pd.DataFrame(g.drop(columns="geometry")).set_index("code", drop=False)
                       for lid, g in layers.items()}
        self._areas: dict[tuple[str, str], float] = {}

    @cached_property
    def names(self) -> RegionNames:
        """The one name index (atlas.geo.names), built at first use: a file whose rows all
        have coordinates never needs it (about 1.4 s saved per such import)."""
        return RegionNames(self.tables)

    @property
    def entries(self) -> dict:
        return self.names.lookup

    @property
    def by_country(self) -> dict:
        return self.names.by_country

    def spatial(self) -> dict:
        """The layers' spatial indexes for point in polygon (`regions.piece_indexes`), built
        at the first call and shared by every import that shares this index."""
        if self._spatial is None:
            from atlas.geo.regions import piece_indexes

            self._spatial = piece_indexes(self.layers)
        return self._spatial

    def region(self, ref: str) -> Region | None:
        """The region of a `layer:code` reference, or None."""
        layer, _, code = ref.partition(":")
        table = self.tables.get(layer)
        if table is None or code not in table.index:
            return None
        row = table.loc[code]
        return Region(layer, code, row["name"], row["country"])

    def geometry(self, region: Region):
        gdf = self.layers[region.layer]
        return gdf.geometry.iloc[int(np.flatnonzero(gdf["code"].to_numpy() == region.code)[0])]

    def resolve(self, value: str, country: str | None = None, fuzzy: bool = True) -> Resolution:
        """Exact match (code, name or alternative name), else ambiguity or fuzzy suggestions.

        `country` (ISO alpha-2) narrows the search when the row or the dataset declares one.
        """
        raw = value.strip()
        upper = raw.upper()
        if NUTS_CODE.match(upper) or ISO_3166_2.match(upper):
            hits = [r for t, r in self.entries.get(key(upper), []) if t == TIER_CODE]
            if country:
                hits = [r for r in hits if r.country == country] or hits
            if hits:
                return Resolution(raw, min(hits, key=lambda r: MATCH_ORDER.index(r.layer)), "code")
        candidates = self.entries.get(key(raw), [])
        if country:
            candidates = [(t, r) for t, r in candidates if r.country == country]
        if not candidates:
            close = tuple(self._fuzzy(raw, country)) if fuzzy else ()
            return Resolution(raw, None, "fuzzy" if close else "unknown", close)
        best = min(t for t, _ in candidates)
        tied = [r for t, r in candidates if t == best]
        how = "name" if best <= TIER_NAME else "alternative name"
        for layer in MATCH_ORDER:
            in_layer = [r for r in tied if r.layer == layer]
            if len(in_layer) == 1:
                return Resolution(raw, in_layer[0], how)
            if len(in_layer) > 1:
                group = self._group(in_layer)
                if group is not None:
                    return Resolution(raw, group, "group")
                return Resolution(raw, None, "ambiguous", tuple(in_layer[:8]))
        return Resolution(raw, None, "unknown")

    def _fuzzy(self, raw: str, country: str | None) -> list[Region]:
        k = key(raw)
        if not k:
            return []
        pool = self.by_country.get(country, set()) if country else self.entries.keys()
        close = difflib.get_close_matches(k, list(pool), n=5, cutoff=FUZZY_CUTOFF)
        out: list[Region] = []
        for c in close:
            for _, region in sorted(self.entries[c], key=lambda tr: tr[0]):
                if region not in out and (not country or region.country == country):
                    out.append(region)
        return out[:5]

    def area(self, region: Region) -> float:
        ref = (region.layer, region.code)
        if ref not in self._areas:
            self._areas[ref] = float(shapely.area(self.geometry(region)))
        return self._areas[ref]

    def _containing(self, geom, layer: str) -> Region | None:
        """The region of `layer` holding at least CONTAINED_SHARE of `geom`'s area."""
        gdf = self.layers[layer]
        total = shapely.area(geom)
        if total <= 0:
            return None
        point = shapely.point_on_surface(geom)
        for i in gdf.sindex.query(point, predicate="intersects"):
            other = gdf.geometry.iloc[int(i)]
            try:
                share = shapely.area(shapely.intersection(geom, other)) / total
            except shapely.errors.GEOSException:
                continue
            if share >= CONTAINED_SHARE:
                row = gdf.iloc[int(i)]
                return Region(layer, row["code"], row["name"], row["country"])
        return None

    def _group(self, regions: list[Region]) -> Region | None:
        """The one region (another layer) that several same-named regions together make up.

        Natural Earth gives every Sicilian province the alternative name "Sicily": together
        they are NUTS 2 ITG1 Sicilia. "Trentino-Alto Adige" (ITH1 + ITH2) is only part of NUTS 1
        ITH, so it stays ambiguous.
        """
        union = shapely.union_all([self.geometry(r) for r in regions])
        total = sum(self.area(r) for r in regions)
        for layer in ("nuts3", "nuts2", "nuts1", "uk_regions", "admin1", "countries"):
            if layer not in self.layers or layer == regions[0].layer:
                continue
            container = self._containing(union, layer)
            if container is not None and total >= CONTAINED_SHARE * self.area(container):
                return container
        return None

    def codes_for(self, region: Region) -> dict[str, str | None]:
        """The `code_<layer>` values of a row known only to lie in `region`.

        The region and its parents; in other hierarchies, the region that contains it (a
        province named in admin-1 gets its NUTS 3); finer levels stay empty.
        """
        codes: dict[str, str | None] = {LAYERS[lid].column: None for lid in self.layers}
        layer, code = region.layer, region.code
        chain = []
        while layer is not None and layer in self.tables and code:
            codes[LAYERS[layer].column] = code
            chain.append(layer)
            parent = LAYERS[layer].parent
            code = self.tables[layer].loc[code, "parent"] if code in self.tables[layer].index \
                else None
            layer = parent
        if "countries" in codes and not codes.get("code_countries"):
            codes["code_countries"] = region.country or None
        geom = self.geometry(region)
        for lid in ("nuts3", "nuts2", "nuts1", "uk_regions", "admin1"):
            column = LAYERS[lid].column
            if lid not in self.layers or codes.get(column) or lid in chain:
                continue
            if _depth(lid) < _depth(region.layer) and lid not in ("uk_regions", "admin1"):
                continue  # a parent NUTS level was already set by the chain
            inside = self._containing(geom, lid)
            if inside is not None and inside.country == region.country:
                codes[column] = inside.code
                sub = self.tables[lid]
                parent, pcode = LAYERS[lid].parent, sub.loc[inside.code, "parent"]
                while parent and parent in self.tables and pcode and not codes.get(
                        LAYERS[parent].column):
                    codes[LAYERS[parent].column] = pcode
                    pcode = self.tables[parent].loc[pcode, "parent"] \
                        if pcode in self.tables[parent].index else None
                    parent = LAYERS[parent].parent
        return codes

    def label_point(self, region: Region) -> tuple[float, float]:
        """(lat, lon) of the region's label point (where approximate rows are drawn)."""
        row = self.tables[region.layer].loc[region.code]
        return float(row["label_lat"]), float(row["label_lon"])


def _depth(layer_id: str) -> int:
    parent = LAYERS[layer_id].parent
    return 0 if parent is None else 1 + _depth(parent)
