"""The two numeric rules of an import that nothing else pins down: rows with the same name are
duplicates within 100 m (atlas.ingest.duplicates.DUPLICATE_METRES) and not beyond, and a pair
with 90 < |lat| ≤ 180 and |lon| ≤ 90 reads as latitude and longitude swapped
(atlas.geo.placement.swapped), never a pair at |lat| = 90 exactly.

Distances are measured here with our own haversine on the mean Earth radius (6,371 km), so the
points are placed 99 m and 101 m apart whatever the code under test computes. Registers are
synthetic; every run checks accepted + rejected == read.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from atlas.geo.placement import swapped
from atlas.ingest import columns, importer
from atlas.ingest.duplicates import DUPLICATE_METRES, NEAR, close_pairs
from atlas.ingest.importer import ImportOptions, run_import
from atlas.ingest.reading import read_bytes
from atlas.ingest.values import coordinate_issue

EARTH = 6_371_000.0  # mean Earth radius, metres
BOLOGNA = (44.4949, 11.3426)


def haversine(a: tuple[float, float], b: tuple[float, float]) -> float:
    (lat1, lon1), (lat2, lon2) = (tuple(map(math.radians, p)) for p in (a, b))
    h = (math.sin((lat2 - lat1) / 2) ** 2
         + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2)
    return 2 * EARTH * math.asin(math.sqrt(h))


def north_of(point: tuple[float, float], metres: float) -> tuple[float, float]:
    """The point `metres` due north (along a meridian the distance is R·Δlat)."""
    return point[0] + math.degrees(metres / EARTH), point[1]


def east_of(point: tuple[float, float], metres: float) -> tuple[float, float]:
    """The point `metres` due east on the same parallel (haversine solved for Δlon)."""
    lat = math.radians(point[0])
    dlon = 2 * math.asin(math.sin(metres / (2 * EARTH)) / math.cos(lat))
    return point[0], point[1] + math.degrees(dlon)


def run(data: bytes, layers, index, **options) -> importer.ImportResult:
    raw = read_bytes(data, "rules.csv")
    result = run_import(raw, columns.suggest_mapping(raw),
                        ImportOptions(dataset_id="rules", **options), layers, index)
    assert result.accepted + result.rejected == result.read == raw.read
    return result


def by_name(result: importer.ImportResult) -> dict[str, dict]:
    return {r["name"]: r for r in result.rows.to_dict("records")}


def flags(result: importer.ImportResult) -> dict[int, str]:
    return {f["line"]: f["issue"] for f in result.flagged}


# ---------------------------------------------------------------- duplicates: 100 m


@pytest.mark.parametrize("move", [north_of, east_of], ids=["north", "east"])
def test_the_test_points_are_as_far_apart_as_meant(move):
    for metres in (99.0, 101.0):
        assert haversine(BOLOGNA, move(BOLOGNA, metres)) == pytest.approx(metres, abs=1e-6)
    # 7 decimals in a CSV cell (as below) move a point by about a centimetre at most
    rounded = tuple(round(v, 7) for v in move(BOLOGNA, 99.0))
    assert haversine(BOLOGNA, rounded) == pytest.approx(99.0, abs=0.02)


@pytest.mark.parametrize("move", [north_of, east_of], ids=["north", "east"])
def test_close_pairs_finds_points_within_100_m_and_not_beyond(move):
    near, far = move(BOLOGNA, 99.0), move(BOLOGNA, 101.0)
    points = [BOLOGNA, near, far]
    lat = np.array([p[0] for p in points])
    lon = np.array([p[1] for p in points])
    assert DUPLICATE_METRES == 100.0
    # 0–1 are 99 m apart, 0–2 101 m, 1–2 2 m
    assert close_pairs(lat, lon, DUPLICATE_METRES) == [(0, 1), (1, 2)]
    assert close_pairs(lat[[0, 2]], lon[[0, 2]], DUPLICATE_METRES) == []


def test_the_reason_names_the_radius_used():
    assert NEAR == f"same name within {DUPLICATE_METRES:g} m"


def csv_rows(rows: list[tuple[str, tuple[float, float]]]) -> bytes:
    lines = ["name,lat,lon"] + [f"{name},{lat:.7f},{lon:.7f}" for name, (lat, lon) in rows]
    return ("\n".join(lines) + "\n").encode()


def test_same_name_99_m_apart_is_a_duplicate_and_101_m_apart_is_not(layers, index):
    data = csv_rows([
        ("Coop North", BOLOGNA), ("Coop North", north_of(BOLOGNA, 99.0)),     # lines 2, 3
        ("Coop Far", BOLOGNA), ("Coop Far", north_of(BOLOGNA, 101.0)),        # lines 4, 5
        ("Coop East", BOLOGNA), ("Coop East", east_of(BOLOGNA, 99.0)),        # lines 6, 7
        ("Coop Wide", BOLOGNA), ("Coop Wide", east_of(BOLOGNA, 101.0)),       # lines 8, 9
    ])
    kept = run(data, layers, index)
    assert kept.accepted == 8 and kept.duplicates == 2
    assert kept.duplicate_groups == [
        {"lines": [2, 3], "reason": "same name within 100 m"},
        {"lines": [6, 7], "reason": "same name within 100 m"},
    ]
    assert set(kept.rows["placement"]) == {"point"}
    merged = run(data, layers, index, merge_duplicates=True)
    assert merged.accepted == 6
    assert merged.rejections == [
        {"line": 3, "reason": "merged into line 2 (same name within 100 m)"},
        {"line": 7, "reason": "merged into line 6 (same name within 100 m)"},
    ]
    assert sorted(merged.rows["name"]) == sorted(["Coop North", "Coop Far", "Coop Far",
                                                  "Coop East", "Coop Wide", "Coop Wide"])


# ---------------------------------------------------------------- swapped: |lat| > 90


def test_swapped_is_90_lt_abs_lat_le_180_with_abs_lon_le_90():
    cases = [  # lat, lon, swapped?
        (120.5, 45.25, True), (-120.5, -45.25, True),
        (90.5, 45.25, True), (-90.5, 45.25, True),
        (180.0, 90.0, True),                     # the far corner of the rule
        (90.0, 45.25, False), (-90.0, 45.25, False),  # the poles are real places
        (44.49, 11.34, False),
        (120.5, 95.0, False),                    # the other way round is out of range too
        (180.5, 45.25, False),                   # no longitude is that large
    ]
    lat = pd.Series([c[0] for c in cases])
    lon = pd.Series([c[1] for c in cases])
    assert swapped(lat, lon).tolist() == [c[2] for c in cases]


def test_coordinate_issue_accepts_the_poles_and_not_beyond():
    assert coordinate_issue(90.0, 45.25) is None and coordinate_issue(-90.0, 45.25) is None
    assert coordinate_issue(90.5, 45.25) == "coordinates out of range (lat 90.5, lon 45.25)"
    assert coordinate_issue(-90.5, 45.25) == "coordinates out of range (lat -90.5, lon 45.25)"


SWAPPED = (b"name,lat,lon\n"
           b"Turned,120.5,45.25\n"      # line 2: 45.25 N, 120.5 E the other way round
           b"Turned south,-90.5,45.25\n"  # line 3: just over the South Pole
           b"Both big,120.5,95\n"        # line 4: out of range either way
           b"Fine,44.49,11.34\n")


def test_a_latitude_over_90_is_flagged_as_swapped_and_not_used(layers, index):
    result = run(SWAPPED, layers, index)
    rows, flagged = by_name(result), flags(result)
    assert result.accepted == 4 and result.rejections == []  # flagged, never dropped
    for name in ("Turned", "Turned south", "Both big"):
        assert rows[name]["placement"] == "none" and pd.isna(rows[name]["lat"])
    assert flagged[2].startswith("latitude and longitude look swapped (lat 120.5, lon 45.25)")
    assert flagged[3].startswith("latitude and longitude look swapped (lat -90.5, lon 45.25)")
    assert flagged[4].startswith("coordinates out of range (lat 120.5, lon 95.0)")
    assert rows["Fine"]["placement"] == "point" and 5 not in flagged


def test_a_latitude_over_90_is_turned_round_when_asked(layers, index):
    result = run(SWAPPED, layers, index, swap_latlon=True)
    rows, flagged = by_name(result), flags(result)
    assert (rows["Turned"]["lat"], rows["Turned"]["lon"]) == (45.25, 120.5)
    assert rows["Turned"]["placement"] == "point"
    assert flagged[2] == "latitude and longitude were swapped, as you asked (lat 120.5, lon 45.25)"
    assert (rows["Turned south"]["lat"], rows["Turned south"]["lon"]) == (45.25, -90.5)
    assert flagged[3] == ("latitude and longitude were swapped, as you asked "
                          "(lat -90.5, lon 45.25)")
    assert rows["Both big"]["placement"] == "none"  # not turned: it would still be wrong
    assert flagged[4].startswith("coordinates out of range (lat 120.5, lon 95.0)")
    assert (rows["Fine"]["lat"], rows["Fine"]["lon"]) == (44.49, 11.34)


@pytest.mark.parametrize("lat", [90.0, -90.0], ids=["north-pole", "south-pole"])
@pytest.mark.parametrize("swap", [False, True], ids=["as-given", "swap-asked"])
def test_a_latitude_of_exactly_90_is_a_pole_not_a_swap(layers, index, lat, swap):
    """One row only: a point alone in a file is never judged lonely, so nothing else moves it."""
    result = run(f"name,lat,lon\nPole,{lat},45.25\n".encode(), layers, index,
                 swap_latlon=swap)
    pole = by_name(result)["Pole"]
    assert result.accepted == 1
    assert (pole["lat"], pole["lon"]) == (lat, 45.25) and pole["placement"] == "point"
    assert not any("swapped" in f["issue"] for f in result.flagged)
