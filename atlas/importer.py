"""Bring your own data: read a user's register, map its columns, validate, place and account.

Three steps, each usable on its own (the data page shows the result of each before the next):
1. `read_bytes` / `read_path`: sniff the format (CSV, XLSX, GeoJSON), the text encoding and the
   delimiter; every record becomes a row of text cells with its line (or sheet row, or feature)
   number. A file that cannot be read at all raises `ImportFailure` with a one-line reason.
2. `suggest_mapping`: which column holds the name, coordinates, region, themes... (the user
   corrects it before importing).
3. `run_import`: validate, place (coordinates, else the region named in the row), derive themes,
   find duplicates, and return schema rows plus a report. Every row read is either accepted or
   rejected with its line and reason: `accepted + rejected == read`, always.
"""

from __future__ import annotations

import codecs
import csv
import io
import json
import os
import re
import unicodedata
from collections import Counter
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import numpy as np
import pandas as pd
import shapely

from atlas import paths
from atlas import themes as th
from atlas.build import place
from atlas.layers import LAYERS
from atlas.placement import (
    FAR_OUTSIDE_DEG,
    MAX_FUZZY_VALUES,
    RegionIndex,
    Resolution,
    distance_to_country,
    key,
    parse_numbers,
    parse_pair,
    swapped,
)
from atlas.regions import MAX_NEAREST_DEG
from atlas.schema import conform
from atlas.sources import clean_url, coordinate_issue, normalise_country, skos_labels
from atlas.text import fold, fold_series

ENV_MAX_MB = "ATLAS_MAX_UPLOAD_MB"
ENV_MAX_ROWS = "ATLAS_MAX_ROWS"
DEFAULT_MAX_MB = 200
DEFAULT_MAX_ROWS = 1_000_000
MAX_CELL_CHARS = 10_000  # longer text is cut (with a warning): popups and exports stay usable
DUPLICATE_METRES = 100.0
FORMATS = ("csv", "xlsx", "geojson")
DELIMITERS = (",", ";", "\t", "|")
DELIMITER_NAMES = {",": "comma", ";": "semicolon", "\t": "tab", "|": "pipe"}
PLACEMENTS = ("point", "region_label_point", "none")


class ImportFailure(ValueError):
    """The file could not be read at all; the message is one line a user can act on."""


@dataclass(frozen=True)
class Limits:
    """Upload size and row limits, from ATLAS_MAX_UPLOAD_MB and ATLAS_MAX_ROWS."""

    max_bytes: int = DEFAULT_MAX_MB * 1_000_000
    max_rows: int = DEFAULT_MAX_ROWS

    @classmethod
    def from_env(cls) -> Limits:
        def number(name: str, default: float) -> float:
            try:
                value = float(os.environ.get(name, default))
            except ValueError:
                return default
            return value if value > 0 else default

        return cls(int(number(ENV_MAX_MB, DEFAULT_MAX_MB) * 1_000_000),
                   int(number(ENV_MAX_ROWS, DEFAULT_MAX_ROWS)))

    @property
    def max_mb(self) -> float:
        return self.max_bytes / 1_000_000

    def describe(self) -> str:
        return f"{self.max_mb:,.0f} MB and {self.max_rows:,} rows per file"


# ---------------------------------------------------------------- reading


@dataclass
class RawTable:
    """A file's records as text cells ("" when empty), before any interpretation."""

    format: str
    columns: list[str]
    cells: pd.DataFrame  # one row per record, one text column per header column
    lines: np.ndarray  # line (CSV), sheet row (XLSX) or feature number (GeoJSON) of each row
    rejected: list[dict] = field(default_factory=list)  # records unreadable as rows
    encoding: str | None = None
    delimiter: str | None = None
    sheet: str | None = None
    sheets: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    @property
    def read(self) -> int:
        return len(self.cells) + len(self.rejected)

    def describe(self) -> str:
        """'CSV, semicolon-separated, cp1252' — what was detected, for the report."""
        bits = [self.format.upper()]
        if self.delimiter:
            bits.append(f"{DELIMITER_NAMES.get(self.delimiter, self.delimiter)}-separated")
        if self.encoding:
            bits.append(self.encoding)
        if self.sheet:
            bits.append(f"sheet {self.sheet!r}")
        return ", ".join(bits)


BINARY_MAGIC = {
    b"%PDF": "a PDF document",
    b"\x89PNG": "a PNG image",
    b"\xff\xd8\xff": "a JPEG image",
    b"GIF8": "a GIF image",
    b"\x1f\x8b": "a gzip archive (unpack it first)",
    b"\xd0\xcf\x11\xe0": "an old Excel .xls file (save it as .xlsx or CSV)",
    b"7z\xbc\xaf": "a 7-Zip archive",
    b"Rar!": "a RAR archive",
    b"SQLite format 3": "an SQLite database",
}


def sniff_format(data: bytes, name: str = "") -> str:
    """csv, xlsx or geojson, from the bytes first and the file name second."""
    if data.startswith(b"PK\x03\x04"):
        return "xlsx"
    head = data[:64].lstrip(b"\xef\xbb\xbf \t\r\n")
    if head.startswith((b"{", b"[")) or name.lower().endswith((".geojson", ".json")):
        return "geojson"
    return "csv"


def decode(data: bytes) -> tuple[str, str]:
    """Text and the encoding used: BOMs first, then UTF-16 without BOM, UTF-8, CP1252, Latin-1."""
    for bom, encoding in ((codecs.BOM_UTF8, "utf-8-sig"), (codecs.BOM_UTF16_LE, "utf-16"),
                          (codecs.BOM_UTF16_BE, "utf-16")):  # fmt: skip
        if data.startswith(bom):
            try:
                return data.decode(encoding), "utf-8 (BOM)" if bom == codecs.BOM_UTF8 else "utf-16"
            except UnicodeDecodeError as exc:
                raise ImportFailure(f"the file starts like {encoding} but is not: {exc}") from exc
    sample = data[:4000]
    if len(sample) >= 4:
        odd_nuls, even_nuls = sample[1::2].count(0), sample[0::2].count(0)
        half = len(sample) // 2
        for nuls, other, encoding in ((odd_nuls, even_nuls, "utf-16-le"),
                                      (even_nuls, odd_nuls, "utf-16-be")):  # fmt: skip
            if nuls > 0.4 * half and other < 0.05 * half:
                try:
                    return data.decode(encoding), encoding
                except UnicodeDecodeError:
                    break
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("cp1252"), "cp1252"
    except UnicodeDecodeError:
        return data.decode("latin-1"), "latin-1"


def check_text(text: str) -> None:
    """Refuse binary data decoded as text (NUL bytes, many control characters)."""
    sample = text[:65536]
    if "\x00" in sample:
        raise ImportFailure("this is not a text table: it contains NUL bytes (binary data?)")
    controls = sum(1 for c in sample if unicodedata.category(c) == "Cc" and c not in "\t\r\n")
    if sample and controls > max(3, 0.01 * len(sample)):
        raise ImportFailure("this does not look like a text table (many control characters: "
                            "binary data, or an unsupported encoding)")


