"""A GeoJSON file's features as rows of text cells and one point each, whatever the file holds.

Each feature becomes a row: its properties as columns, then the latitude and longitude of its
point. What a feature's geometry gives:

- a Point: that point;
- a line, polygon, multi-geometry or collection that is valid: its *representative point*
  (shapely's `point_on_surface`: inside the polygon, on the line; a centroid may fall outside
  a crescent or a bay). Such features are flagged, as a warning that lists them: the atlas
  shows one point where the file drew a shape;
- no geometry (null), or an empty one: no point (the importer may still place the row by the
  region it names);
- anything else is a rejected row with the reason: coordinates that are not finite numbers,
  a structure that is not GeoJSON (RFC 7946: unclosed rings, lines of one position, unknown
  types...), a geometry GEOS finds invalid (a self-intersecting polygon), or coordinates
  outside longitude ±180 / latitude ±90.

A CRS declared by the 2008 `crs` member (EPSG:3857, urn:ogc:def:crs:EPSG::3857, an
opengis.net address) is reprojected to WGS84 longitude/latitude with pyproj, and the report says
so; a CRS named any other way, unknown to the EPSG registry, or linked is refused with the
reason (a name is never handed to PROJ as a definition). A file without `crs` whose every
geometry lies outside longitude/latitude range is refused as projected.

Limits: features (rows), property names (columns) and cells, as for any table; JSON nesting
(the parser's own recursion, made the same wherever the reader is called from) and the nesting
of a property's value (it is written back as JSON text) and of geometry collections.
"""

from __future__ import annotations

import json
import math
import re
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

import numpy as np

from atlas.ingest.encoding import decode_bytes
from atlas.ingest.errors import ImportFailure
from atlas.ingest.limits import ENV_MAX_CELLS, ENV_MAX_COLUMNS, ENV_MAX_ROWS, Limits

LAT_COLUMN, LON_COLUMN = "geometry latitude", "geometry longitude"
MAX_JSON_DEPTH = 1_000  # arrays and objects inside one another, anywhere in the file
MAX_VALUE_DEPTH = 64  # inside one property's value
MAX_COLLECTION_DEPTH = 8  # collections inside collections (RFC 7946: SHOULD be avoided)
VALID = "Valid Geometry"  # what GEOS says of a valid geometry
MAX_INT_DIGITS = 4_000  # Python refuses to convert longer integers (sys.int_info)
# Positions nested this deep make each geometry type's coordinates.
NESTING = {"Point": 0, "MultiPoint": 1, "LineString": 1, "MultiLineString": 2, "Polygon": 2,
           "MultiPolygon": 3}  # fmt: skip
_EPSG = re.compile(r"(?:urn:ogc:def:crs:)?EPSG:(?:[0-9.]*:)?([0-9]{1,6})", re.IGNORECASE)
_EPSG_URL = re.compile(r"https?://www\.opengis\.net/def/crs/EPSG/[0-9.]+/([0-9]{1,6})",
                       re.IGNORECASE)
_CRS84 = re.compile(r"(?:urn:ogc:def:crs:OGC:(?:1\.3)?:|https?://www\.opengis\.net/def/crs/"
                    r"OGC/1\.3/)?CRS84", re.IGNORECASE)


@dataclass
class Features:
    """A file's features as a table: the header (property names in order of appearance, then
    the two geometry columns), the kept features' cells and numbers (1 = the first feature),
    and the rejected ones with their reason."""

    header: list[str]
    records: list[list[str]]
    lines: list[int]
    rejected: list[dict] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    encoding: str = "utf-8"


def read_features(data: bytes, limits: Limits) -> Features:
    """Every feature of the GeoJSON in `data`; ImportFailure (one line) when the file
    cannot be read as GeoJSON within `limits`."""
    text, encoding = decode_bytes(data)
    doc = _load(text)
    features = _feature_list(doc)
    if len(features) > limits.max_rows:
        raise ImportFailure(f"the file has more than {limits.max_rows:,} features (the limit; "
                            f"set {ENV_MAX_ROWS} to change it)")
    crs = declared_crs(doc)
    table = _Table(limits)
    for number, feature in enumerate(features, start=1):
        table.add(number, feature)
    if table.cells() > limits.max_cells:
        raise ImportFailure(f"the features make a table of more than {limits.max_cells:,} "
                            f"cells (features × property names; the limit; set {ENV_MAX_CELLS}"
                            " to change it)")
    found = table.result(crs)
    found.encoding = encoding.name
    found.warnings[:0] = encoding.warnings() + ([crs.warning()] if crs else [])
    return found


