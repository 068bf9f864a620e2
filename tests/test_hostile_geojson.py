"""GeoJSON files a visitor may upload (tests/hostile/geojson.py): each is refused with a one-line
reason or loads with every feature kept or rejected with its reason (never a traceback);
a declared CRS is reprojected to WGS84, and points land where they should.
"""

from __future__ import annotations

import json
import sys

import pytest
import shapely
from pyproj import Geod

from atlas.ingest import columns
from atlas.ingest import geojson as reader
from atlas.ingest.importer import ImportFailure, ImportOptions, Limits, run_import
from atlas.ingest.reading import read_bytes
from tests.hostile import geojson as hostile

LIMITS = Limits()
BOLOGNA = (44.4949, 11.3426)  # lat, lon
ROMA = (41.9028, 12.4964)

REFUSED = {
    "projected-no-crs.geojson": "metres of a projected CRS?) and the file declares no `crs`",
    "unknown-crs.geojson": "the CRS EPSG:999999, which is not in the EPSG registry",
    "proj-string-crs.geojson": "which the atlas does not read (it reads EPSG codes",
    "linked-crs.geojson": "links to its CRS ('http://example.com/crs/42'), which the atlas "
                          "does not fetch",
    "deep-nesting.geojson": "the JSON is nested more than 1,000 levels deep",
    "too-many-features.geojson": "the file has more than 1,000,000 features",
    "many-keys.geojson": "more than 998 different property names; the limit is 1,000 columns",
    "not-a-collection.geojson": "not a GeoJSON FeatureCollection or Feature",
}
# What each bad geometry of bad-geometries.geojson is rejected for.
BAD_REASONS = {
    "coordinates are strings": "coordinates are not numbers (a string, a string)",
    "coordinates are booleans": "coordinates are not numbers (true, false)",
    "coordinates are null": "coordinates are not numbers (null, null)",
    "coordinates are an object": "the coordinates of a Point are an object",
    "coordinates are text": "the coordinates of a Point are a string",
    "one number": "a position needs two numbers",
    "too deep for a point": "nested deeper than a Point's",
    "no coordinates member": "a Point without coordinates",
    "unknown type": "unknown geometry type 'Circle'",
    "type is a number": "unknown geometry type '5'",
    "geometry is a string": "the geometry is a string, not a GeoJSON geometry object",
    "geometry is a list": "the geometry is a list",
    "geometry is true": "the geometry is true",
    "unclosed ring": "a polygon ring is not closed",
    "ring of three positions": "a polygon ring needs at least four positions",
    "self-intersecting polygon": "invalid Polygon: Self-intersection",
    "line of one position": "a line needs at least two positions",
    "multipolygon of garbage": "a position of a MultiPolygon is a string",
    "nested garbage": "nested deeper than a Polygon's",
    "collection of garbage": "the coordinates of a Point are a string",
    "collection without geometries": "a GeometryCollection without a list of geometries",
    "collection nested 50 deep": "geometry collections nested more than 8 deep",
    "huge integer coordinates": "coordinates are not finite numbers",
    "huge polygon coordinates": "coordinates out of range: longitude -1e+308",
}
# file → (numbers of the features kept, {number of a rejected feature: reason fragment})
LOADED = {
    "bad-geometries.geojson": (list(range(1, 2 * len(BAD_REASONS), 2)),
                               {2 * i: BAD_REASONS[k]
                                for i, k in enumerate(hostile.BAD_GEOMETRIES, 1)}),
    "non-finite.geojson": ([1], dict.fromkeys(range(2, 6), "coordinates are not finite numbers")),
    "shapes.geojson": ([1, 2, 3, 4, 5], {}),
    "web-mercator.geojson": ([1, 2, 3], {}),
    "web-mercator-epsg-form.geojson": ([1, 2, 3], {}),
    "declared-wgs84.geojson": ([1], {}),
    "out-of-range.geojson": ([1], dict.fromkeys(range(2, 7), "coordinates out of range")),
    "deep-property.geojson": ([2], {1: "property 'x' is nested more than 64 levels deep"}),
    "long-integer.geojson": ([1], {}),
    "non-object-features.geojson": ([6, 7], dict.fromkeys(range(1, 6),
                                                          "not a GeoJSON Feature")),
}


