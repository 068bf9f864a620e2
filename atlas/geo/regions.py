"""Regional layers at run time: load a built layer, the background outlines, and the
point-in-polygon lookup that gives every point its region in each layer.

Every layer is a small GeoParquet in geo/ with the same columns (`LAYER_COLUMNS`), built by
`atlas.build.layers`. Text columns are never null: "" means "not known". Population is NaN
(never 0) when unknown.
"""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from atlas.model.layers import LAYER_IDS, LAYERS, geo_file
from atlas.paths import GEO_DIR

CRS = "EPSG:4326"
LAYER_COLUMNS = (
    "code", "name", "name_local", "alt_names", "country", "parent", "population",
    "population_year", "population_source", "label_lon", "label_lat", "geometry",
)  # fmt: skip
# Nearest-region fallback radius, in degrees (about 11 km north-south, 7 km east-west at 50°N).
# Degrees rather than a projected CRS because admin1 and countries are world-wide; the radius
# only has to catch points cut off by a generalised coastline, not measure anything.
MAX_NEAREST_DEG = 0.1

POLYGONAL = (3, 6)  # shapely type ids of Polygon and MultiPolygon
# The map's background outlines: the countries layer simplified again (about 10 km), a third of
# its size. They are context under the choropleth, never a region to click or count.
OUTLINE_SIMPLIFY = (0.1, 0.02)



def polygonal(geoms: np.ndarray) -> np.ndarray:
    """Valid geometries keeping only their polygon parts (make_valid can return collections)."""
    geoms = shapely.make_valid(np.asarray(geoms, dtype=object))
    out = geoms.copy()
    for i in np.flatnonzero(~np.isin(shapely.get_type_id(geoms), POLYGONAL)):
        parts = shapely.get_parts(shapely.get_parts(geoms[i]))
        keep = parts[np.isin(shapely.get_type_id(parts), POLYGONAL)]
        out[i] = shapely.union_all(keep) if len(keep) else shapely.Polygon()
    return out


def simplify_coverage(geoms: np.ndarray, tolerance: float, grid: float) -> np.ndarray:
    """Simplify a polygon coverage keeping shared edges shared, round it, repair it.

    A feature that the grid would erase (a tiny island) is rounded on a 10x finer grid instead,
    and kept as is if that still erases it, so no region disappears from the map.
    """
    valid = polygonal(geoms)
    simple = shapely.coverage_simplify(valid, tolerance) if tolerance > 0 else valid
    out = polygonal(shapely.set_precision(simple, grid, mode="pointwise"))
    lost = shapely.is_empty(out) | (shapely.area(out) == 0)
    if lost.any():
        finer = polygonal(shapely.set_precision(simple[lost], grid / 10, mode="pointwise"))
        out[lost] = np.where(shapely.is_empty(finer), valid[lost], finer)
    return out


