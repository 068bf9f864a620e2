"""Hostile and careless GeoJSON files (built by code; see tests/hostile/__init__.py).

Each bad geometry sits in a feature of its own, between good ones, so a reader that handles it
rejects that feature (with its number) and keeps the others.
"""

from __future__ import annotations

import json
from collections.abc import Callable

POINT = {"type": "Point", "coordinates": [11.3426, 44.4949]}  # Bologna
SQUARE = [[11.0, 44.0], [11.5, 44.0], [11.5, 44.5], [11.0, 44.5], [11.0, 44.0]]

# Geometries a reader must reject, each with what is wrong (GeoJSON, RFC 7946).
BAD_GEOMETRIES: dict[str, object] = {
    "coordinates are strings": {"type": "Point", "coordinates": ["11.34", "44.49"]},
    "coordinates are booleans": {"type": "Point", "coordinates": [True, False]},
    "coordinates are null": {"type": "Point", "coordinates": [None, None]},
    "coordinates are an object": {"type": "Point", "coordinates": {"lon": 11, "lat": 44}},
    "coordinates are text": {"type": "Point", "coordinates": "11.34 44.49"},
    "one number": {"type": "Point", "coordinates": [11.34]},
    "too deep for a point": {"type": "Point", "coordinates": [[11.34, 44.49]]},
    "no coordinates member": {"type": "Point"},
    "unknown type": {"type": "Circle", "coordinates": [11.34, 44.49], "radius": 5},
    "type is a number": {"type": 5, "coordinates": [11.34, 44.49]},
    "geometry is a string": "POINT (11.34 44.49)",
    "geometry is a list": [11.34, 44.49],
    "geometry is true": True,
    "unclosed ring": {"type": "Polygon", "coordinates": [SQUARE[:-1]]},
    "ring of three positions": {"type": "Polygon",
                                "coordinates": [[[11, 44], [11.5, 44], [11, 44]]]},
    "self-intersecting polygon": {"type": "Polygon", "coordinates": [
        [[11, 44], [11.5, 44.5], [11.5, 44], [11, 44.5], [11, 44]]]},
    "line of one position": {"type": "LineString", "coordinates": [[11, 44]]},
    "multipolygon of garbage": {"type": "MultiPolygon", "coordinates": [[["x"]], 3]},
    "nested garbage": {"type": "Polygon", "coordinates": [[[[[[[[11, 44]]]]]]]]},
    "collection of garbage": {"type": "GeometryCollection",
                              "geometries": [POINT, {"type": "Point", "coordinates": "x"}]},
    "collection without geometries": {"type": "GeometryCollection"},
    "collection nested 50 deep": json.loads('{"type": "GeometryCollection", "geometries": ['
                                            * 50 + json.dumps(POINT) + "]}" * 50),
    "huge integer coordinates": {"type": "Point", "coordinates": [10 ** 400, 44]},
    "huge polygon coordinates": {"type": "Polygon", "coordinates": [
        [[-1e308, -1e308], [1e308, -1e308], [1e308, 1e308], [-1e308, 1e308],
         [-1e308, -1e308]]]},
}
# What json.dumps cannot write (NaN, Infinity, a number too large for a float), as JSON text.
NON_FINITE = ["NaN", "Infinity", "-Infinity", "1e400"]
# Geometries that are fine but are not one point: placed at a point inside them.
SHAPES: dict[str, object] = {
    "polygon": {"type": "Polygon", "coordinates": [SQUARE]},
    "line": {"type": "LineString", "coordinates": [[11.0, 44.0], [11.5, 44.5]]},
    "multipolygon": {"type": "MultiPolygon", "coordinates": [[SQUARE]]},
    "collection": {"type": "GeometryCollection", "geometries": [
        POINT, {"type": "Polygon", "coordinates": [SQUARE]}]},
}


def feature(name: str, geometry: object, **props) -> dict:
    return {"type": "Feature", "properties": {"name": name, "country": "IT", **props},
            "geometry": geometry}


def collection(features: list, **extra) -> bytes:
    return json.dumps({"type": "FeatureCollection", **extra, "features": features}).encode()


def bad_geometries() -> bytes:
    """Good point, bad geometry, good point, ...: feature 2k is the k-th bad one."""
    features = []
    for reason, geometry in BAD_GEOMETRIES.items():
        features += [feature(f"good before {reason}", POINT), feature(reason, geometry)]
    return collection(features)


def non_finite() -> bytes:
    """NaN, Infinity and 1e400 (read as infinity) as coordinates, after a good point."""
    text = json.dumps(feature("good", POINT))
    for i, literal in enumerate(NON_FINITE):
        text += (f', {{"type": "Feature", "properties": {{"name": "non-finite {i}"}}, '
                 f'"geometry": {{"type": "Point", "coordinates": [{literal}, 44.49]}}}}')
    return f'{{"type": "FeatureCollection", "features": [{text}]}}'.encode()


def shapes() -> bytes:
    """A point, then lines, polygons and a collection: each placed at a point inside it."""
    return collection([feature("point", POINT)]
                      + [feature(name, geometry) for name, geometry in SHAPES.items()])


def mercator(lon: float, lat: float) -> list[float]:
    """EPSG:3857 metres of a longitude/latitude (the spherical formulas, no library)."""
    import math

    r = 6378137.0
    return [r * math.radians(lon), r * math.log(math.tan(math.pi / 4 + math.radians(lat) / 2))]