def sniff_delimiter(text: str) -> str:
    """The candidate delimiter that splits the first records into the most consistent columns."""
    sample = text[:65536]
    cut = max(sample.rfind("\n"), 0) if len(text) > len(sample) else len(sample)
    sample = sample[:cut] or sample
    best, best_score = ",", (-1.0, 0)
    for delimiter in DELIMITERS:
        try:
            records = [r for r in csv.reader(io.StringIO(sample, newline=""),
                                             delimiter=delimiter) if r][:50]
        except csv.Error:
            continue
        if not records or len(records[0]) < 2:
            continue
        width = len(records[0])
        consistent = sum(len(r) == width for r in records) / len(records)
        score = (consistent, width)
        if score > best_score:
            best, best_score = delimiter, score
    return best


def unique_columns(names: list[str]) -> tuple[list[str], list[str]]:
    """Header cells made unique and non-empty ('name', 'name (2)'), with a warning each."""
    out: list[str] = []
    warnings: list[str] = []
    seen: set[str] = set()
    for i, raw in enumerate(names, start=1):
        name = clean_text(raw) or f"column {i}"
        base, n = name, 1
        while name.casefold() in seen:
            n += 1
            name = f"{base} ({n})"
        if n > 1:
            warnings.append(f"Duplicate column name {base!r}: column {i} is called {name!r}.")
        seen.add(name.casefold())
        out.append(name)
    return out, warnings


def _table(fmt: str, header: list[str], records: list[list[str]], lines: list[int],
           rejected: list[dict], **extra) -> RawTable:
    """Pad short records, reject long ones, drop empty unnamed columns, dedupe the header."""
    columns, warnings = unique_columns(header)
    width = len(columns)
    rows, keep_lines = [], []
    for record, line in zip(records, lines, strict=True):
        if len(record) > width and any(c.strip() for c in record[width:]):
            rejected.append({"line": line, "reason": f"row has {len(record)} fields but the "
                             f"header has {width} (check the delimiter or quoting)"})
            continue
        rows.append((record + [""] * width)[:width])
        keep_lines.append(line)
    cells = pd.DataFrame(rows, columns=pd.Index(columns), dtype=object)
    empty = [c for i, c in enumerate(columns) if not clean_text(header[i] if i < len(header)
             else "") and not cells[c].astype(bool).any()]  # fmt: skip
    cells = cells.drop(columns=empty)
    if not len(cells.columns):
        raise ImportFailure("the file has no columns (no header, or an empty one)")
    warnings = [w for w in warnings if not any(repr(e) in w for e in empty)]
    table = RawTable(fmt, list(cells.columns), cells.reset_index(drop=True),
                     np.asarray(keep_lines, dtype=np.int64), rejected, warnings=warnings, **extra)
    if not table.read:
        table.warnings.append("The file has a header but no data rows.")
    return table


def read_csv_text(text: str, limits: Limits, delimiter: str | None = None) -> RawTable:
    """Records of a delimited text; quoted fields may hold delimiters and line breaks."""
    if not text.strip():
        raise ImportFailure("the file is empty")
    check_text(text)
    delimiter = delimiter or sniff_delimiter(text)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    header: list[str] | None = None
    records: list[list[str]] = []
    lines: list[int] = []
    rejected: list[dict] = []
    end = 0
    while True:
        start = end + 1
        try:
            record = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            rejected.append({"line": start, "reason": f"unreadable from here to the end of the "
                             f"file ({exc}): an unbalanced quote?"})
            break
        end = reader.line_num
        if not record or (len(record) == 1 and not record[0].strip()):
            continue  # blank line: not a record
        if header is None:
            header = record
            continue
        records.append(record)
        lines.append(start)
        if len(records) + len(rejected) > limits.max_rows:
            raise ImportFailure(f"the file has more than {limits.max_rows:,} rows (the limit; "
                                f"set {ENV_MAX_ROWS} to change it)")
    if header is None:
        raise ImportFailure("the file is empty")
    return _table("csv", header, records, lines, rejected, delimiter=delimiter)


def _cell_text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float):
        return format(value, ".15g")
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return str(value)


def read_xlsx(data: bytes, limits: Limits, sheet: str | None = None) -> RawTable:
    """One sheet of a workbook (the first with data unless `sheet` is given); rows numbered
    as in the spreadsheet. Formulas give their cached value, never run."""
    import zipfile

    from openpyxl import load_workbook

    try:
        wb = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError, TypeError) as exc:
        raise ImportFailure(f"not a readable XLSX workbook ({type(exc).__name__})") from exc
    try:
        names = list(wb.sheetnames)
        if sheet is not None and sheet not in names:
            raise ImportFailure(f"no sheet {sheet!r} in the workbook (sheets: {', '.join(names)})")
        order = [sheet] if sheet else names
        for name in order:
            header, records, lines = None, [], []
            for number, values in enumerate(
                wb[name].iter_rows(min_row=1, values_only=True), start=1
            ):
                cells = [_cell_text(v) for v in values]
                if not any(c.strip() for c in cells):
                    continue
                if header is None:
                    header = cells
                    continue
                records.append(cells)
                lines.append(number)
                if len(records) > limits.max_rows:
                    raise ImportFailure(f"the sheet has more than {limits.max_rows:,} rows (the "
                                        f"limit; set {ENV_MAX_ROWS} to change it)")
            if header is not None:
                return _table("xlsx", header, records, lines, [], sheet=name, sheets=names)
        raise ImportFailure(f"sheet {sheet!r} is empty" if sheet else "the workbook has no data")
    finally:
        wb.close()


def read_geojson(data: bytes, limits: Limits) -> RawTable:
    """Features' properties as columns, plus the point (polygons: a representative point)."""
    from shapely.geometry import shape

    text, _ = decode(data)
    try:
        doc = json.loads(text)
    except (json.JSONDecodeError, RecursionError) as exc:
        raise ImportFailure(f"not valid JSON: {exc}") from exc
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
    if len(features) > limits.max_rows:
        raise ImportFailure(f"the file has more than {limits.max_rows:,} features (the limit; "
                            f"set {ENV_MAX_ROWS} to change it)")
    keys: dict[str, None] = {}
    props_list, points, lines, rejected = [], [], [], []
    for number, feature in enumerate(features, start=1):
        if not isinstance(feature, dict) or feature.get("type") != "Feature":
            rejected.append({"line": number, "reason": "not a GeoJSON Feature"})
            continue
        props = feature.get("properties") or {}
        if not isinstance(props, dict):
            props = {"properties": props}
        row = {str(k): v if isinstance(v, str) else json.dumps(v, ensure_ascii=False)
               if isinstance(v, dict | list) else _cell_text(v) for k, v in props.items()}
        keys.update(dict.fromkeys(row))
        lat = lon = ""
        geometry = feature.get("geometry")
        if geometry:
            try:
                geom = shape(geometry)
                if not geom.is_empty:
                    point = geom if geom.geom_type == "Point" else geom.representative_point()
                    lon, lat = format(point.x, ".7g"), format(point.y, ".7g")
            except (ValueError, TypeError, KeyError, AttributeError, IndexError,
                    shapely.errors.GEOSException):  # fmt: skip
                pass
        props_list.append(row)
        points.append((lat, lon))
        lines.append(number)
    header = [*keys, "geometry latitude", "geometry longitude"]
    records = [[p.get(k, "") for k in keys] + [lat, lon] for p, (lat, lon)
               in zip(props_list, points, strict=True)]
    if not features:
        raise ImportFailure("the GeoJSON has no features")
    return _table("geojson", header, records, lines, rejected, encoding="utf-8")