def background_outlines(countries: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """The countries layer as the map draws it behind everything (`OUTLINE_SIMPLIFY`)."""
    out = countries[["code", "name", "geometry"]].copy()
    out["geometry"] = simplify_coverage(out.geometry.values, *OUTLINE_SIMPLIFY)
    return out


def load_layer(layer_id: str, geo_dir: Path | None = None) -> gpd.GeoDataFrame:
    """A built layer from its GeoParquet (geo/ by default)."""
    if layer_id not in LAYERS:
        raise ValueError(f"unknown layer {layer_id!r}; expected one of {', '.join(LAYER_IDS)}")
    return gpd.read_parquet((geo_dir or GEO_DIR) / geo_file(layer_id))


# ---------------------------------------------------------------- point-in-polygon assignment

# The finest European levels; `region_match` describes how a point was placed in one.
FINEST_LAYERS = tuple(lid for lid, lay in LAYERS.items() if lay.finest)
INSIDE, NEAREST, NONE = 2, 1, 0


def layer_depth(layer_id: str) -> int:
    """How many parents a layer has (countries 0, nuts3 3)."""
    parent = LAYERS[layer_id].parent
    return 0 if parent is None else 1 + layer_depth(parent)


INDEX_CELL_DEG = 5.0


class PieceIndex:
    """Spatial index over a layer's polygons cut into INDEX_CELL_DEG grid pieces.

    A point at sea inside the bounding box of Russia or Norway would otherwise be tested against
    the whole country outline; small pieces make lookups about ten times faster.
    """

    def __init__(self, gdf: gpd.GeoDataFrame, cell: float = INDEX_CELL_DEG):
        parts, owner = shapely.get_parts(gdf.geometry.values, return_index=True)
        xmin, ymin, xmax, ymax = shapely.bounds(parts).T
        big = np.flatnonzero((xmax - xmin > cell) | (ymax - ymin > cell))
        pieces, owners = [np.delete(parts, big)], [np.delete(owner, big)]
        for i in big:
            xs = np.arange(np.floor(xmin[i] / cell) * cell, xmax[i], cell)
            ys = np.arange(np.floor(ymin[i] / cell) * cell, ymax[i], cell)
            gx, gy = (a.ravel() for a in np.meshgrid(xs, ys))
            cut = shapely.intersection(parts[i], shapely.box(gx, gy, gx + cell, gy + cell))
            cut = cut[~shapely.is_empty(cut)]
            pieces.append(cut)
            owners.append(np.full(len(cut), owner[i]))
        self.pieces = np.concatenate(pieces)
        self.owner = np.concatenate(owners)
        self.tree = shapely.STRtree(self.pieces)
        self.parent = gdf["parent"].to_numpy(dtype=object)

    def inside(self, points: np.ndarray) -> np.ndarray:
        """Row of the polygon containing each point (first one on a shared border), or -1."""
        found = np.full(len(points), -1, dtype=np.int64)
        if len(points):
            pi, gi = self.tree.query(points, predicate="intersects")
            first = np.unique(pi, return_index=True)[1]
            found[pi[first]] = self.owner[gi[first]]
        return found

    def nearest(self, points: np.ndarray, allowed: np.ndarray | None) -> np.ndarray:
        """Row of the closest polygon within MAX_NEAREST_DEG, or -1.

        `allowed[i]` (optional) is the parent code the match for point i must have: a coastal
        point already placed in Italy only looks for the nearest *Italian* region.
        """
        found = np.full(len(points), -1, dtype=np.int64)
        if not len(points):
            return found
        pi, gi = self.tree.query(points, predicate="dwithin", distance=MAX_NEAREST_DEG)
        if allowed is not None:
            keep = self.parent[self.owner[gi]] == allowed[pi]
            pi, gi = pi[keep], gi[keep]
        if len(pi):
            dist = shapely.distance(points[pi], self.pieces[gi])
            order = np.lexsort((dist, pi))
            first = order[np.unique(pi[order], return_index=True)[1]]
            found[pi[first]] = self.owner[gi[first]]
        return found


def piece_indexes(layers: dict[str, gpd.GeoDataFrame]) -> dict[str, PieceIndex]:
    """A PieceIndex per layer: build them once for many `assign_regions` calls (about half a
    second for all layers)."""
    return {lid: PieceIndex(gdf) for lid, gdf in layers.items()}


class Assignment:
    """Codes and match ranks (INSIDE, NEAREST, NONE) per layer for a set of unique points."""

    def __init__(self, points: np.ndarray, layers: dict[str, gpd.GeoDataFrame],
                 indexes: dict[str, PieceIndex] | None = None):
        self.points = points
        self.layers = layers
        self.codes = {lid: np.full(len(points), None, dtype=object) for lid in layers}
        self.rank = {lid: np.zeros(len(points), dtype=np.int8) for lid in layers}
        # Finest first, so that children are placed before their parents.
        self.order = sorted(layers, key=lambda lid: (-layer_depth(lid), LAYER_IDS.index(lid)))
        self.index = indexes or piece_indexes(layers)

    def record(self, lid: str, where: np.ndarray, idx: np.ndarray, rank: int) -> None:
        """Store polygon `idx` of layer `lid` for the points `where` (idx -1: no match)."""
        hit = idx >= 0
        self.codes[lid][where[hit]] = self.layers[lid]["code"].to_numpy(dtype=object)[idx[hit]]
        self.rank[lid][where[hit]] = rank

    def imply_parent(self, lid: str) -> None:
        """Give the parent layer the parent of this layer's code wherever that is at least as
        good a match as the parent's own (a tie goes to the finer layer, so levels nest)."""
        parent = LAYERS[lid].parent
        if parent not in self.layers or not LAYERS[lid].implies_parent:
            return
        layer = self.layers[lid]
        which = np.flatnonzero((self.rank[lid] > NONE) & (self.rank[lid] >= self.rank[parent]))
        if not len(which):
            return
        # Once per distinct code, not per point.
        codes, uniques = pd.factorize(self.codes[lid][which])
        lookup = pd.Series(layer["parent"].to_numpy(dtype=object), index=layer["code"])
        implied = lookup.reindex(uniques).to_numpy(dtype=object)
        known = pd.Series(implied).isin(self.layers[parent]["code"]).to_numpy()
        better = known[codes] & (codes >= 0)
        self.codes[parent][which[better]] = implied[codes[better]]
        self.rank[parent][which[better]] = self.rank[lid][which[better]]

    def locate_inside(self) -> None:
        """Bottom-up point in polygon, skipping points a child layer has already placed."""
        for lid in self.order:
            todo = self.rank[lid] < INSIDE
            if LAYERS[lid].skip_if_inside in self.layers:
                todo &= self.rank[LAYERS[lid].skip_if_inside] < INSIDE
            todo = np.flatnonzero(todo)
            self.record(lid, todo, self.index[lid].inside(self.points[todo]), INSIDE)
            self.imply_parent(lid)

    def locate_nearest(self) -> None:
        """Top-down: an unplaced point takes the nearest region within its parent region.

        A point whose parent layer has no code for it stays unplaced: Bosnia has no NUTS 3 and
        Ukraine no NUTS 1, and their border towns must not join a neighbouring country.
        """
        for lid in reversed(self.order):
            parent = LAYERS[lid].parent
            todo = self.rank[lid] == NONE
            allowed = None
            if parent in self.layers:
                todo &= self.rank[parent] > NONE
                allowed = self.codes[parent]
            todo = np.flatnonzero(todo)
            if allowed is not None:
                allowed = allowed[todo]
            self.record(lid, todo, self.index[lid].nearest(self.points[todo], allowed), NEAREST)


def assign_regions(
    lon: pd.Series, lat: pd.Series, layers: dict[str, gpd.GeoDataFrame],
    indexes: dict[str, PieceIndex] | None = None,
) -> pd.DataFrame:
    """Region codes of each point in every given layer, index-aligned with `lon`.

    Columns: `LAYERS[id].column` per layer (str code or None) and `region_match`: "inside",
    "nearest" or "none" for the finest European level (nuts3, or uk_regions for the UK). A point
    no polygon contains (a coastal postcode centroid cut off by a generalised coastline) takes
    the nearest region within MAX_NEAREST_DEG degrees, restricted to its parent region. Levels
    stay nested. NaN coordinates give None everywhere and region_match "none". Identical
    coordinates are looked up once. `indexes` (see `piece_indexes`) saves rebuilding the
    spatial indexes when called block after block.
    """
    unknown = set(layers) - set(LAYERS)
    if unknown:
        raise ValueError(f"unknown layers {sorted(unknown)}")
    x = pd.to_numeric(lon, errors="coerce").to_numpy(dtype="float64")
    y = pd.to_numeric(lat, errors="coerce").to_numpy(dtype="float64")
    ok = np.isfinite(x) & np.isfinite(y)
    # Points as complex numbers: hashed in one pass (np.unique(axis=0) sorted rows: slow).
    inverse, unique = pd.factorize(x[ok] + 1j * y[ok])
    work = Assignment(shapely.points(unique.real, unique.imag), dict(layers), indexes)
    work.locate_inside()
    work.locate_nearest()
    out = pd.DataFrame(index=lon.index)
    for lid in LAYER_IDS:
        if lid in layers:
            column = np.full(len(x), None, dtype=object)
            column[ok] = work.codes[lid][inverse]
            out[LAYERS[lid].column] = pd.Series(column, index=lon.index, dtype=object)
    match = np.full(len(x), "none", dtype=object)
    finest = [work.rank[lid] for lid in FINEST_LAYERS if lid in layers]
    if finest:
        best = np.max(finest, axis=0)[inverse]
        match[ok] = np.array(["none", "nearest", "inside"], dtype=object)[best]
    out["region_match"] = pd.Series(match, index=lon.index, dtype=object)
    return out