def legacy_crs(name: str) -> dict:
    return {"type": "name", "properties": {"name": name}}


def web_mercator(crs_name: str = "urn:ogc:def:crs:EPSG::3857") -> bytes:
    """Bologna, Rome and a polygon around Bologna, in metres, with the 2008 `crs` member."""
    square = [mercator(*p) for p in SQUARE]
    return collection([feature("Bologna", {"type": "Point", "coordinates": mercator(11.3426,
                                                                                    44.4949)}),
                       feature("Roma", {"type": "Point", "coordinates": mercator(12.4964,
                                                                                 41.9028)}),
                       feature("area", {"type": "Polygon", "coordinates": [square]})],
                      crs=legacy_crs(crs_name))


def declared_wgs84() -> bytes:
    """Longitude/latitude with the 2008 crs member naming them (CRS84): nothing to convert."""
    return collection([feature("Bologna", POINT)],
                      crs=legacy_crs("urn:ogc:def:crs:OGC:1.3:CRS84"))


# Points beyond longitude ±180 or latitude ±90, each rejected, between good points.
OUT_OF_RANGE = {"longitude 200": [200.0, 44.0], "latitude -95": [11.0, -95.0],
                "latitude 90.5": [11.0, 90.5], "longitude -180.01": [-180.01, 0.5]}


def out_of_range() -> bytes:
    """A good point, then each point out of range and a polygon reaching latitude 91."""
    polar = [[11.0, 89.0], [12.0, 89.0], [12.0, 91.0], [11.0, 89.0]]
    return collection([feature("good", POINT)]
                      + [feature(name, {"type": "Point", "coordinates": position})
                         for name, position in OUT_OF_RANGE.items()]
                      + [feature("polar", {"type": "Polygon", "coordinates": [polar]})])


def projected_no_crs() -> bytes:
    """Metres (EPSG:3857) with no crs: must be refused, not left unplaced row by row."""
    data = json.loads(web_mercator())
    del data["crs"]
    return json.dumps(data).encode()


def unknown_crs() -> bytes:
    data = json.loads(web_mercator())
    data["crs"] = legacy_crs("EPSG:999999")
    return json.dumps(data).encode()


def proj_string_crs() -> bytes:
    """A PROJ pipeline where a crs name belongs: never handed to PROJ."""
    data = json.loads(web_mercator())
    data["crs"] = legacy_crs("+proj=pipeline +step +proj=unitconvert +xy_in=deg +xy_out=rad")
    return json.dumps(data).encode()


def linked_crs() -> bytes:
    data = json.loads(web_mercator())
    data["crs"] = {"type": "link", "properties": {"href": "http://example.com/crs/42",
                                                  "type": "proj4"}}
    return json.dumps(data).encode()


def deep_nesting() -> bytes:
    """100,000 nested arrays: Python's parser gives up with a RecursionError."""
    return b'{"type": "FeatureCollection", "features": ' + b"[" * 100_000 + b"]" * 100_000 + b"}"


def deep_property() -> bytes:
    """A property nested just under the parser's limit: reading works, writing it back fails."""
    return (b'{"type": "FeatureCollection", "features": [{"type": "Feature", "geometry": null, '
            b'"properties": {"name": "deep", "x": ' + b"[" * 980 + b"]" * 980 + b"}}, "
            + json.dumps(feature("fine", POINT)).encode() + b"]}")


def long_integer() -> bytes:
    """An integer of 5,000 digits: Python refuses to convert it (ValueError, not JSON's)."""
    return (b'{"type": "FeatureCollection", "features": [{"type": "Feature", "geometry": null, '
            b'"properties": {"name": "big", "n": ' + b"7" * 5000 + b"}}]}")


def non_object_features() -> bytes:
    return collection([1, "x", None, [], {"type": "feature"}, {"type": "Feature"},
                       feature("fine", POINT)])


def too_many_features() -> bytes:
    """One more feature than the default row limit (1,000,000): 3 MB."""
    return b'{"type": "FeatureCollection", "features": [' + b"{}," * 1_000_000 + b"{}]}"


def many_keys() -> bytes:
    """5,000 features with a property name each: 5,000 columns (the limit is 1,000)."""
    return collection([feature("x", POINT, **{f"key {i}": i}) for i in range(5_000)])


def not_a_collection() -> bytes:
    return json.dumps(POINT).encode()


FILES: dict[str, Callable[[], bytes]] = {
    "bad-geometries.geojson": bad_geometries,
    "non-finite.geojson": non_finite,
    "shapes.geojson": shapes,
    "web-mercator.geojson": web_mercator,
    "web-mercator-epsg-form.geojson": lambda: web_mercator("EPSG:3857"),
    "declared-wgs84.geojson": declared_wgs84,
    "out-of-range.geojson": out_of_range,
    "projected-no-crs.geojson": projected_no_crs,
    "unknown-crs.geojson": unknown_crs,
    "proj-string-crs.geojson": proj_string_crs,
    "linked-crs.geojson": linked_crs,
    "deep-nesting.geojson": deep_nesting,
    "deep-property.geojson": deep_property,
    "long-integer.geojson": long_integer,
    "non-object-features.geojson": non_object_features,
    "too-many-features.geojson": too_many_features,
    "many-keys.geojson": many_keys,
    "not-a-collection.geojson": not_a_collection,
}
