"""Server-side point aggregation and the map's points layer: right counts, bounded payload."""

from __future__ import annotations

import json

import folium
import numpy as np
import pandas as pd
import pytest

from atlas.analysis import aggregate
from atlas.analysis.aggregate import GRID_OFFSET, PointGrid, mercator, morton, point_grid
from atlas.present import offline
from atlas.present.mapview import MARKER_LIMIT, POPUP_LINES, _PointLayer, cells_group, points_layer

HOSTILE = '<img src=x onerror="alert(1)">'


def _points(n: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    towns = rng.uniform([-8, 38], [25, 58], size=(40, 2))
    pick = rng.integers(len(towns), size=n)
    lon = towns[pick, 0] + rng.normal(0, 0.05, n)
    lat = towns[pick, 1] + rng.normal(0, 0.05, n)
    return lon, lat


def test_morton_parent_is_a_two_bit_shift():
    rng = np.random.default_rng(1)
    ix, iy = (rng.integers(0, 1 << 16, 1000, dtype=np.uint64) for _ in range(2))
    one = np.uint64(1)
    assert np.array_equal(morton(ix, iy) >> np.uint64(2), morton(ix >> one, iy >> one))


def test_mercator_is_in_the_unit_square_and_north_is_up():
    x, y = mercator(np.array([-180.0, 0.0, 179.999]), np.array([89.9, 0.0, -89.9]))
    assert ((0 <= x) & (x < 1) & (0 <= y) & (y < 1)).all()
    assert y[0] < y[1] < y[2] and x[1] == pytest.approx(0.5)


def test_levels_count_every_kept_point_once_like_a_brute_force_grid():
    lon, lat = _points(20_000)
    lon[:50] = np.nan  # rows without a point are never counted
    keep = np.random.default_rng(2).random(len(lon)) < 0.5
    grid = PointGrid(lon, lat)
    levels = grid.levels(keep, max_cells=10**9)
    kept = keep & np.isfinite(lon)
    x, y = mercator(lon[kept], lat[kept])
    for cells in levels:
        assert cells.count.sum() == kept.sum()
        side = 1 << (cells.zoom + GRID_OFFSET)
        brute = pd.DataFrame({"x": (x * side).astype(int), "y": (y * side).astype(int),
                              "lat": lat[kept], "lon": lon[kept]}).groupby(["x", "y"])
        assert len(cells.count) == brute.ngroups
        assert sorted(cells.count) == sorted(brute.size())
    # Positions are the mean of the points in a cell (from 600 m fine cells: within ~0.01°).
    finest = levels[-1]
    big = int(np.argmax(finest.count))
    assert np.isfinite(finest.lat).all() and np.isfinite(finest.lon).all()
    near = np.hypot(lat[kept] - finest.lat[big], lon[kept] - finest.lon[big]) < 0.5
    assert lat[kept][near].mean() == pytest.approx(finest.lat[big], abs=0.05)


def test_levels_stop_before_the_cell_budget():
    lon, lat = _points(50_000)
    levels = PointGrid(lon, lat).levels(max_cells=2_000)
    assert sum(len(c.count) for c in levels) <= 2_000
    assert [c.zoom for c in levels] == list(range(2, 2 + len(levels)))
    assert PointGrid(lon, lat).levels(np.zeros(len(lon), bool)) == []


def test_flat_is_lat_lon_count_triples():
    grid = PointGrid(np.array([2.35, 2.36, -74.0]), np.array([48.85, 48.86, 40.7]))
    flat = grid.levels()[0].flat()
    assert len(flat) == 6 and sorted(flat[2::3]) == [1, 2]
    assert all(isinstance(v, int) for v in flat[2::3])


def test_point_grid_is_built_once_per_table_and_again_when_it_changes():
    lon, lat = _points(1_000)
    df = pd.DataFrame({"lon": lon, "lat": lat})
    first = point_grid(df)
    assert point_grid(df) is first
    df.loc[0, "lon"] = 0.0
    assert point_grid(df) is not first
    other = df.copy()
    assert point_grid(other) is not point_grid(df)
    del other
    point_grid(df)  # tables that are gone are forgotten
    assert all(ref() is not None for ref, *_ in aggregate._GRIDS.values())


def _table(n: int) -> pd.DataFrame:
    lon, lat = _points(n)
    return pd.DataFrame({
        "id": [f"synthetic:{i}" for i in range(n)],
        "lon": lon, "lat": lat, "name": [HOSTILE] + [f"Coop {i}" for i in range(1, n)],
        "themes": [["employment"]] * n, "legal_form": None, "locality": "<b>x</b>",
        "source": "synthetic", "website": "javascript:alert(1)",
    })  # fmt: skip


def _render(group: folium.FeatureGroup) -> str:
    m = folium.Map(tiles=None)
    group.add_to(m)
    return m.get_root().render()


def _point_rows(group: folium.FeatureGroup) -> list[dict]:
    """The markers a points group ships, each decoded to its popup parts."""
    layer = next(c for c in group._children.values() if isinstance(c, _PointLayer))
    data = json.loads(layer.data_json)
    out = []
    for row in data["rows"]:
        parts = {}
        for k, key in enumerate(POPUP_LINES):
            value = row[k + 2]
            parts[key] = data["lookup"][k][value] if isinstance(value, int) else value
        out.append({"lat": row[0], "lon": row[1], **parts})
    return out


def test_few_points_are_markers_with_escaped_popups_built_for_them_only():
    df = _table(500)
    keep = np.zeros(len(df), bool)
    keep[:20] = True
    rows = _point_rows(points_layer(df, keep, None))
    assert len(rows) == 20 and rows[1]["name"] == "Coop 1" and rows[1]["lat"] == round(df.lat[1], 5)
    text = json.dumps(rows)
    assert "<img" not in text and "&lt;img" in text and "javascript:" not in text
    assert {r["themes"] for r in rows} == {"Employment and work integration"}
    assert {r["link"] for r in rows} == {""}


def test_cached_popup_parts_are_used_for_small_tables():
    df = _table(100)
    calls = []

    def popups() -> pd.DataFrame:
        calls.append(1)
        return pd.DataFrame({key: "cached" for key in POPUP_LINES}, index=df["id"])

    rows = _point_rows(points_layer(df, np.ones(len(df), bool), popups))
    assert calls and rows[0]["name"] == "cached" and len(rows) == 100


def test_many_points_become_cells_with_a_bounded_payload():
    df = _table(200_000)
    group = points_layer(df, np.ones(len(df), bool), None)
    assert not any(isinstance(c, _PointLayer) for c in group._children.values())
    html = _render(group)
    assert "atlasCellLayer(" in html and "200,000" in html and "MarkerCluster.css" in html
    assert offline.MAP_JS in html  # the file that draws the cells (and their note)
    assert len(html) < 3_000_000
    small = points_layer(df, np.arange(len(df)) < MARKER_LIMIT + 1, None)
    assert "atlasCellLayer(" in _render(small)


def test_cells_note_says_how_to_see_individual_initiatives():
    grid = PointGrid(*_points(100))
    group = cells_group(grid.levels(), 123_456)
    layer = next(iter(group._children.values()))
    assert "123,456" in layer.note and f"{MARKER_LIMIT:,}" in layer.note
    assert json.loads(json.dumps(layer.levels))[0]["z"] == 2