# ---------------------------------------------------------------- the document


def _load(text: str) -> object:
    """The parsed JSON. Integers too long for Python stay text (a property may hold one)."""
    try:
        with _json_depth(MAX_JSON_DEPTH):
            return json.loads(text, parse_int=_integer)
    except RecursionError:
        raise ImportFailure(f"the JSON is nested more than {MAX_JSON_DEPTH:,} levels deep (arrays"
                            " inside arrays): not a GeoJSON file a map needs") from None
    except ValueError as exc:  # JSONDecodeError is one
        where = (f" (line {exc.lineno:,}, column {exc.colno:,})"
                 if isinstance(exc, json.JSONDecodeError) else "")
        what = exc.msg if isinstance(exc, json.JSONDecodeError) else type(exc).__name__
        raise ImportFailure(f"not valid JSON: {what}{where}") from None


def _integer(digits: str) -> int | str:
    return int(digits) if len(digits) <= MAX_INT_DIGITS else digits


@contextmanager
def _json_depth(levels: int) -> Iterator[None]:
    """json's C parser counts nesting against the interpreter's recursion limit, so how deep
    a file could nest would depend on how deep the caller's stack is (the CLI and the data
    page would disagree). For the parse, the limit is the caller's depth + `levels`."""
    frame, depth = sys._getframe(), 0
    while frame is not None:
        frame, depth = frame.f_back, depth + 1
    before = sys.getrecursionlimit()
    sys.setrecursionlimit(max(before, depth + levels + 50))
    try:
        yield
    finally:
        sys.setrecursionlimit(before)


def _feature_list(doc: object) -> list:
    if isinstance(doc, dict) and doc.get("type") == "FeatureCollection":
        features = doc.get("features")
    elif isinstance(doc, dict) and doc.get("type") == "Feature":
        features = [doc]
    elif isinstance(doc, list):
        features = doc
    else:
        raise ImportFailure("JSON, but not a GeoJSON FeatureCollection or Feature")
    if not isinstance(features, list):
        raise ImportFailure("GeoJSON `features` is not a list")
    if not features:
        raise ImportFailure("the GeoJSON has no features")
    return features


def _short(value: object, limit: int = 60) -> str:
    """A value from the file, quoted and cut: a reason may name it, never dump it."""
    text = repr(value) if not isinstance(value, str) else value
    return repr(text if len(text) <= limit else text[: limit - 1] + "…")


# ---------------------------------------------------------------- coordinate reference system