def test_every_hostile_geojson_has_an_expected_outcome():
    assert set(REFUSED) | set(LOADED) == set(hostile.FILES)
    assert set(BAD_REASONS) == set(hostile.BAD_GEOMETRIES)


@pytest.mark.parametrize("name", sorted(REFUSED))
def test_hostile_geojson_is_refused_with_its_reason(name):
    with pytest.raises(ImportFailure) as failure:
        read_bytes(hostile.FILES[name](), name, limits=LIMITS)
    reason = str(failure.value)
    assert REFUSED[name] in reason
    assert "\n" not in reason and len(reason) < 300


@pytest.mark.parametrize("name", sorted(LOADED))
def test_hostile_geojson_keeps_or_rejects_every_feature(name):
    raw = read_bytes(hostile.FILES[name](), name, limits=LIMITS)
    kept, rejected = LOADED[name]
    assert raw.lines.tolist() == kept
    assert [r["line"] for r in raw.rejected] == sorted(rejected)
    for row in raw.rejected:
        assert rejected[row["line"]] in row["reason"], row
        assert "\n" not in row["reason"] and len(row["reason"]) < 200
    assert raw.read == len(kept) + len(rejected)


@pytest.mark.parametrize("name", sorted(LOADED))
def test_loaded_and_rejected_make_read(name, layers, index):
    raw = read_bytes(hostile.FILES[name](), name, limits=LIMITS)
    result = run_import(raw, columns.suggest_mapping(raw), ImportOptions(dataset_id="t"),
                        layers, index)
    kept, rejected = LOADED[name]
    assert result.accepted + result.rejected == result.read == len(kept) + len(rejected)


def metres(a: tuple[float, float], b: tuple[float, float]) -> float:
    return Geod(ellps="WGS84").inv(a[1], a[0], b[1], b[0])[2]


def points(raw) -> dict[str, tuple[float, float]]:
    return {name: (float(lat), float(lon)) for name, lat, lon in
            raw.cells[["name", reader.LAT_COLUMN, reader.LON_COLUMN]].to_numpy()}


@pytest.mark.parametrize("name", ["urn:ogc:def:crs:EPSG::3857", "EPSG:3857",
                                  "http://www.opengis.net/def/crs/EPSG/0/3857"])
def test_web_mercator_is_reprojected_to_wgs84(name, layers, index):
    raw = read_bytes(hostile.web_mercator(name), "m.geojson", limits=LIMITS)
    found = points(raw)
    assert metres(found["Bologna"], BOLOGNA) < 1
    assert metres(found["Roma"], ROMA) < 1
    assert 44.0 < found["area"][0] < 44.5 and 11.0 < found["area"][1] < 11.5
    assert raw.warnings[0] == ("The file's coordinates are in EPSG:3857 (WGS 84 / Pseudo-"
                               "Mercator): they were converted to WGS84 longitude/latitude.")
    result = run_import(raw, columns.suggest_mapping(raw), ImportOptions(dataset_id="t"),
                        layers, index)
    rows = result.rows.set_index("name")
    assert rows.loc["Bologna", "code_nuts2"] == "ITH5"
    assert rows.loc["area", "code_nuts2"] == "ITH5"
    assert rows.loc["Roma", "code_nuts2"] == "ITI4"
    assert result.accepted == 3 and result.accepted + result.rejected == result.read
    assert any("EPSG:3857" in w for w in result.report()["warnings"])