def read_bytes(data: bytes, name: str = "", sheet: str | None = None,
               limits: Limits | None = None, delimiter: str | None = None) -> RawTable:
    """Any supported file as a RawTable; ImportFailure when it cannot be read at all."""
    limits = limits or Limits.from_env()
    if len(data) > limits.max_bytes:
        raise ImportFailure(f"the file is {len(data) / 1e6:,.1f} MB; the limit is "
                            f"{limits.max_mb:,.0f} MB (set {ENV_MAX_MB} to change it)")
    if not data.strip():
        raise ImportFailure("the file is empty")
    for magic, what in BINARY_MAGIC.items():
        if data.startswith(magic):
            raise ImportFailure(f"this is {what}, not a table (CSV, XLSX or GeoJSON)")
    fmt = sniff_format(data, name)
    if fmt == "xlsx":
        return read_xlsx(data, limits, sheet)
    if fmt == "geojson":
        return read_geojson(data, limits)
    text, encoding = decode(data)
    table = read_csv_text(text, limits, delimiter)
    table.encoding = encoding
    return table


def read_path(path: Path, sheet: str | None = None, limits: Limits | None = None) -> RawTable:
    """A file on disk, refused before reading when it is over the size limit."""
    limits = limits or Limits.from_env()
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise ImportFailure(f"cannot open {path}: {exc.strerror or exc}") from exc
    if size > limits.max_bytes:
        raise ImportFailure(f"the file is {size / 1e6:,.1f} MB; the limit is "
                            f"{limits.max_mb:,.0f} MB (set {ENV_MAX_MB} to change it)")
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise ImportFailure(f"cannot read {path}: {exc.strerror or exc}") from exc
    return read_bytes(data, path.name, sheet, limits)


# ---------------------------------------------------------------- column mapping

# field → what the user sees; `themes` may take several columns.
FIELDS: dict[str, str] = {
    "name": "Name (required)",
    "source_id": "Identifier in your register",
    "description": "Description",
    "lat": "Latitude",
    "lon": "Longitude",
    "coordinates": "Coordinates in one column (lat, lon)",
    "address": "Street address",
    "locality": "Town / city",
    "postcode": "Postcode",
    "region": "Region, province or its code (NUTS, ISO 3166-2)",
    "country": "Country",
    "themes": "Theme / category / sector columns",
    "legal_form": "Legal form",
    "org_structure": "Organisational structure",
    "website": "Website",
}
ALIASES: dict[str, tuple[str, ...]] = {
    "name": ("name", "nome", "nom", "nombre", "denominazione", "ragione sociale", "organisation",
             "organization", "organisation name", "organization name", "name of organisation",
             "initiative", "iniziativa", "title", "titolo", "bezeichnung", "entity", "ente"),
    "source_id": ("identifier", "id", "uid", "record id", "ref", "reference", "codice",
                  "identificativo", "fid", "objectid", "registration number"),
    "description": ("description", "descrizione", "desc", "about", "summary", "notes", "note",
                    "beschreibung", "descripcion"),
    "lat": ("lat", "latitude", "y", "geo container latitude", "latitudine", "latitud",
            "breitengrad", "lat wgs84", "latitude wgs84", "geometry latitude", "lat y",
            "y coordinate", "ycoord", "coord y", "geo lat", "lat dd"),
    "lon": ("lon", "lng", "long", "longitude", "x", "geo container longitude", "longitudine",
            "longitud", "langengrad", "lon wgs84", "longitude wgs84", "geometry longitude",
            "long x", "lon x", "x coordinate", "xcoord", "coord x", "geo lon", "geo lng"),
    "coordinates": ("coordinates", "coordinate", "coords", "latlon", "lat lon", "lat long",
                    "latlng", "geo", "location", "posizione", "geolocation", "wkt"),
    "address": ("street address", "address", "indirizzo", "adresse", "direccion", "street",
                "via", "addr street", "strasse"),
    "locality": ("locality", "city", "town", "comune", "citta", "ville", "ciudad", "ort",
                 "municipality", "localita", "addr city", "place", "gemeinde", "commune"),
    "postcode": ("postcode", "postal code", "post code", "zip", "zip code", "cap",
                 "code postal", "plz", "codigo postal"),
    "region": ("region", "regione", "province", "provincia", "state", "county", "nuts",
               "nuts code", "nuts2", "nuts 2", "nuts3", "nuts 3", "nuts id", "iso 3166 2",
               "territory", "departement", "bundesland", "comunidad autonoma", "provincia sigla",
               "admin1", "region name", "nome regione", "territory id"),
    "country": ("country", "country id", "country code", "paese", "nazione", "pays", "pais",
                "staat", "addr country", "iso country", "country name"),
    "themes": ("theme", "themes", "tema", "temi", "category", "categories", "categoria",
               "categorie", "sector", "settore", "type of initiative", "type", "tags",
               "activity", "attivita", "primary activity", "ownership classification"),
    "legal_form": ("legal form", "forma giuridica", "forme juridique", "rechtsform",
                   "forma juridica", "legal status", "legal entity type", "natura giuridica"),
    "org_structure": ("organisational structure", "organizational structure", "org structure"),
    "website": ("website", "web", "url", "sito", "sito web", "sito internet", "homepage",
                "site", "site web", "webseite", "contact website"),
}
# The ESSGlobal "standard" CSV (Digital Commons; the shipped Co-operatives UK file).
ESSGLOBAL_SIGNATURE = ("Identifier", "Name", "Primary Activity", "Organisational Structure",
                       "Geo Container Latitude")  # fmt: skip
ESSGLOBAL_THEMES = ("Sector", "Primary Activity", "Ownership Classification")
ESSGLOBAL_VOCABS = "essglobal-vocabularies/vocabs/standard"

Mapping = dict[str, object]  # field → column name (themes: list of column names) or None


def _numeric_share(values: pd.Series) -> float:
    sample = values.head(500)
    filled = sample[sample.astype(str).str.strip() != ""]
    if filled.empty:
        return 0.0
    return float(parse_numbers(filled).notna().mean())


def is_essglobal(columns: list[str]) -> bool:
    return all(c in columns for c in ESSGLOBAL_SIGNATURE)