@dataclass(frozen=True)
class Crs:
    """A declared CRS other than WGS84 longitude/latitude, and how to leave it."""

    label: str  # "EPSG:3857 (WGS 84 / Pseudo-Mercator)"
    to_wgs84: Callable[[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]

    def warning(self) -> str:
        return (f"The file's coordinates are in {self.label}: they were converted to WGS84 "
                "longitude/latitude.")


def declared_crs(doc: object) -> Crs | None:
    """The CRS of the 2008 `crs` member; None for WGS84 (EPSG:4326, CRS84) or none stated
    (RFC 7946: longitude, latitude in WGS84)."""
    member = doc.get("crs") if isinstance(doc, dict) else None
    if member is None:
        return None
    convert = "convert the file to WGS84 longitude/latitude"
    if not isinstance(member, dict):
        raise ImportFailure(f"the GeoJSON's `crs` member is not an object: {convert}")
    props = member.get("properties")
    props = props if isinstance(props, dict) else {}
    if member.get("type") == "link":
        raise ImportFailure(f"the GeoJSON links to its CRS ({_short(props.get('href'))}), which "
                            f"the atlas does not fetch: {convert}")
    name = props.get("name") if member.get("type") == "name" else None
    if not isinstance(name, str):
        raise ImportFailure(f"the GeoJSON's `crs` member names no CRS: {convert}")
    name = name.strip()
    if _CRS84.fullmatch(name):
        return None
    match = _EPSG.fullmatch(name) or _EPSG_URL.fullmatch(name)
    if match is None:
        raise ImportFailure(f"the GeoJSON declares the CRS {_short(name)}, which the atlas does "
                            f"not read (it reads EPSG codes, e.g. EPSG:3857): {convert}")
    code = int(match.group(1))
    return None if code == 4326 else _epsg(code, convert)


def _epsg(code: int, convert: str) -> Crs:
    """EPSG:`code` from pyproj's registry, with its transformation to WGS84 (x = longitude
    or easting, as GeoJSON orders positions)."""
    from pyproj import CRS, Transformer
    from pyproj.exceptions import CRSError

    try:
        crs = CRS.from_epsg(code)
    except CRSError:
        raise ImportFailure(f"the GeoJSON declares the CRS EPSG:{code}, which is not in the EPSG "
                            f"registry: check its `crs` member, or {convert}") from None
    if not (crs.is_geographic or crs.is_projected):
        raise ImportFailure(f"the GeoJSON declares EPSG:{code} ({crs.name}), which is not a "
                            f"CRS of places on a map: {convert}")
    transformer = Transformer.from_crs(crs, 4326, always_xy=True)
    return Crs(f"EPSG:{code} ({crs.name})", transformer.transform)


# ---------------------------------------------------------------- geometries


class Unusable(ValueError):
    """A feature that cannot be a row; the message is the reason the report gives."""


def _kind_of(value: object) -> str:
    """What a JSON value is, in words (never the value itself)."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    return {str: "a string", list: "a list", dict: "an object", int: "a number",
            float: "a number"}.get(type(value), type(value).__name__)


def geometry(value: object, depth: int = 0):
    """A GeoJSON geometry object as a point (x, y), a shapely geometry (lines, polygons,
    collections), or None (no location); Unusable when it is not valid GeoJSON."""
    if not isinstance(value, dict):
        raise Unusable(f"the geometry is {_kind_of(value)}, not a GeoJSON geometry object")
    kind = value.get("type")
    if kind == "GeometryCollection":
        return _collection(value.get("geometries"), depth)
    if kind not in NESTING:
        raise Unusable(f"unknown geometry type {_short(kind)}")
    if "coordinates" not in value:
        raise Unusable(f"a {kind} without coordinates")
    coordinates = _positions(value["coordinates"], NESTING[kind], kind)
    if kind == "Point":
        return coordinates
    _check_shape(kind, coordinates)
    if not coordinates:
        return None
    from shapely.geometry import shape

    return shape({"type": kind, "coordinates": coordinates})


def _collection(members: object, depth: int):
    from shapely import GeometryCollection, Point

    if not isinstance(members, list):
        raise Unusable("a GeometryCollection without a list of geometries")
    if depth >= MAX_COLLECTION_DEPTH:
        raise Unusable(f"geometry collections nested more than {MAX_COLLECTION_DEPTH} deep")
    parts = [geometry(member, depth + 1) for member in members]
    shapes = [Point(p) if isinstance(p, tuple) else p for p in parts if p is not None]
    return GeometryCollection(shapes) if shapes else None


def _positions(value: object, nesting: int, kind: str):
    """Coordinates as nested lists of (x, y) floats, checked at every level."""
    if nesting == 0:
        return _position(value, kind)
    if not isinstance(value, list):
        raise Unusable(f"the coordinates of a {kind} are {_kind_of(value)}, not a list")
    return [_positions(item, nesting - 1, kind) for item in value]


def _position(value: object, kind: str) -> tuple[float, float]:
    if not isinstance(value, list):
        what = "the coordinates of a Point are" if kind == "Point" else f"a position of a {kind} is"
        raise Unusable(f"{what} {_kind_of(value)}, not a list of numbers")
    if any(isinstance(v, list) for v in value):
        raise Unusable(f"the coordinates are nested deeper than a {kind}'s")
    if len(value) < 2:
        raise Unusable("a position needs two numbers (longitude, latitude)")
    if not all(type(v) in (int, float) for v in value):  # not bool, not str
        raise Unusable(f"coordinates are not numbers ({', '.join(_kind_of(v) for v in value[:3])})")
    try:
        x, y = float(value[0]), float(value[1])
    except OverflowError:
        x = y = math.inf
    if not (math.isfinite(x) and math.isfinite(y)):
        raise Unusable("coordinates are not finite numbers (NaN, infinite or too large)")
    return x, y


def _check_shape(kind: str, coordinates: list) -> None:
    """RFC 7946's rules that GEOS would not catch or would fix silently (rings are closed,
    lines have two positions)."""
    if kind in ("LineString", "MultiLineString"):
        lines = [coordinates] if kind == "LineString" else coordinates
        if any(len(line) < 2 for line in lines):
            raise Unusable("a line needs at least two positions")
    elif kind in ("Polygon", "MultiPolygon"):
        polygons = [coordinates] if kind == "Polygon" else coordinates
        for ring in (ring for polygon in polygons for ring in polygon):
            if len(ring) < 4:
                raise Unusable("a polygon ring needs at least four positions")
            if ring[0] != ring[-1]:
                raise Unusable("a polygon ring is not closed (its last position must be its "
                               "first)")


# ---------------------------------------------------------------- the table


class _Table:
    """Features read one by one: cells of the kept ones, their geometry, the rejected ones."""

    def __init__(self, limits: Limits):
        self.limits = limits
        self.keys: dict[str, None] = {}
        self.rows: list[dict[str, str]] = []
        self.lines: list[int] = []
        self.points: list[tuple[float, float] | None] = []  # a Point's (x, y), else None
        self.shapes: dict[int, object] = {}  # row index → shapely geometry
        self.rejected: list[dict] = []

    def add(self, number: int, feature: object) -> None:
        if not isinstance(feature, dict) or feature.get("type") != "Feature":
            self.rejected.append({"line": number, "reason": "not a GeoJSON Feature"})
            return
        try:
            found = geometry(feature["geometry"]) if feature.get("geometry") is not None \
                else None
            cells = self._cells(feature.get("properties"))
        except Unusable as exc:
            self.rejected.append({"line": number, "reason": str(exc)})
            return
        if isinstance(found, tuple):
            self.points.append(found)
        else:
            self.points.append(None)
            if found is not None:
                self.shapes[len(self.rows)] = found
        self.rows.append(cells)
        self.lines.append(number)

    def cells(self) -> int:
        return len(self.rows) * (len(self.keys) + 2)

    def _cells(self, props: object) -> dict[str, str]:
        """Property values as text, objects and lists as JSON; new names join the header."""
        if props is None:
            props = {}
        elif not isinstance(props, dict):
            props = {"properties": props}
        row = {key: _value_text(key, value) for key, value in props.items()}
        for key in row:
            if key not in self.keys:
                self.keys[key] = None
                if len(self.keys) + 2 > self.limits.max_columns:
                    raise ImportFailure(
                        f"the features have more than {self.limits.max_columns - 2:,} different "
                        f"property names; the limit is {self.limits.max_columns:,} columns (a "
                        f"register has a few dozen; set {ENV_MAX_COLUMNS} to change it)")
        return row

    def result(self, crs: Crs | None) -> Features:
        """The table, each row with its point in WGS84; rows whose geometry turns out
        unusable (out of range, invalid) join the rejected ones."""
        xy, kept = _Locator(self, crs).run()
        keys = list(self.keys)
        keep = np.flatnonzero(kept).tolist()
        records = [[self.rows[i].get(k, "") for k in keys] + _lat_lon(xy[i]) for i in keep]
        rejected = sorted(self.rejected, key=lambda r: r["line"])
        shaped = [self.lines[i] for i in keep if i in self.shapes]
        warnings = [_shape_warning(shaped)] if shaped else []
        return Features([*keys, LAT_COLUMN, LON_COLUMN], records,
                        [self.lines[i] for i in keep], rejected, warnings)


def _value_text(key: str, value: object) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, dict | list):
        if _deeper_than(value, MAX_VALUE_DEPTH):
            raise Unusable(f"property {_short(key)} is nested more than {MAX_VALUE_DEPTH} levels "
                           "deep")
        return json.dumps(value, ensure_ascii=False)
    return cell_text(value)


def cell_text(value: object) -> str:
    """A JSON scalar as a cell: '' for null, TRUE/FALSE, numbers without float noise."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float):
        return format(value, ".15g")
    return str(value)