def test_another_geographic_crs_is_converted_and_wgs84_is_left_alone():
    etrs = hostile.collection([hostile.feature("Bologna", hostile.POINT)],
                              crs=hostile.legacy_crs("EPSG:4258"))
    raw = read_bytes(etrs, "e.geojson", limits=LIMITS)
    assert metres(points(raw)["Bologna"], BOLOGNA) < 2
    assert "EPSG:4258 (ETRS89)" in raw.warnings[0]
    for name in ("EPSG:4326", "urn:ogc:def:crs:OGC:1.3:CRS84"):
        data = hostile.collection([hostile.feature("Bologna", hostile.POINT)],
                                  crs=hostile.legacy_crs(name))
        raw = read_bytes(data, "w.geojson", limits=LIMITS)
        assert points(raw)["Bologna"] == BOLOGNA and not raw.warnings


def test_a_crs_that_is_not_of_places_on_a_map_is_refused():
    data = hostile.collection([hostile.feature("x", hostile.POINT)],
                              crs=hostile.legacy_crs("EPSG:5703"))  # a height
    with pytest.raises(ImportFailure, match=r"EPSG:5703 \(.*\), which is not a CRS of places"):
        read_bytes(data, "v.geojson", limits=LIMITS)


def test_shapes_are_placed_at_a_point_on_them_and_flagged():
    raw = read_bytes(hostile.shapes(), "s.geojson", limits=LIMITS)
    found = points(raw)
    for name, geometry in hostile.SHAPES.items():
        lat, lon = found[name]
        assert shapely.geometry.shape(geometry).distance(shapely.Point(lon, lat)) < 1e-9
    assert found["point"] == BOLOGNA
    assert raw.warnings == ["4 feature(s) are lines, polygons or collections, not points: "
                            "each is placed at a point on it (shapely's representative point; "
                            "feature 2, 3, 4, 5)."]


def test_no_geometry_or_an_empty_one_keeps_the_row_without_a_point():
    data = hostile.collection([
        hostile.feature("null", None),
        hostile.feature("empty polygon", {"type": "Polygon", "coordinates": []}),
        hostile.feature("empty collection", {"type": "GeometryCollection", "geometries": []}),
    ])
    raw = read_bytes(data, "e.geojson", limits=LIMITS)
    assert raw.lines.tolist() == [1, 2, 3] and not raw.rejected
    assert set(raw.cells[reader.LAT_COLUMN]) == {""}


def test_a_deep_property_reads_the_same_from_a_deep_stack():
    """The JSON parser's nesting limit does not depend on who calls the reader."""
    data = hostile.deep_property()

    def nested(depth: int):
        return nested(depth - 1) if depth else read_bytes(data, "d.geojson", limits=LIMITS)

    before = sys.getrecursionlimit()
    for depth in (0, 300):
        raw = nested(depth)
        assert raw.lines.tolist() == [2] and raw.rejected[0]["line"] == 1
    assert sys.getrecursionlimit() == before


def test_long_integers_stay_text():
    raw = read_bytes(hostile.long_integer(), "l.geojson", limits=LIMITS)
    assert raw.cells["n"].iloc[0] == "7" * 5000


def test_property_names_and_cells_are_limited():
    many = hostile.many_keys()
    with pytest.raises(ImportFailure, match="more than 48 different property names; the limit "
                                            "is 50 columns"):
        read_bytes(many, "k.geojson", limits=Limits(max_columns=50))
    with pytest.raises(ImportFailure, match="more than 1,000,000 cells"):
        read_bytes(many, "k.geojson", limits=Limits(max_columns=6_000, max_cells=1_000_000))


def test_property_values_are_text():
    data = hostile.collection([hostile.feature("v", hostile.POINT, flag=True, none=None,
                                               share=0.1, nested={"a": [1, "è"]})])
    cells = read_bytes(data, "p.geojson", limits=LIMITS).cells.iloc[0]
    assert (cells["flag"], cells["none"], cells["share"]) == ("TRUE", "", "0.1")
    assert json.loads(cells["nested"]) == {"a": [1, "è"]} and "è" in cells["nested"]
