"""Server-side clustering of initiatives for the map, so its payload stays bounded at any size.

One marker per initiative costs hundreds of bytes and a DOM node each: fine for thousands, not
for millions. Above a threshold the map gets, instead, counts per cell of a screen-aligned grid
(Web Mercator tiles subdivided so a cell is about CELL_PX pixels at the zoom it is shown at),
one grid per zoom level, placed at the mean position of the initiatives inside. The browser only
draws the cells of its current zoom inside its viewport.

Every located initiative is put once in a cell of the finest grid (`PointGrid`, built once per
table); a filter then costs one `bincount` over those cell numbers, and each coarser grid one
`np.add.reduceat` over the non-empty fine cells, which are kept in Z-order (Morton order) so
that the cells of a coarser grid are runs of consecutive fine cells. No sorting per filter.
"""

from __future__ import annotations

import weakref
from dataclasses import dataclass

import numpy as np
import pandas as pd

FINEST = 16  # finest grid: 2**16 cells around the world (about 600 m at the equator)
CELL_PX = 64  # a cell is 64 px wide at the zoom it is shown at (zoom z uses grid z + 2)
GRID_OFFSET = 2  # log2(256 px per tile / CELL_PX)
MIN_ZOOM = 2
MAX_CELLS = 60_000  # cells shipped over all zoom levels: about 1.3 MB of JSON
MAX_LAT = 85.05112878  # Web Mercator's limit


def mercator(lon: np.ndarray, lat: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Web Mercator position as fractions of the world, x eastwards and y southwards in [0, 1)."""
    lat = np.clip(lat, -MAX_LAT, MAX_LAT)
    x = (np.asarray(lon, dtype=float) + 180.0) / 360.0
    y = 0.5 - np.arcsinh(np.tan(np.radians(lat))) / (2 * np.pi)
    return np.clip(x, 0, np.nextafter(1, 0)), np.clip(y, 0, np.nextafter(1, 0))


def _spread(v: np.ndarray) -> np.ndarray:
    """Bits of 32-bit integers spread to the even bits of 64-bit ones (for Morton codes)."""
    v = v.astype(np.uint64) & np.uint64(0xFFFFFFFF)
    for shift, magic in ((16, 0x0000FFFF0000FFFF), (8, 0x00FF00FF00FF00FF),
                         (4, 0x0F0F0F0F0F0F0F0F), (2, 0x3333333333333333),
                         (1, 0x5555555555555555)):  # fmt: skip
        v = (v | (v << np.uint64(shift))) & np.uint64(magic)
    return v


def morton(ix: np.ndarray, iy: np.ndarray) -> np.ndarray:
    """Z-order code of grid cells: the cell one level up is `code >> 2`."""
    return _spread(ix) | (_spread(iy) << np.uint64(1))


@dataclass(frozen=True)
class Cells:
    """The non-empty cells of one zoom level: position and count of each."""

    zoom: int
    lat: np.ndarray
    lon: np.ndarray
    count: np.ndarray

    def flat(self, digits: int = 4) -> list[float]:
        """[lat, lon, n, lat, lon, n, ...]: the compact form the map script reads."""
        out = np.empty(3 * len(self.count))
        out[0::3] = self.lat.round(digits)
        out[1::3] = self.lon.round(digits)
        out[2::3] = self.count
        return [int(v) if i % 3 == 2 else float(v) for i, v in enumerate(out.tolist())]


class PointGrid:
    """Each initiative's cell in the finest grid, computed once per table.

    `cell[i]` indexes the non-empty fine cells (Morton order), -1 for rows without a point.
    Cell positions are the mean of all the table's points in the cell: at 600 m, filtering
    barely moves them, and it saves two weighted bincounts per filter.
    """

    def __init__(self, lon: np.ndarray, lat: np.ndarray, finest: int = FINEST):
        lon = np.asarray(lon, dtype=float)
        lat = np.asarray(lat, dtype=float)
        ok = np.isfinite(lon) & np.isfinite(lat)
        x, y = mercator(lon[ok], lat[ok])
        side = 1 << finest
        codes = morton((x * side).astype(np.uint64), (y * side).astype(np.uint64))
        self.finest = finest
        self.codes, inverse = np.unique(codes, return_inverse=True)
        self.cell = np.full(len(lon), -1, dtype=np.int32)
        self.cell[ok] = inverse.ravel()
        n = np.bincount(inverse.ravel(), minlength=len(self.codes)).astype(float)
        with np.errstate(invalid="ignore"):
            self.lat = np.bincount(inverse.ravel(), lat[ok], len(self.codes)) / n
            self.lon = np.bincount(inverse.ravel(), lon[ok], len(self.codes)) / n

    def __len__(self) -> int:
        return len(self.cell)

    def counts(self, keep: np.ndarray | None = None) -> np.ndarray:
        """Rows per fine cell among `keep` (all rows when None)."""
        cell = self.cell if keep is None else self.cell[keep]
        return np.bincount(cell[cell >= 0], minlength=len(self.codes))

    def levels(
        self, keep: np.ndarray | None = None, min_zoom: int = MIN_ZOOM,
        max_cells: int = MAX_CELLS,
    ) -> list[Cells]:
        """Cells per map zoom from `min_zoom` up, while the total stays within `max_cells`.

        Beyond the last level the map keeps showing it (cells spread apart as one zooms in).
        """
        counts = self.counts(keep)
        nz = np.flatnonzero(counts)
        if not len(nz):
            return []
        codes, n = self.codes[nz], counts[nz].astype(float)
        wlat, wlon = self.lat[nz] * n, self.lon[nz] * n
        out: list[Cells] = []
        total = 0
        for zoom in range(min_zoom, self.finest - GRID_OFFSET + 1):
            parent = codes >> np.uint64(2 * (self.finest - zoom - GRID_OFFSET))
            starts = np.flatnonzero(np.r_[True, parent[1:] != parent[:-1]])
            if out and total + len(starts) > max_cells:
                break
            sums = np.add.reduceat(n, starts)
            lat = np.add.reduceat(wlat, starts) / sums
            lon = np.add.reduceat(wlon, starts) / sums
            out.append(Cells(zoom, lat, lon, sums.astype(np.int64)))
            total += len(starts)
        return out


_GRIDS: dict[int, tuple[weakref.ref, PointGrid, np.ndarray, np.ndarray]] = {}


def point_grid(df: pd.DataFrame) -> PointGrid:
    """The `PointGrid` of a table, built on first use and kept while the table lives.

    The app's table is shared and read-only, so its grid is built once per server process; a
    copy of the coordinates guards against a table changed in place (a new grid is built).
    """
    for key in [k for k, (ref, *_rest) in _GRIDS.items() if ref() is None]:
        del _GRIDS[key]
    lon, lat = df["lon"].to_numpy(dtype=float), df["lat"].to_numpy(dtype=float)
    cached = _GRIDS.get(id(df))
    if cached is not None and cached[0]() is df:
        _ref, grid, old_lon, old_lat = cached
        if np.array_equal(old_lon, lon, equal_nan=True) and np.array_equal(
            old_lat, lat, equal_nan=True
        ):
            return grid
    grid = PointGrid(lon, lat)
    _GRIDS[id(df)] = (weakref.ref(df), grid, lon.copy(), lat.copy())
    return grid