def _deeper_than(value: object, limit: int) -> bool:
    """Whether arrays and objects nest more than `limit` levels in `value` (no recursion)."""
    stack = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if depth > limit:
            return True
        children = item.values() if isinstance(item, dict) else item
        stack.extend((c, depth + 1) for c in children if isinstance(c, dict | list))
    return False


def _lat_lon(point: np.ndarray) -> list[str]:
    if np.isnan(point[0]):
        return ["", ""]
    return [format(point[1], ".10g"), format(point[0], ".10g")]


def _shape_warning(lines: list[int]) -> str:
    listed = ", ".join(map(str, lines[:12])) + (f" and {len(lines) - 12:,} more"
                                                if len(lines) > 12 else "")
    return (f"{len(lines):,} feature(s) are lines, polygons or collections, not points: each is "
            f"placed at a point on it (shapely's representative point; feature {listed}).")


class _Locator:
    """Every kept row's point at once (numpy, shapely's vectorised functions): reprojected,
    ranges checked, shapes checked by GEOS and reduced to their representative point."""

    def __init__(self, table: _Table, crs: Crs | None):
        self.table, self.crs = table, crs
        self.xy = np.full((len(table.rows), 2), np.nan)  # NaN: no point
        for i, point in enumerate(table.points):
            if point is not None:
                self.xy[i] = point
        self.kept = np.ones(len(table.rows), dtype=bool)
        self.rows = list(table.shapes)
        self.shapes = np.array([table.shapes[i] for i in self.rows], dtype=object)

    def run(self) -> tuple[np.ndarray, np.ndarray]:
        """(x, y) of each row (NaN: none) and whether it is kept."""
        import shapely

        if self.crs is not None:
            self._reproject()
        bounds = shapely.bounds(self.shapes) if len(self.rows) else np.empty((0, 4))
        points_out = ~np.isnan(self.xy[:, 0]) & ~_in_range(self.xy[:, 0], self.xy[:, 1])
        shapes_out = ~np.isnan(bounds[:, 0]) & ~(_in_range(bounds[:, 0], bounds[:, 1])
                                                 & _in_range(bounds[:, 2], bounds[:, 3]))
        if self.crs is None:
            self._refuse_projected(points_out, shapes_out, bounds)
        for row in np.flatnonzero(points_out):
            self._reject(int(row), _range_reason(*self.xy[row], self.crs))
        self._place_shapes(bounds, shapes_out)
        return self.xy, self.kept

    def _reproject(self) -> None:
        import shapely

        has = ~np.isnan(self.xy[:, 0])
        if has.any():
            x, y = self.crs.to_wgs84(self.xy[has, 0], self.xy[has, 1])
            self.xy[has, 0], self.xy[has, 1] = x, y
        if len(self.rows):
            self.shapes = shapely.transform(self.shapes, self._transform)

    def _transform(self, coords: np.ndarray) -> np.ndarray:
        x, y = self.crs.to_wgs84(coords[:, 0], coords[:, 1])
        return np.column_stack([x, y])

    def _refuse_projected(self, points_out: np.ndarray, shapes_out: np.ndarray,
                          bounds: np.ndarray) -> None:
        """A file with no `crs` whose every geometry is out of range is in a projected CRS:
        refused, rather than every row rejected."""
        located = int((~np.isnan(self.xy[:, 0])).sum() + (~np.isnan(bounds[:, 0])).sum())
        if not located or int(points_out.sum() + shapes_out.sum()) < located:
            return
        x, y = (self.xy[np.flatnonzero(points_out)[0]] if points_out.any()
                else bounds[np.flatnonzero(shapes_out)[0], :2])
        raise ImportFailure(f"no feature has longitude/latitude coordinates (the first is at "
                            f"{x:,.0f}, {y:,.0f}: metres of a projected CRS?) and the file "
                            "declares no `crs`: declare it (e.g. EPSG:3857) or convert the "
                            "file to WGS84")

    def _place_shapes(self, bounds: np.ndarray, outside: np.ndarray) -> None:
        """Shapes out of range or invalid are rejected; the others give their point."""
        import shapely

        if not len(self.rows):
            return
        reasons = np.full(len(self.rows), VALID, dtype=object)
        reasons[~outside] = shapely.is_valid_reason(self.shapes[~outside])
        usable = (reasons == VALID) & ~outside
        points = np.full((len(self.rows), 2), np.nan)
        inner = shapely.point_on_surface(self.shapes[usable])  # empty for an empty shape
        points[usable] = np.column_stack([shapely.get_x(inner), shapely.get_y(inner)])
        for j, row in enumerate(self.rows):
            if outside[j]:
                self._reject(row, _range_reason(bounds[j, 0], bounds[j, 1], self.crs))
            elif not usable[j]:
                self._reject(row, f"invalid {self.shapes[j].geom_type}: {_cut(reasons[j])}")
            else:
                self.xy[row] = points[j]

    def _reject(self, row: int, reason: str) -> None:
        self.table.rejected.append({"line": self.table.lines[row], "reason": reason})
        self.kept[row] = False


def _in_range(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    return (np.abs(x) <= 180) & (np.abs(y) <= 90)


def _range_reason(x: float, y: float, crs: Crs | None) -> str:
    where = f" (after conversion from {crs.label})" if crs else ""
    return (f"coordinates out of range{where}: longitude {x:.6g}, latitude {y:.6g} (longitude "
            "must be within ±180, latitude within ±90)")


def _cut(text: str, limit: int = 80) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"