def suggest_mapping(raw: RawTable) -> Mapping:
    """Best guess of the column for each field; exact (folded) names first, then partial."""
    keys = {c: key(c) for c in raw.columns}
    used: set[str] = set()
    out: Mapping = {f: None for f in FIELDS}
    out["themes"] = []
    if is_essglobal(raw.columns):
        out["themes"] = [c for c in ESSGLOBAL_THEMES if c in raw.columns]
        used.update(out["themes"])  # type: ignore[arg-type]
    for fld in FIELDS:
        aliases = ALIASES[fld]
        if fld == "themes":
            if not out["themes"]:
                hits = [c for c in raw.columns if keys[c] in aliases and c not in used]
                out["themes"] = hits[:3]
                used.update(hits[:3])
            continue
        candidates = [c for a in aliases for c in raw.columns if keys[c] == a and c not in used]
        if not candidates and fld not in ("lat", "lon", "source_id", "coordinates"):
            candidates = [c for a in aliases if len(a) > 3 for c in raw.columns
                          if c not in used and re.search(rf"\b{re.escape(a)}\b", keys[c])]
        if fld in ("lat", "lon"):
            candidates = candidates or [c for a in aliases if len(a) > 3 for c in raw.columns
                                        if c not in used and a in keys[c]]
            scored = [(_numeric_share(raw.cells[c]), -i) for i, c in enumerate(candidates)]
            if candidates:
                best = max(range(len(candidates)), key=lambda i: scored[i])
                candidates = [candidates[best]]
        if candidates:
            out[fld] = candidates[0]
            used.add(candidates[0])
    if bool(out["lat"]) != bool(out["lon"]):  # half a pair ("x" alone) is no suggestion
        out["lat"] = out["lon"] = None
    if out["lat"] and out["lon"]:
        out["coordinates"] = None
    return out


def check_mapping(raw: RawTable, mapping: Mapping) -> list[str]:
    """Problems that stop an import: unknown columns, no name column."""
    problems = []
    if not mapping.get("name"):
        shown = ", ".join(repr(c) for c in raw.columns[:12])
        problems.append(f"Choose the column that holds the initiatives' names (columns: {shown}"
                        f"{', …' if len(raw.columns) > 12 else ''}; CLI: --map name=COLUMN).")
    for fld, value in mapping.items():
        columns = value if isinstance(value, list) else [value]
        for column in columns:
            if column and column not in raw.columns:
                problems.append(f"{FIELDS.get(fld, fld)}: no column {column!r} in the file.")
    if bool(mapping.get("lat")) != bool(mapping.get("lon")):
        problems.append("Choose both a latitude and a longitude column (or neither).")
    return problems


# ---------------------------------------------------------------- themes


@lru_cache(maxsize=1)
def theme_lookup() -> dict[str, tuple[str, ...]]:
    """Folded category → theme ids (maybe none): theme ids and labels, SUSY tags (with their
    labels and aliases), Co-operatives UK sectors and ownership, ICA codes and labels."""
    out: dict[str, set[str]] = {}

    def add(label: str, themes: tuple[str, ...] | list[str]) -> None:
        k = key(label)
        if k:  # a known category without themes maps to ()
            out.setdefault(k, set()).update(themes)

    for theme in th.load_themes():
        add(theme.id, [theme.id])
        add(theme.label, [theme.id])
    tags = th.susy_tags()
    for tag, themes in tags.items():
        add(tag, themes)
    for tag, (label, _cat) in th.susy_tag_labels().items():
        add(label, tags.get(tag, ()))
    for alias, tag in th.susy_aliases().items():
        add(alias, tags.get(tag, ()))
    for name, column in (("coopsuk_sectors.csv", "sector"), ("coopsuk_ownership.csv",
                         "ownership"), ("ica_activities.csv", "code")):  # fmt: skip
        for category, themes in th.load_mapping(name, column).items():
            add(category, themes)
    with open(paths.TAXONOMY_DIR / "ica_activities.csv", newline="", encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            add(row["label"], th.load_mapping("ica_activities.csv", "code").get(row["code"], ()))
    order = th.theme_ids()
    return {k: tuple(t for t in order if t in v) for k, v in out.items()}


@lru_cache(maxsize=1)
def keyword_rules() -> tuple[tuple[str, tuple[str, ...]], ...]:
    """(folded keyword, themes) pairs from atlas/taxonomy/import_keywords.csv."""
    known = set(th.theme_ids())
    rules = []
    with open(paths.TAXONOMY_DIR / "import_keywords.csv", newline="", encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            themes = tuple(t.strip() for t in row["themes"].split(";") if t.strip())
            unknown = set(themes) - known
            if unknown:
                raise ValueError(f"import_keywords.csv: {row['keyword']!r} maps to unknown "
                                 f"theme(s) {sorted(unknown)}")
            rules.append((fold(row["keyword"]), themes))
    return tuple(rules)


# ---------------------------------------------------------------- validation and placement


@dataclass
class ImportOptions:
    """The user's choices for one import (all optional)."""

    dataset_id: str = "import"
    title: str = ""
    license: str = "not stated"
    attribution: str = ""
    country: str | None = None  # ISO alpha-2 of rows that state none
    swap_latlon: bool = False  # fix points flagged as swapped (else they are not used)
    merge_duplicates: bool = False  # keep (False) or merge duplicate rows
    region_choices: dict[str, str] = field(default_factory=dict)  # value → "layer:code" or ""
    accept_region_suggestions: bool = False  # take the first suggestion for unsure names
    keywords: frozenset[str] | None = None  # keyword rules the user accepted (None: none)


@dataclass
class ImportResult:
    """Accepted rows (schema columns) and everything the report shows."""

    rows: pd.DataFrame
    read: int
    rejections: list[dict]
    flagged: list[dict]
    duplicate_groups: list[dict]
    regions: list[dict]
    keyword_suggestions: list[dict]
    unmapped_themes: Counter
    warnings: list[str]
    source: RawTable
    mapping: Mapping
    options: ImportOptions

    @property
    def accepted(self) -> int:
        return len(self.rows)

    @property
    def rejected(self) -> int:
        return len(self.rejections)

    @property
    def duplicates(self) -> int:
        """Rows that repeat an earlier row (same source id, or same name within ~100 m)."""
        return sum(len(g["lines"]) - 1 for g in self.duplicate_groups)

    def placed(self) -> dict[str, int]:
        counts = self.rows["placement"].value_counts() if len(self.rows) else pd.Series()
        return {"coordinates": int(counts.get("point", 0)),
                "region": int(counts.get("region_label_point", 0)),
                "none": int(counts.get("none", 0))}

    def rejections_frame(self) -> pd.DataFrame:
        return pd.DataFrame(self.rejections, columns=["line", "reason"])

    def report(self) -> dict:
        """The validation report as plain JSON-able data (the CLI's --json output)."""
        return {
            "format": self.source.describe(),
            "read": self.read,
            "accepted": self.accepted,
            "rejected": self.rejected,
            "rejections": [{"line": int(r["line"]), "reason": r["reason"]}
                           for r in self.rejections],
            "placed": self.placed(),
            "flagged": self.flagged,
            "duplicates": self.duplicates,
            "duplicate_groups": self.duplicate_groups,
            "duplicates_merged": self.options.merge_duplicates,
            "regions": self.regions,
            "with_theme": int((self.rows["themes"].map(len) > 0).sum()) if len(self.rows) else 0,
            "unmapped_themes": dict(self.unmapped_themes.most_common(50)),
            "keyword_suggestions": self.keyword_suggestions,
            "mapping": self.mapping,
            "warnings": self.warnings,
            "dataset": {"id": self.options.dataset_id, "title": self.options.title,
                        "license": self.options.license},
        }


_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def clean_text(value: object) -> str:
    """Trimmed text without control characters (line breaks kept), cut at MAX_CELL_CHARS."""
    if not isinstance(value, str):
        return ""
    return _CONTROL.sub("", value).strip()[:MAX_CELL_CHARS]


def clean_series(values: pd.Series) -> pd.Series:
    """`clean_text` over a column of text cells, vectorised."""
    if values.empty:
        return values.astype(object)
    out = values.astype(object).where(values.notna(), "").astype(str)
    out = out.str.replace(_CONTROL, "", regex=True).str.strip().str.slice(0, MAX_CELL_CHARS)
    return out.astype(object)


def _column(raw: RawTable, mapping: Mapping, fld: str, ok: pd.Series) -> pd.Series:
    column = mapping.get(fld)
    if isinstance(column, str) and column in raw.cells:
        return clean_series(raw.cells.loc[ok, column])
    return pd.Series("", index=raw.cells.index[ok], dtype=object)


def _none(values: pd.Series) -> pd.Series:
    """'' → None, for schema text columns."""
    return values.where(values != "", None)


@lru_cache(maxsize=1)
def _vocab_labels() -> tuple[dict[str, str], dict[str, str]]:
    """ESSGlobal organisational-structure and ICA labels when the vocabularies are present."""
    folder = paths.SHARED_SOURCES / ESSGLOBAL_VOCABS
    try:
        return (skos_labels(folder / "organisational-structure.skos"),
                skos_labels(folder / "activities-ica.skos"))
    except (OSError, ValueError, SyntaxError):
        return {}, {}


def _code_label(values: pd.Series, labels: dict[str, str]) -> pd.Series:
    """URIs → the vocabulary label of their code (or the code when unknown)."""

    def one(text: str) -> str:
        if re.match(r"^https?://", text, re.I):
            code = text.rstrip("/").rsplit("/", 1)[-1]
            return labels.get(code, code)
        return text

    return values.map(one)


def run_import(raw: RawTable, mapping: Mapping, options: ImportOptions,
               layers: dict, index: RegionIndex | None = None) -> ImportResult:
    """Validate, place, theme and de-duplicate; every record ends accepted or rejected."""
    problems = check_mapping(raw, mapping)
    if problems:
        raise ImportFailure(" ".join(problems))
    index = index or RegionIndex(layers)
    cells = raw.cells
    lines = pd.Series(raw.lines, index=cells.index)
    rejections = list(raw.rejected)
    warnings = list(raw.warnings)

    every = pd.Series(True, index=cells.index)
    name = _column(raw, mapping, "name", every)
    stripped = cells.apply(lambda c: c.astype(str).str.strip()) if len(cells) else cells
    empty_row = (stripped == "").all(axis=1) if len(cells.columns) else every
    if len(cells) and int(cells.apply(lambda c: c.astype(str).str.len()).max().max()) \
            > MAX_CELL_CHARS:
        warnings.append(f"Some cells were longer than {MAX_CELL_CHARS:,} characters and were cut.")
    reason = pd.Series("", index=cells.index, dtype=object)
    reason[name == ""] = "no name"
    reason[empty_row] = "empty row"
    for i in np.flatnonzero(reason.to_numpy() != ""):
        rejections.append({"line": int(lines.iloc[i]), "reason": reason.iloc[i]})
    ok = reason == ""

    line = lines[ok]
    rows = pd.DataFrame({"line": line, "name": name[ok]}, index=cells.index[ok])
    text = {f: _column(raw, mapping, f, ok) for f in
            ("source_id", "description", "locality", "legal_form", "org_structure", "website",
             "region", "country")}
    org_labels, ica_labels = _vocab_labels()
    rows["description"] = _none(text["description"])
    rows["locality"] = _none(text["locality"])
    rows["legal_form"] = _none(text["legal_form"])
    rows["org_structure"] = _none(_code_label(text["org_structure"], org_labels))
    rows["website"] = text["website"].map(clean_url)
    given_id = text["source_id"]
    rows["source_id"] = given_id.where(given_id != "", "L" + line.astype(str))

    # Country: stated in the row, else the dataset default.
    lookup = {v: normalise_country(v) for v in pd.unique(text["country"]) if v}
    declared = text["country"].map(lambda v: lookup.get(v) if v else None)
    for value in sorted(v for v, iso in lookup.items() if iso is None)[:20]:
        warnings.append(f"Country {value!r} was not recognised (those rows keep no country).")
    if options.country:
        declared = declared.where(declared.notna(), options.country.upper())
    rows["country"] = declared.astype(object).where(declared.notna(), None)

    notes = pd.Series("", index=rows.index, dtype=object)
    lat, lon, issue = _coordinates(raw, mapping, ok, declared, options, layers, notes)
    rows["lat"], rows["lon"] = lat, lon
    has_point = lat.notna()

    # Points are placed like the shipped sources; rows without one by the region they name.
    rows["placement"] = pd.Series(np.where(has_point, "point", "none"), index=rows.index,
                                  dtype=object)
    for lid in layers:
        rows[LAYERS[lid].column] = None
    rows["region_match"] = pd.Series("no_point", index=rows.index, dtype=object)
    if has_point.any():
        located = place(rows.loc[has_point, ["lat", "lon", "country"]], layers)
        for column in located.columns.drop(["lat", "lon"]):
            rows.loc[has_point, column] = located[column].astype(object)
    regions = _place_by_region(rows, ~has_point, text["region"], declared, options, index,
                               issue)
    still = rows["placement"] == "none"
    rows.loc[still, "code_countries"] = rows.loc[still, "country"]
    rows["location_issue"] = issue.where(issue != "", None)
    flagged = _flags(rows, issue, notes, text["region"])

    # Themes from the theme columns, then the keywords the user accepted (rows still without).
    if mapping.get("themes"):
        parts = [_code_label(clean_series(cells.loc[rows.index, c]), {})
                 for c in mapping["themes"]]
        joined = parts[0]
        for part in parts[1:]:
            joined = joined.str.cat(part, sep="; ")
        rows["source_categories"] = _none(joined.str.strip("; "))
    themes, unmapped = _themes(raw, mapping, rows, ica_labels)
    suggestions = _keyword_suggestions(rows, themes)
    if options.keywords:
        themes = _apply_keywords(rows, themes, options.keywords)
    rows["themes"] = themes
    if is_essglobal(raw.columns):  # as the shipped Co-operatives UK rows: the ICA label
        rows["activity"] = _none(_code_label(clean_series(cells.loc[rows.index,
                                                                   "Primary Activity"]),
                                             ica_labels))

    rows, groups, merged = _duplicates(rows, given_id != "", options.merge_duplicates)
    rejections.extend(merged)
    rejections.sort(key=lambda r: r["line"])

    repeat = rows["source_id"].duplicated(keep="first")
    rows["id"] = options.dataset_id + ":" + rows["source_id"].astype(str)
    rows.loc[repeat, "id"] = rows.loc[repeat, "id"] + "@L" + rows.loc[repeat, "line"].astype(str)
    rows["source"] = options.dataset_id
    rows["license"] = options.license
    table = conform(rows.sort_values("line"))
    result = ImportResult(
        rows=table, read=raw.read, rejections=rejections, flagged=flagged,
        duplicate_groups=groups, regions=regions, keyword_suggestions=suggestions,
        unmapped_themes=unmapped, warnings=warnings, source=raw, mapping=mapping,
        options=options,
    )
    if result.accepted + result.rejected != result.read:
        raise RuntimeError(f"rows lost: {result.accepted} + {result.rejected} != {result.read}")
    return result


def _coordinates(raw, mapping, ok, declared, options, layers, notes):
    """Parsed, checked points (NaN where unusable) and why each unusable one is not used."""
    idx = raw.cells.index[ok]
    issue = pd.Series("", index=idx, dtype=object)
    if mapping.get("lat") and mapping.get("lon"):
        lat_text = _column(raw, mapping, "lat", ok)
        lon_text = _column(raw, mapping, "lon", ok)
        lat, lon = parse_numbers(lat_text), parse_numbers(lon_text)
        bad = ((lat_text != "") & lat.isna()) | ((lon_text != "") & lon.isna())
        issue[bad] = ("coordinates are not numbers: " + lat_text[bad].str[:40] + ", "
                      + lon_text[bad].str[:40])
        half = ((lat_text != "") != (lon_text != "")) & ~bad
        issue[half] = "only one of latitude and longitude is given"
    elif mapping.get("coordinates"):
        pairs = _column(raw, mapping, "coordinates", ok)
        parsed = pairs.map(parse_pair)
        lat = parsed.map(lambda p: p[0]).astype("float64")
        lon = parsed.map(lambda p: p[1]).astype("float64")
        bad = (pairs != "") & lat.isna()
        issue[bad] = "coordinates not understood: " + pairs[bad].str[:60]
    else:
        lat = pd.Series(np.nan, index=idx)
        lon = pd.Series(np.nan, index=idx)
    lat, lon = lat.astype("float64"), lon.astype("float64")
    both = lat.notna() & lon.notna()
    lat, lon = lat.where(both), lon.where(both)
    pair = "(lat " + lat.round(6).astype(str) + ", lon " + lon.round(6).astype(str) + ")"

    swap = swapped(lat, lon)
    if "countries" in layers:
        given = distance_to_country(lat, lon, declared, layers["countries"])
        turned = distance_to_country(lon, lat, declared, layers["countries"])
        swap |= (given > FAR_OUTSIDE_DEG) & (turned <= MAX_NEAREST_DEG)
    if options.swap_latlon:
        notes[swap] = "latitude and longitude were swapped, as you asked " + pair[swap]
        lat, lon = lat.where(~swap, lon), lon.where(~swap, lat)
    else:
        issue[swap] = "latitude and longitude look swapped " + pair[swap]
        lat, lon = lat.where(~swap), lon.where(~swap)
    checked = pd.Series(
        [coordinate_issue(a, b) if not np.isnan(a) else None
         for a, b in zip(lat.to_numpy(), lon.to_numpy(), strict=True)],
        index=idx, dtype=object,
    )
    wrong = checked.notna()
    issue[wrong & (issue == "")] = checked[wrong & (issue == "")]
    lat, lon = lat.where(~wrong), lon.where(~wrong)
    if "countries" in layers:
        distance = distance_to_country(lat, lon, declared, layers["countries"])
        far = distance > FAR_OUTSIDE_DEG
        if far.any():
            km = (distance[far] * 111).round(-1).astype(int).astype(str)
            issue[far] = ("point is about " + km + " km outside its declared country "
                          + declared[far].astype(str) + " " + pair[far])
            lat, lon = lat.where(~far), lon.where(~far)
    issue[(issue == "") & lat.isna()] = "no coordinates in source"
    return lat, lon, issue


def _place_by_region(rows, nopoint, region_text, declared, options, index, issue) -> list[dict]:
    """Rows without a point take their region's codes and label point; returns one report
    entry per distinct region value (matched, confirmed, suggested or unknown)."""
    todo = nopoint & (region_text != "")
    if not todo.any():
        return []
    pairs = pd.DataFrame({"value": region_text[todo], "country": declared[todo].fillna("")})
    counts = pairs.value_counts(sort=True)
    resolutions: dict[tuple[str, str], Resolution] = {}
    fuzzy_left = MAX_FUZZY_VALUES
    for (value, country), _n in counts.items():
        choice = options.region_choices.get(value)
        if choice is not None:
            region = index.region(choice) if choice else None
            resolutions[(value, country)] = Resolution(
                value, region, "confirmed" if region else "refused")
            continue
        res = index.resolve(value, country or None, fuzzy=fuzzy_left > 0)
        fuzzy_left -= res.region is None
        if res.region is None and options.accept_region_suggestions and res.suggestions:
            res = Resolution(value, res.suggestions[0], "suggestion accepted", res.suggestions)
        resolutions[(value, country)] = res
    report = [
        {"value": value, "country": country or None, "rows": int(n), "how": res.how,
         "region": res.region.ref if res.region else None,
         "label": res.region.label() if res.region else None,
         "suggestions": [{"region": s.ref, "label": s.label()} for s in res.suggestions]}
        for (value, country), n in counts.items()
        for res in [resolutions[(value, country)]]
    ]
    keys = pd.Series(list(zip(pairs["value"], pairs["country"], strict=True)), index=pairs.index)
    found = keys.map(lambda k: resolutions[k].region)
    for k, res in resolutions.items():
        if res.region is None:
            hint = (f"; suggestions: {', '.join(s.label() for s in res.suggestions[:3])}"
                    if res.suggestions else "")
            where = keys.index[(keys == k).to_numpy()] if len(resolutions) > 1 else keys.index
            issue[where] = issue[where] + f"; region {res.value!r} not recognised{hint}"
    for region in {r for r in found if r is not None}:
        where = found.index[(found == region).to_numpy()]
        for column, code in index.codes_for(region).items():
            rows.loc[where, column] = code
        rows.loc[where, "lat"], rows.loc[where, "lon"] = index.label_point(region)
        rows.loc[where, "placement"] = "region_label_point"
        rows.loc[where, "region_match"] = "region"
        no_country = rows.loc[where, "country"].isna()
        rows.loc[where[no_country.to_numpy()], "country"] = region.country
        issue[where] = issue[where] + f"; placed at the label point of {region.label()} " \
            "(approximate)"
    return sorted(report, key=lambda r: (r["region"] is not None, -r["rows"]))


def _flags(rows: pd.DataFrame, issue: pd.Series, notes: pd.Series,
           region_text: pd.Series) -> list[dict]:
    """Accepted rows the user should look at: a point not used, a region not recognised, no
    place at all, or a point fixed on request. A row simply placed by its region is fine."""
    placement = rows["placement"]
    plain = issue.str.startswith("no coordinates in source")
    unplaced = placement == "none"
    bad_point = ~plain & (issue != "")
    show = unplaced | bad_point | (notes != "")
    out = []
    for i in np.flatnonzero(show.to_numpy()):
        text = issue.iloc[i] or notes.iloc[i]
        if unplaced.iloc[i] and not region_text.iloc[i]:
            text += ("; no region either: counted for its country only" if rows["country"].iloc[i]
                     else "; no region or country either: not on the map")
        out.append({"line": int(rows["line"].iloc[i]), "issue": text,
                    "placement": placement.iloc[i]})
    return out


def _categories(cell: str, lookup: dict[str, tuple[str, ...]], ica_labels: dict[str, str]):
    """Themes and unknown categories of one cell: parts split on ; | and line breaks, then on
    commas only when a part as a whole is unknown (sector names contain commas). A category
    the taxonomy knows but gives no theme ("Other") is not reported as unknown."""

    def hit(part: str) -> tuple[str, ...] | None:
        found = lookup.get(key(part))
        return found if found is not None else lookup.get(key(ica_labels.get(part, "")))

    found: set[str] = set()
    missing: list[str] = []
    for part in split_categories(cell, ";|\n"):
        themes = hit(part)
        if themes is not None:
            found.update(themes)
            continue
        pieces = split_categories(part, ",")
        matched = [hit(p) for p in pieces]
        if len(pieces) > 1 and any(m is not None for m in matched):
            for piece, themes in zip(pieces, matched, strict=True):
                found.update(themes or ())
                if themes is None:
                    missing.append(piece)
        else:
            missing.append(part)
    return found, missing


def _themes(raw, mapping, rows, ica_labels):
    """Themes per row from the theme columns, and how many rows carry each unmatched category."""
    columns = mapping.get("themes") or []
    unmapped: Counter = Counter()
    if not columns or rows.empty:
        return [[] for _ in range(len(rows))], unmapped
    lookup = theme_lookup()
    order = th.theme_ids()
    combined = raw.cells.loc[rows.index, columns].astype(str).agg("\n".join, axis=1)
    cache: dict[str, tuple[list[str], list[str]]] = {}
    out = []
    for cell in combined:
        if cell not in cache:
            found, missing = _categories(cell, lookup, ica_labels)
            cache[cell] = ([t for t in order if t in found], missing)
        themes, missing = cache[cell]
        out.append(list(themes))
        unmapped.update(missing)
    return out, unmapped


def split_categories(cell: str, separators: str = ";|\n,") -> list[str]:
    """'A; B | C' → ['A', 'B', 'C']; an ESSGlobal URI → its code (last path segment)."""
    out = []
    for part in re.split(f"[{re.escape(separators)}]+", cell or ""):
        part = part.strip()
        if re.match(r"^https?://", part, re.I):
            part = part.rstrip("/").rsplit("/", 1)[-1]
        if part:
            out.append(part)
    return out


def _haystack(rows: pd.DataFrame) -> pd.Series:
    """Folded name, description and raw categories: where keywords are looked for."""
    out = fold_series(rows["name"].fillna("")) + " " + fold_series(rows["description"].fillna(""))
    if "source_categories" in rows:
        out = out + " " + fold_series(rows["source_categories"].fillna(""))
    return out


def _keyword_pattern(keyword: str) -> re.Pattern:
    return re.compile(rf"(?<!\w){re.escape(keyword)}")


def _keyword_suggestions(rows: pd.DataFrame, themes: list[list[str]]) -> list[dict]:
    """Keywords in the names, descriptions and categories of rows without a theme."""
    without = np.array([not t for t in themes], dtype=bool)
    if not without.any():
        return []
    hay = _haystack(rows[without])
    labels = th.theme_labels()
    out = []
    for keyword, kw_themes in keyword_rules():
        n = int(hay.str.contains(_keyword_pattern(keyword)).sum())
        if n:
            out.append({"keyword": keyword, "themes": list(kw_themes),
                        "theme_labels": [labels[t] for t in kw_themes], "rows": n})
    return sorted(out, key=lambda s: -s["rows"])


def _apply_keywords(rows, themes, accepted: frozenset[str]) -> list[list[str]]:
    """Themes of the accepted keywords, for rows that got none from their columns."""
    rules = [(k, t) for k, t in keyword_rules() if k in accepted]
    without = [i for i, t in enumerate(themes) if not t]
    if not rules or not without:
        return themes
    hay = _haystack(rows.iloc[without])
    order = th.theme_ids()
    found: dict[int, set[str]] = {i: set() for i in without}
    for keyword, kw_themes in rules:
        for pos in np.flatnonzero(hay.str.contains(_keyword_pattern(keyword)).to_numpy()):
            found[without[pos]].update(kw_themes)
    out = [list(t) for t in themes]
    for i, ts in found.items():
        out[i] = [t for t in order if t in ts]
    return out


def _close_pairs(lat: np.ndarray, lon: np.ndarray, metres: float) -> list[tuple[int, int]]:
    """Index pairs (i < j) of points within `metres` of each other, in blocks of 1,000."""
    out: list[tuple[int, int]] = []
    rad_lat, rad_lon = np.radians(lat), np.radians(lon)
    for start in range(0, len(lat), 1000):
        a = slice(start, start + 1000)
        dp = rad_lat[None, :] - rad_lat[a, None]
        dl = rad_lon[None, :] - rad_lon[a, None]
        h = (np.sin(dp / 2) ** 2
             + np.cos(rad_lat[a, None]) * np.cos(rad_lat[None, :]) * np.sin(dl / 2) ** 2)
        d = 2 * 6_371_000 * np.arcsin(np.sqrt(np.clip(h, 0, 1)))
        i, j = np.nonzero(d <= metres)
        i = i + start
        keep = i < j
        out.extend(zip(i[keep].tolist(), j[keep].tolist(), strict=True))
    return out


def _duplicates(rows: pd.DataFrame, has_id: pd.Series, merge: bool):
    """Groups of rows with the same source id, or the same name within ~100 m; merged into
    their first row when asked (the others become rejections saying where they went)."""
    n = len(rows)
    parent = np.arange(n)
    why: dict[int, str] = {}

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return int(i)

    def union(i: int, j: int, reason: str) -> None:
        ri, rj = find(i), find(j)
        if ri != rj:
            low, high = min(ri, rj), max(ri, rj)
            parent[high] = low
            why.setdefault(low, why.get(high, reason))

    positions = pd.Series(np.arange(n), index=rows.index)
    ids = rows["source_id"].where(has_id.to_numpy())
    repeated = ids.notna() & ids.duplicated(keep=False)
    for _sid, pos in positions[repeated].groupby(ids[repeated]):
        for j in pos.to_numpy()[1:]:
            union(int(pos.iloc[0]), int(j), "same source id")
    names = fold_series(rows["name"].fillna("")).to_numpy()
    lat = rows["lat"].to_numpy(dtype="float64")
    lon = rows["lon"].to_numpy(dtype="float64")
    same_name = pd.Series(names).duplicated(keep=False).to_numpy() & ~np.isnan(lat)
    placement = rows["placement"].to_numpy()
    for _name, pos in pd.Series(np.flatnonzero(same_name)).groupby(names[same_name]):
        pos = pos.to_numpy()
        for a, b in _close_pairs(lat[pos], lon[pos], DUPLICATE_METRES):
            i, j = int(pos[a]), int(pos[b])
            approximate = placement[i] != "point" or placement[j] != "point"
            union(i, j, "same name in the same region (no coordinates)" if approximate
                  else "same name within 100 m")
    roots = np.array([find(i) for i in range(n)], dtype=np.int64)
    line = rows["line"].to_numpy()
    groups, merged, drop = [], [], []
    sizes = np.bincount(roots, minlength=n) if n else np.array([], dtype=np.int64)
    in_group = sizes[roots] > 1 if n else np.array([], dtype=bool)
    for root, members in pd.Series(np.flatnonzero(in_group)).groupby(roots[in_group]):
        members = members.to_numpy()
        members = members[np.argsort(line[members], kind="stable")]
        reason = why.get(int(root), "duplicate")
        groups.append({"lines": [int(line[m]) for m in members], "reason": reason})
        if merge:
            _merge_into(rows, int(members[0]), members[1:])
            for m in members[1:]:
                drop.append(int(m))
                merged.append({"line": int(line[m]),
                               "reason": f"merged into line {int(line[members[0]])} ({reason})"})
    groups.sort(key=lambda g: g["lines"][0])
    if drop:
        rows = rows.drop(index=rows.index[drop])
    return rows, groups, merged


MERGE_TEXT = ("description", "locality", "legal_form", "org_structure", "website", "country")


def _merge_into(rows: pd.DataFrame, first: int, others: np.ndarray) -> None:
    """Fill the first row's empty fields from its duplicates; themes are united; a point
    beats an approximate placement."""
    target = rows.index[first]
    themes = set(rows.at[target, "themes"])
    location = [c for c in rows.columns if c.startswith("code_")] + [
        "lat", "lon", "placement", "region_match", "location_issue"]
    for other in others:
        src = rows.index[int(other)]
        for column in MERGE_TEXT:
            if pd.isna(rows.at[target, column]) and not pd.isna(rows.at[src, column]):
                rows.at[target, column] = rows.at[src, column]
        themes.update(rows.at[src, "themes"])
        if rows.at[target, "placement"] != "point" and rows.at[src, "placement"] == "point":
            for column in location:
                rows.at[target, column] = rows.at[src, column]
    rows.at[target, "themes"] = [t for t in th.theme_ids() if t in themes]


def slug(text: str) -> str:
    """A dataset id from its name: lower-case ASCII letters, digits and dashes."""
    folded = fold(text)
    out = re.sub(r"[^a-z0-9]+", "-", folded).strip("-")[:40].strip("-")
    return out or "import"


# ---------------------------------------------------------------- whole runs (CLI, tests)


def load_all_layers(geo_dir: Path | None = None) -> dict:
    """Every regional layer, as placement needs them."""
    from atlas.layers import LAYER_IDS
    from atlas.regions import load_layer

    return {lid: load_layer(lid, geo_dir) for lid in LAYER_IDS}


def import_path(path: Path, options: ImportOptions, *, sheet: str | None = None,
                overrides: Mapping | None = None, layers: dict | None = None,
                limits: Limits | None = None) -> ImportResult:
    """Read a file, map its columns (suggestions, then `overrides`), validate and place it."""
    raw = read_path(path, sheet, limits)
    mapping = suggest_mapping(raw)
    mapping.update(overrides or {})
    if mapping.get("lat") and mapping.get("lon"):
        mapping["coordinates"] = mapping.get("coordinates") if overrides and \
            overrides.get("coordinates") else None
    return run_import(raw, mapping, options, layers or load_all_layers())


def render_report(report: dict, limit: int = 20) -> str:
    """The report as text for a terminal: counts first, then the rows to look at."""
    placed = report["placed"]
    out = [
        f"format: {report['format']}",
        f"read {report['read']:,}, accepted {report['accepted']:,}, "
        f"rejected {report['rejected']:,}",
        f"placed: {placed['coordinates']:,} by coordinates, {placed['region']:,} by region "
        f"(approximate, at the region's label point), {placed['none']:,} not on the map",
        f"themes: {report['with_theme']:,} rows with at least one theme",
        f"duplicates: {report['duplicates']:,} "
        f"({'merged' if report['duplicates_merged'] else 'kept; --merge-duplicates merges'})",
    ]
    out += [f"warning: {w}" for w in report["warnings"]]
    sections = (
        ("rejected rows", [f"line {r['line']}: {r['reason']}" for r in report["rejections"]]),
        ("rows to check", [f"line {f['line']}: {f['issue']}" for f in report["flagged"]]),
        ("duplicates", [f"lines {', '.join(map(str, g['lines']))}: {g['reason']}"
                        for g in report["duplicate_groups"]]),
        ("region names not placed", [
            f"{r['value']!r} ({r['rows']} rows, {r['how']})"
            + (f"; suggestions: {', '.join(s['label'] for s in r['suggestions'][:3])}"
               if r["suggestions"] else "")
            for r in report["regions"] if not r["region"]]),
        ("keyword themes to review (--keyword-themes accepts them)", [
            f"{k['keyword']!r} → {', '.join(k['theme_labels'])} ({k['rows']} rows)"
            for k in report["keyword_suggestions"]]),
    )
    for title, items in sections:
        if items:
            out.append(f"{title} ({len(items):,}):")
            out += [f"  {item}" for item in items[:limit]]
            if len(items) > limit:
                out.append(f"  … {len(items) - limit:,} more (use --json for all)")
    return "\n".join(out)


def approximate_notes(rows: pd.DataFrame) -> pd.Series:
    """Popup note (plain text) for rows drawn at a region's label point; '' for the others."""
    if "placement" not in rows:
        return pd.Series("", index=rows.index, dtype=object)
    approx = rows["placement"] == "region_label_point"
    out = pd.Series("", index=rows.index, dtype=object)
    if approx.any():
        where = rows.loc[approx, "location_issue"].fillna("").str.extract(
            r"label point of (.*) \(approximate\)", expand=False).fillna("its region")
        out[approx] = "Approximate location: drawn at the label point of " + where
    return out
