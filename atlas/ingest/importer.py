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

The rules live in `ImportRun`, which takes the rows one block at a time: `run_import` gives it
the whole table as one block, `atlas.ingest.stream` a large CSV in pieces (the command line).
"""

from __future__ import annotations

import csv
import io
import re
import unicodedata
from collections import Counter
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import numpy as np
import pandas as pd

from atlas import paths
from atlas.geo.join import place
from atlas.geo.names import key
from atlas.geo.placement import (
    FAR_OUTSIDE_DEG,
    MAX_FUZZY_VALUES,
    RegionIndex,
    Resolution,
    distance_to_country,
    lone_points,
    parse_numbers,
    parse_pair,
    swapped,
)
from atlas.geo.regions import MAX_NEAREST_DEG
from atlas.ingest.duplicates import HashIndex, Links, merge, text_hashes
from atlas.ingest.encoding import decode_bytes
from atlas.ingest.errors import ImportFailure
from atlas.ingest.limits import ENV_MAX_MB, Limits
from atlas.ingest.limits import ENV_MAX_ROWS as ENV_MAX_ROWS  # re-exported
from atlas.ingest.values import clean_url, coordinate_issue, normalise_country, skos_labels
from atlas.model import themes as th
from atlas.model.layers import LAYERS
from atlas.model.schema import conform
from atlas.text import fold, fold_strings

MAX_CELL_CHARS = 10_000  # longer text is cut (with a warning): popups and exports stay usable
FORMATS = ("csv", "xlsx", "geojson")
NO_ROWS = "The file has a header but no data rows."
DELIMITERS = (",", ";", "\t", "|")
DELIMITER_NAMES = {",": "comma", ";": "semicolon", "\t": "tab", "|": "pipe"}
PLACEMENTS = ("point", "region_label_point", "none")


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


def decode(data: bytes, encoding: str | None = None) -> tuple[str, str]:
    """Text and the name of its encoding (atlas.ingest.encoding chooses it; `encoding`
    overrides). Use `decode_bytes` there to also get the lines that did not decode."""
    text, chosen = decode_bytes(data, encoding)
    return text, chosen.name


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


def cell_frame(columns: list[str], records: list[list[str]], lines: list[int],
               rejected: list[dict]) -> tuple[pd.DataFrame, np.ndarray]:
    """Records as text columns (Arrow strings): short ones padded, long ones rejected into
    `rejected` (extra empty fields are fine). Returns the cells and their lines."""
    width = len(columns)
    rows, keep_lines = [], []
    for record, line in zip(records, lines, strict=True):
        if len(record) > width and any(c.strip() for c in record[width:]):
            rejected.append({"line": line, "reason": f"row has {len(record)} fields but the "
                             f"header has {width} (check the delimiter or quoting)"})
            continue
        rows.append(record if len(record) == width else (record + [""] * width)[:width])
        keep_lines.append(line)
    values = list(zip(*rows, strict=True)) if rows else [()] * width
    cells = pd.DataFrame({i: pd.array(list(v), dtype="str") for i, v in enumerate(values)})
    cells.columns = pd.Index(columns)
    return cells, np.asarray(keep_lines, dtype=np.int64)


def _table(fmt: str, header: list[str], records: list[list[str]], lines: list[int],
           rejected: list[dict], **extra) -> RawTable:
    """Pad short records, reject long ones, drop empty unnamed columns, dedupe the header."""
    columns, warnings = unique_columns(header)
    cells, keep_lines = cell_frame(columns, records, lines, rejected)
    rejected.sort(key=lambda r: r["line"])  # unreadable records, then too-long ones: by line
    empty = [c for i, c in enumerate(columns) if not clean_text(header[i] if i < len(header)
             else "") and not (cells[c] != "").any()]  # fmt: skip
    cells = cells.drop(columns=empty)
    if not len(cells.columns):
        raise ImportFailure("the file has no columns (no header, or an empty one)")
    warnings = [w for w in warnings if not any(repr(e) in w for e in empty)]
    table = RawTable(fmt, list(cells.columns), cells, keep_lines, rejected, warnings=warnings,
                     **extra)
    if not table.read:
        table.warnings.append(NO_ROWS)
    return table


class CsvRecords:
    """(line, record, "") for each record that is not blank, numbered by the physical line it
    starts on (`lines` yields text lines with their endings, as a file opened with
    newline=""); (line, None, reason) for a line that cannot be a record.

    Python's csv module lets a quote opened and never closed on its line swallow the lines
    after it into one field, silently merging rows. A record is taken for such a runaway when
    one of its fields spans lines and a swallowed line holds a record of its own (at least
    `width - 1` delimiters; `width` is the header's, the first record's when not given). Its
    first line is then rejected with the reason, and the lines after it are read again as
    records; the same when csv gives up on a field (too long, or the file ends inside it).
    `replaying` tells a caller cutting the input into blocks that lines are still pending.
    """

    MAX_RECOVERIES = 10_000

    def __init__(self, lines, delimiter: str, first_line: int = 1, width: int | None = None):
        self.source = iter(lines)
        self.delimiter, self.width = delimiter, width
        self.next_line = first_line
        self.replay: list[str] = []
        self.recoveries = 0
        self.tape: _Tape | None = None
        self.restart = False  # a record was rejected: read on with a new csv reader

    @property
    def replaying(self) -> bool:
        """Lines read from the source are waiting to be read again as records."""
        return bool(self.replay) or (self.tape is not None and self.tape.pending())

    def __iter__(self):
        while True:
            tape = self.tape = _Tape(self.replay, self.source)
            self.replay, self.restart = [], False
            reader = csv.reader(tape, delimiter=self.delimiter)
            for item in self._records(reader, tape):
                yield item
                if self.restart:
                    break
            if not self.restart:
                return

    def _records(self, reader, tape: _Tape):
        while True:
            start = self.next_line
            try:
                record = next(reader)
            except StopIteration:
                return
            except csv.Error as exc:
                yield from self._recover(start, tape.take(), f"cannot be read ({exc})")
                return
            raw = tape.take()
            self.next_line = start + len(raw)
            if not record or (len(record) == 1 and not record[0].strip()):
                continue  # a blank line
            if self.width is None:
                self.width = len(record)
            elif len(raw) > 1 and self._runaway(record, raw):
                yield from self._recover(start, raw, "holds a quote that is not closed on "
                                         f"its line: lines {start}–{start + len(raw) - 1} "
                                         "would be read as one row")
                return
            yield start, record, ""

    def _runaway(self, record: list[str], raw: list[str]) -> bool:
        """A field spans lines and a line it swallowed looks like a record of its own."""
        if not any("\n" in f or "\r" in f for f in record):
            return False
        need = max(1, (self.width or 2) - 1)
        return any(line.count(self.delimiter) >= need for line in raw[1:])

    def _recover(self, start: int, raw: list[str], what: str):
        """Reject the first line; read the ones after it again (a bounded number of times).
        The state is set before the rejection is yielded: `__iter__` looks at it then."""
        self.recoveries += 1
        if self.recoveries > self.MAX_RECOVERIES or not raw:
            self.source = iter(())
            yield (start, None, f"line {start} {what}; too many such lines: the rest of the "
                   "file is not read (an unbalanced quote?)")
            return
        self.replay, self.restart = raw[1:], True
        self.next_line = start + 1
        yield start, None, f"line {start} {what}; fix the quote (the lines after it are read)"


class _Tape:
    """The lines handed to csv.reader, kept until the record they make is done: the replay
    first, then the source."""

    def __init__(self, replay: list[str], source):
        self.replay, self.at, self.source, self.kept = replay, 0, source, []

    def __iter__(self):
        return self

    def __next__(self) -> str:
        if self.at < len(self.replay):
            line = self.replay[self.at]
            self.at += 1
        else:
            line = next(self.source)
        self.kept.append(line)
        return line

    def pending(self) -> bool:
        return self.at < len(self.replay)

    def take(self) -> list[str]:
        out, self.kept = self.kept, []
        return out


def csv_records(lines, delimiter: str, first_line: int = 1,
                width: int | None = None) -> CsvRecords:
    """The records of delimited text lines (see CsvRecords)."""
    return CsvRecords(lines, delimiter, first_line, width)


def check_header(header: list[str], limits: Limits) -> list[str]:
    """The header record, refused when it has more columns than any register needs."""
    if len(header) > limits.max_columns:
        raise ImportFailure(limits.too_many_columns(len(header)))
    return header


def header_failure(head: str, reason: str, single_line: int | None = None) -> str:
    """Why the first record cannot be read, saying what the file looks like instead
    (`single_line`: the file's size in bytes when it has no line break at all)."""
    if single_line is not None:
        return (f"the file is a single line of {single_line / 1e6:,.1f} MB (no line break): "
                "this is not a table of rows (one CSV record per line)")
    first = head.split("\n", 1)[0].split("\r", 1)[0]
    if len(first) > 100_000:
        return (f"the first line is more than {100_000:,} characters long: this is not a "
                "table of rows (one CSV record per line)")
    return f"the header (first line) {reason.removeprefix('line 1 ')}"


def too_many_rows(limits: Limits) -> ImportFailure:
    return ImportFailure(limits.too_many_rows())


def read_csv_text(text: str, limits: Limits, delimiter: str | None = None) -> RawTable:
    """Records of a delimited text; quoted fields may hold delimiters and line breaks."""
    if not text.strip():
        raise ImportFailure("the file is empty")
    check_text(text)
    delimiter = delimiter or sniff_delimiter(text)
    header: list[str] | None = None
    records: list[list[str]] = []
    lines: list[int] = []
    rejected: list[dict] = []
    for line, record, reason in csv_records(io.StringIO(text, newline=""), delimiter):
        if record is None and header is None:
            one = None if "\n" in text or "\r" in text else len(text.encode("utf-8"))
            raise ImportFailure(header_failure(text, reason, one))
        if record is None:
            rejected.append({"line": line, "reason": reason})
        elif header is None:
            header = check_header(record, limits)
        else:
            records.append(record)
            lines.append(line)
            if len(records) + len(rejected) > limits.max_rows:
                raise too_many_rows(limits)
    if header is None:
        raise ImportFailure("the file is empty")
    return _table("csv", header, records, lines, rejected, delimiter=delimiter)


def read_xlsx(data: bytes, limits: Limits, sheet: str | None = None) -> RawTable:
    """One sheet of a workbook (the first with data unless `sheet` is given); rows numbered
    as in the spreadsheet. Formulas give their cached value, never run. The limits hold on
    what the file really holds (atlas.ingest.xlsx), never on what it claims."""
    from atlas.ingest import xlsx

    found = xlsx.read_sheet(data, limits, sheet)
    return _table("xlsx", found.header, found.records, found.lines, [], sheet=found.name,
                  sheets=found.names)


def read_geojson(data: bytes, limits: Limits) -> RawTable:
    """Features' properties as columns, plus the point: a Point's own, a line's or polygon's
    representative point (flagged in the warnings), reprojected from a declared CRS. Features
    that are not usable (invalid geometry, coordinates out of range) are rejected rows with
    their reason (atlas.ingest.geojson)."""
    from atlas.ingest import geojson

    found = geojson.read_features(data, limits)
    table = _table("geojson", found.header, found.records, found.lines, found.rejected,
                   encoding=found.encoding)
    table.warnings[:0] = found.warnings
    return table


def read_bytes(data: bytes, name: str = "", sheet: str | None = None,
               limits: Limits | None = None, delimiter: str | None = None,
               encoding: str | None = None) -> RawTable:
    """Any supported file as a RawTable; ImportFailure when it cannot be read at all.
    `encoding` overrides the detected text encoding of a CSV."""
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
    text, chosen = decode_bytes(data, encoding)
    table = read_csv_text(text, limits, delimiter)
    table.encoding = chosen.name
    table.warnings[:0] = chosen.warnings()
    return table


def read_path(path: Path, sheet: str | None = None, limits: Limits | None = None,
              encoding: str | None = None) -> RawTable:
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
    return read_bytes(data, path.name, sheet, limits, encoding=encoding)


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


def tally(rows: pd.DataFrame) -> Counter:
    """What the report counts about accepted rows: how many, how placed, with a theme."""
    out: Counter = Counter(accepted=len(rows))
    if len(rows):
        out.update({str(k): int(v) for k, v in rows["placement"].value_counts().items()})
        out["with_theme"] = int((rows["themes"].map(len) > 0).sum())
    return out


@dataclass
class ImportResult:
    """Accepted rows (schema columns) and everything the report shows.

    An import done in memory holds every accepted row in `rows`; a CSV streamed block by
    block (atlas.ingest.stream) writes them to `rows_file` instead and leaves `rows` empty.
    `counts` (see `tally`) is kept either way, so the report never needs the rows."""

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
    counts: Counter = field(default_factory=Counter)
    rows_file: Path | None = None

    @property
    def accepted(self) -> int:
        return self.counts["accepted"]

    @property
    def rejected(self) -> int:
        return len(self.rejections)

    @property
    def duplicates(self) -> int:
        """Rows that repeat an earlier row (same source id, or same name within ~100 m)."""
        return sum(len(g["lines"]) - 1 for g in self.duplicate_groups)

    def placed(self) -> dict[str, int]:
        return {"coordinates": self.counts["point"], "region": self.counts["region_label_point"],
                "none": self.counts["none"]}

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
            "with_theme": self.counts["with_theme"],
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
    """`clean_text` over a column of text cells, vectorised (Arrow strings out)."""
    if not isinstance(values.dtype, pd.StringDtype):
        values = values.astype(object).where(values.notna(), "").astype("str")
    out = values.fillna("")
    if out.str.contains(_CONTROL.pattern, regex=True).any():
        out = out.str.replace(_CONTROL.pattern, "", regex=True)
    return out.str.strip().str.slice(0, MAX_CELL_CHARS)


def _column(cells: pd.DataFrame, mapping: Mapping, fld: str) -> pd.Series:
    column = mapping.get(fld)
    if isinstance(column, str) and column in cells:
        return clean_series(cells[column])
    return pd.Series("", index=cells.index, dtype="str")


def _none(values: pd.Series) -> pd.Series:
    """'' → missing, for schema text columns (Arrow strings stay Arrow strings)."""
    return values.astype("str").where(values != "")


def _map_distinct(values: pd.Series, func) -> pd.Series:
    """`values.map(func)` (object values), calling `func` once per distinct value."""
    codes, uniques = pd.factorize(values)
    mapped = np.empty(len(uniques) + 1, dtype=object)
    for k, value in enumerate(uniques):  # one by one: tuples stay whole
        mapped[k] = func(value)
    if (codes < 0).any():  # code -1: a missing value
        mapped[-1] = func(None)
    return pd.Series(mapped[codes], index=values.index, dtype=object)


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
    uri = values.str.match(r"[hH][tT][tT][pP][sS]?://").fillna(False).to_numpy(dtype=bool)
    if not uri.any():
        return values

    def one(text: str) -> str:
        code = text.rstrip("/").rsplit("/", 1)[-1]
        return labels.get(code, code)

    out = values.astype(object)
    out[uri] = _map_distinct(values[uri], one).to_numpy()
    return out.astype("str")


def _long_cells(cells: pd.DataFrame) -> bool:
    """True when a cell is longer than MAX_CELL_CHARS (it will be cut)."""
    return any(len(cells) and int(cells[c].astype("str").str.len().max()) > MAX_CELL_CHARS
               for c in cells.columns)


def _blank(cells: pd.DataFrame) -> np.ndarray:
    """Rows whose every cell is empty or spaces."""
    out = np.ones(len(cells), dtype=bool)
    for c in cells.columns:
        out &= (cells[c].astype("str").fillna("").str.strip() == "").to_numpy(dtype=bool)
    return out


class ImportRun:
    """One import's rules, applied to its rows block by block.

    `run_import` passes a whole table as one block; `atlas.ingest.stream` passes a large CSV in
    pieces through the same `block()`, so there is one set of rules. What needs the whole
    file lives here between blocks, compactly: look-ups done once (countries, region names,
    theme cells), duplicate links and ids already used (atlas.ingest.duplicates), and the report.
    """

    def __init__(self, head: RawTable, mapping: Mapping, options: ImportOptions,
                 layers: dict, index: RegionIndex | None = None):
        problems = check_mapping(head, mapping)
        if problems:
            raise ImportFailure(" ".join(problems))
        self.mapping, self.options, self.layers = mapping, options, layers
        self.index = index or RegionIndex(layers)
        self.essglobal = is_essglobal(head.columns)
        self.read = 0
        self.rejections: list[dict] = []
        self.flagged: list[dict] = []
        self.cut = False
        self.countries: dict[str, str | None] = {}
        self.regions = _RegionPlacer(options, self.index)
        self.theme_cells: dict[str, tuple[list[str], list[str]]] = {}
        self.unmapped: Counter = Counter()
        self.keyword_rows: Counter = Counter()
        self.links = Links()
        self.ids = HashIndex()

    def block(self, raw: RawTable) -> pd.DataFrame:
        """Validate, place and theme one block. Returns its accepted rows (schema columns
        plus `line`, indexed by row number in the whole import, not merged yet); its
        rejections, flags and what the report counts stay in the run."""
        self.read += raw.read
        self.rejections.extend(raw.rejected)
        cells = raw.cells
        self.cut = self.cut or _long_cells(cells)
        name = _column(cells, self.mapping, "name")
        ok = (name != "").to_numpy(dtype=bool)
        bad = np.flatnonzero(~ok)
        if len(bad):
            blank = _blank(cells.iloc[bad])
            self.rejections += [{"line": int(line), "reason": "empty row" if b else "no name"}
                                for line, b in zip(raw.lines[bad], blank, strict=True)]
            cells, name = cells[ok], name[ok]
        lines = raw.lines[ok]
        rows = pd.DataFrame({"line": lines, "name": name.astype(object)}, index=cells.index)
        text = {f: _column(cells, self.mapping, f) for f in
                ("source_id", "description", "locality", "legal_form", "org_structure",
                 "website", "region", "country")}
        org_labels, ica_labels = _vocab_labels()
        rows["description"] = _none(text["description"])
        rows["locality"] = _none(text["locality"])
        rows["legal_form"] = _none(text["legal_form"])
        rows["org_structure"] = _none(_code_label(text["org_structure"], org_labels))
        rows["website"] = _map_distinct(text["website"], clean_url)
        given_id = text["source_id"]
        rows["source_id"] = given_id.where(given_id != "", "L" + rows["line"].astype("str"))
        rows["source_id"] = rows["source_id"].astype(object)
        declared = self._countries(text["country"])
        rows["country"] = declared
        self._place(rows, cells, text["region"], declared)
        self._theme(rows, cells, ica_labels)
        rows.index = self._link(rows, (given_id != "").to_numpy(dtype=bool))
        self._ids(rows)
        rows["source"] = self.options.dataset_id
        rows["license"] = self.options.license
        return rows

    def _countries(self, values: pd.Series) -> pd.Series:
        """ISO codes of the stated countries (each distinct value looked up once per
        import), else the dataset default."""
        for value in pd.unique(values):
            if value and value not in self.countries:
                self.countries[value] = normalise_country(value)
        declared = _map_distinct(values, lambda v: self.countries.get(v) if v else None)
        if self.options.country:
            declared = declared.where(declared.notna(), self.options.country.upper())
        return declared.astype(object).where(declared.notna(), None)

    def _place(self, rows: pd.DataFrame, cells: pd.DataFrame, region_text: pd.Series,
               declared: pd.Series) -> None:
        """Points are placed like the shipped sources; rows without one by the region they
        name. Adds the location columns and the rows to check."""
        notes = pd.Series("", index=rows.index, dtype=object)
        lat, lon, issue = _coordinates(cells, self.mapping, declared, self.options,
                                       self.layers, notes)
        rows["lat"], rows["lon"] = lat, lon
        has_point = lat.notna()
        rows["placement"] = pd.Series(np.where(has_point, "point", "none"), index=rows.index,
                                      dtype=object)
        rows["placed_in"] = pd.Series(None, index=rows.index, dtype=object)
        for lid in self.layers:
            rows[LAYERS[lid].column] = None
        rows["region_match"] = pd.Series("no_point", index=rows.index, dtype=object)
        if has_point.any():
            located = place(rows.loc[has_point, ["lat", "lon", "country"]], self.layers,
                            self.index.spatial())
            for column in located.columns.drop(["lat", "lon"]):
                rows.loc[has_point, column] = located[column].astype(object)
        self.regions.place(rows, ~has_point, region_text, declared, issue)
        still = rows["placement"] == "none"
        rows.loc[still, "code_countries"] = rows.loc[still, "country"]
        rows["location_issue"] = issue.where(issue != "", None)
        self.flagged += _flags(rows, issue, notes, region_text)

    def _theme(self, rows: pd.DataFrame, cells: pd.DataFrame, ica_labels: dict) -> None:
        """Themes from the theme columns, then the keywords the user accepted (rows still
        without); the raw categories and, for ESSGlobal files, the ICA activity label."""
        columns = self.mapping.get("themes") or []
        if columns:
            parts = [_code_label(clean_series(cells[c]), {}) for c in columns]
            joined = parts[0]
            for part in parts[1:]:
                joined = joined.str.cat(part, sep="; ")
            rows["source_categories"] = _none(joined.str.strip("; "))
        themes = self._themes(cells, columns, ica_labels)
        self.keyword_rows.update(_keyword_counts(rows, themes))
        if self.options.keywords:
            themes = _apply_keywords(rows, themes, self.options.keywords)
        rows["themes"] = themes
        if self.essglobal:  # as the shipped Co-operatives UK rows: the ICA label
            rows["activity"] = _none(_code_label(clean_series(cells["Primary Activity"]),
                                                 ica_labels))

    def _themes(self, cells: pd.DataFrame, columns: list[str], ica_labels: dict) -> np.ndarray:
        """Themes per row (lists, shared between equal cells); unmatched categories counted."""
        out = np.empty(len(cells), dtype=object)
        if not columns or cells.empty:
            for i in range(len(cells)):
                out[i] = []
            return out
        combined = cells[columns[0]].astype("str")
        for column in columns[1:]:
            combined = combined.str.cat(cells[column].astype("str"), sep="\n")
        codes, uniques = pd.factorize(combined)
        lookup, order = theme_lookup(), th.theme_ids()
        if len(self.theme_cells) > 200_000:  # free-text categories: keep the cache bounded
            self.theme_cells.clear()
        found = np.empty(len(uniques), dtype=object)
        for k, cell in enumerate(uniques):
            if cell not in self.theme_cells:
                hits, missing = _categories(cell, lookup, ica_labels)
                self.theme_cells[cell] = ([t for t in order if t in hits], missing)
            found[k] = self.theme_cells[cell][0]
        for k, n in enumerate(np.bincount(codes, minlength=len(uniques))):
            for category in self.theme_cells[uniques[k]][1]:
                self.unmapped[category] += int(n)
        return found[codes]

    def _link(self, rows: pd.DataFrame, has_id: np.ndarray) -> np.ndarray:
        """Duplicate links of the block's rows; returns their row numbers in the import."""
        return self.links.add_block(
            rows["line"].to_numpy(dtype=np.int64), text_hashes(rows["source_id"]), has_id,
            text_hashes(fold_strings(rows["name"])), rows["lat"].to_numpy(dtype="float64"),
            rows["lon"].to_numpy(dtype="float64"), (rows["placement"] == "point").to_numpy())

    def _ids(self, rows: pd.DataFrame) -> None:
        """`<dataset>:<source id>`; a source id already used (in this block or before) gets
        `@L<line>` so ids stay unique."""
        hashes = text_hashes(rows["source_id"])
        repeat = (self.ids.first(hashes, "row") >= 0) | pd.Series(hashes).duplicated().to_numpy()
        self.ids.add(hashes[~repeat], row=rows.index.to_numpy()[~repeat])
        ids = self.options.dataset_id + ":" + rows["source_id"].astype(str)
        ids[repeat] = ids[repeat] + "@L" + rows.loc[repeat, "line"].astype(str)
        rows["id"] = ids.astype(object)

    def merge(self, rows: pd.DataFrame) -> pd.DataFrame:
        """Duplicates merged into their first row, when asked (rows of the whole import)."""
        if not self.options.merge_duplicates:
            return rows
        rows, merged = merge(rows, self.links.groups())
        self.rejections += merged
        return rows

    def result(self, source: RawTable, rows: pd.DataFrame | None = None,
               counts: Counter | None = None, rows_file: Path | None = None) -> ImportResult:
        """The report of the whole import; checks that every row read is accounted for."""
        warnings = list(source.warnings)
        if not self.read and NO_ROWS not in warnings:
            warnings.append(NO_ROWS)
        if self.cut:
            warnings.append(f"Some cells were longer than {MAX_CELL_CHARS:,} characters and "
                            "were cut.")
        for value in sorted(v for v, iso in self.countries.items() if iso is None)[:20]:
            warnings.append(f"Country {value!r} was not recognised (those rows keep no country).")
        labels = th.theme_labels()
        suggestions = sorted(
            ({"keyword": k, "themes": list(t), "theme_labels": [labels[x] for x in t],
              "rows": self.keyword_rows[k]} for k, t in keyword_rules() if self.keyword_rows[k]),
            key=lambda s: -s["rows"])
        self.rejections.sort(key=lambda r: r["line"])
        if rows is None:
            rows = conform(pd.DataFrame())
        result = ImportResult(
            rows=rows, read=self.read, rejections=self.rejections, flagged=self.flagged,
            duplicate_groups=[g.report() for g in self.links.groups()],
            regions=self.regions.report(), keyword_suggestions=suggestions,
            unmapped_themes=self.unmapped, warnings=warnings, source=source,
            mapping=self.mapping, options=self.options,
            counts=tally(rows) if counts is None else counts, rows_file=rows_file,
        )
        if result.accepted + result.rejected != result.read:
            raise RuntimeError(f"rows lost: {result.accepted} + {result.rejected} != "
                               f"{result.read}")
        return result


def run_import(raw: RawTable, mapping: Mapping, options: ImportOptions,
               layers: dict, index: RegionIndex | None = None) -> ImportResult:
    """Validate, place, theme and de-duplicate; every record ends accepted or rejected."""
    run = ImportRun(raw, mapping, options, layers, index)
    rows = run.merge(run.block(raw))
    return run.result(raw, conform(rows.sort_values("line")))


def _pair_text(lat: pd.Series, lon: pd.Series) -> pd.Series:
    return "(lat " + lat.round(6).astype(str) + ", lon " + lon.round(6).astype(str) + ")"


def _coordinates(cells, mapping, declared, options, layers, notes):
    """Parsed, checked points (NaN where unusable) and why each unusable one is not used."""
    idx = cells.index
    issue = pd.Series("", index=idx, dtype=object)
    if mapping.get("lat") and mapping.get("lon"):
        lat_text = _column(cells, mapping, "lat")
        lon_text = _column(cells, mapping, "lon")
        lat, lon = parse_numbers(lat_text), parse_numbers(lon_text)
        bad = ((lat_text != "") & lat.isna()) | ((lon_text != "") & lon.isna())
        if bad.any():
            issue[bad] = ("coordinates are not numbers: " + lat_text[bad].str[:40] + ", "
                          + lon_text[bad].str[:40]).astype(object)
        half = ((lat_text != "") != (lon_text != "")) & ~bad
        issue[half] = "only one of latitude and longitude is given"
    elif mapping.get("coordinates"):
        pairs = _column(cells, mapping, "coordinates")
        parsed = _map_distinct(pairs, parse_pair)
        lat = parsed.map(lambda p: p[0]).astype("float64")
        lon = parsed.map(lambda p: p[1]).astype("float64")
        bad = (pairs != "") & lat.isna()
        if bad.any():
            issue[bad] = ("coordinates not understood: " + pairs[bad].str[:60]).astype(object)
    else:
        lat = pd.Series(np.nan, index=idx)
        lon = pd.Series(np.nan, index=idx)
    lat, lon = lat.astype("float64"), lon.astype("float64")
    both = lat.notna() & lon.notna()
    lat, lon = lat.where(both), lon.where(both)
    lat0, lon0 = lat, lon  # as given: the messages quote them

    countries = layers.get("countries")
    swap = swapped(lat, lon)
    given = None
    if countries is not None:
        given = distance_to_country(lat, lon, declared, countries)
        far = given > FAR_OUTSIDE_DEG  # only there can turning the pair round help
        if far.any():
            turned = distance_to_country(lon[far], lat[far], declared[far], countries)
            swap[far] |= turned <= MAX_NEAREST_DEG
    if swap.any():
        pair = _pair_text(lat[swap], lon[swap])
        if options.swap_latlon:
            notes[swap] = "latitude and longitude were swapped, as you asked " + pair
        else:
            issue[swap] = "latitude and longitude look swapped " + pair
    if options.swap_latlon:
        lat, lon = lat.where(~swap, lon), lon.where(~swap, lat)
    else:
        lat, lon = lat.where(~swap), lon.where(~swap)
    fine = lat.between(-90, 90) & lon.between(-180, 180) & ~((lat == 0) & (lon == 0))
    maybe = lat.notna() & ~fine  # coordinate_issue has the rule and the wording
    wrong = pd.Series(False, index=idx)
    if maybe.any():
        checked = pd.Series([coordinate_issue(a, b) for a, b in
                             zip(lat[maybe].to_numpy(), lon[maybe].to_numpy(), strict=True)],
                            index=lat.index[maybe], dtype=object)
        wrong[checked.index] = checked.notna()
        first = checked.notna() & (issue[checked.index] == "")
        issue[first.index[first]] = checked[first]
    lat, lon = lat.where(~wrong), lon.where(~wrong)
    if given is not None:
        distance = given.copy()
        moved = swap & lat.notna() if options.swap_latlon else swap & False
        if moved.any():
            distance[moved] = distance_to_country(lat[moved], lon[moved], declared[moved],
                                                  countries)
        distance[lat.isna()] = np.nan
        far = distance > FAR_OUTSIDE_DEG
        if far.any():
            km = (distance[far] * 111).round(-1).astype(int).astype(str)
            issue[far] = ("point is about " + km + " km outside its declared country "
                          + declared[far].astype(str) + " " + _pair_text(lat0[far], lon0[far]))
            lat, lon = lat.where(~far), lon.where(~far)
    if countries is not None:
        lone = lone_points(lat, lon, declared.isna(), countries)
        alone = lone.notna()
        if alone.any():
            km = (lone[alone] * 111).round(-2).astype(int).astype(str)
            issue[alone] = ("point " + _pair_text(lat0[alone], lon0[alone]) + " is in no "
                            "country and about " + km + " km from every other point of the "
                            "file: not used (swapped latitude and longitude? give the row a "
                            "country to check it)")
            lat, lon = lat.where(~alone), lon.where(~alone)
    issue[(issue == "") & lat.isna()] = "no coordinates in source"
    return lat, lon, issue


class _RegionPlacer:
    """Rows without a point take the codes and label point of the region they name. Each
    distinct (value, country) is resolved once per import, most frequent first (fuzzy
    matching has a budget), however many blocks it appears in; rows are counted for the
    report."""

    def __init__(self, options: ImportOptions, index: RegionIndex):
        self.options, self.index = options, index
        self.resolved: dict[tuple[str, str], Resolution] = {}
        self.rows: Counter = Counter()  # first seen first
        self.fuzzy_left = MAX_FUZZY_VALUES
        self._codes: dict[str, dict[str, str]] = {}

    def _resolve(self, value: str, country: str) -> Resolution:
        choice = self.options.region_choices.get(value)
        if choice is not None:
            region = self.index.region(choice) if choice else None
            return Resolution(value, region, "confirmed" if region else "refused")
        res = self.index.resolve(value, country or None, fuzzy=self.fuzzy_left > 0)
        self.fuzzy_left -= res.region is None
        if res.region is None and self.options.accept_region_suggestions and res.suggestions:
            res = Resolution(value, res.suggestions[0], "suggestion accepted", res.suggestions)
        return res

    def place(self, rows, nopoint, region_text, declared, issue) -> None:
        todo = (nopoint & (region_text != "")).to_numpy(dtype=bool)
        if not todo.any():
            return
        where = rows.index[todo]
        pairs = (region_text[todo].astype(str) + "\x1f"
                 + declared[todo].fillna("").astype(str))  # no control characters in values
        codes, uniques = pd.factorize(pairs)
        counts = np.bincount(codes, minlength=len(uniques))
        keys = [tuple(u.rsplit("\x1f", 1)) for u in uniques]
        for k in np.argsort(-counts, kind="stable"):
            if keys[k] not in self.resolved:
                self.resolved[keys[k]] = self._resolve(*keys[k])
        for pair, n in zip(keys, counts, strict=True):
            self.rows[pair] += int(n)
        res = [self.resolved[k] for k in keys]
        suffix = np.array([self._issue(r) for r in res], dtype=object)
        issue[where] = issue[where].to_numpy(dtype=object) + suffix[codes]
        found = np.array([r.region is not None for r in res])[codes]
        if not found.any():
            return
        hit, hit_codes = where[found], codes[found]
        regions = [r.region for r in res]
        for column in {c for r in regions if r for c in self._codes_for(r)}:
            values = np.array([self._codes_for(r).get(column) if r else None for r in regions],
                              dtype=object)
            rows.loc[hit, column] = values[hit_codes]
        label = np.array([self.index.label_point(r) if r else (np.nan, np.nan)
                          for r in regions], dtype="float64").reshape(-1, 2)
        rows.loc[hit, "lat"] = label[hit_codes, 0]
        rows.loc[hit, "lon"] = label[hit_codes, 1]
        rows.loc[hit, "placement"] = "region_label_point"
        rows.loc[hit, "placed_in"] = np.array([r.label() if r else None for r in regions],
                                              dtype=object)[hit_codes]
        rows.loc[hit, "region_match"] = "region"
        country = np.array([r.country if r else None for r in regions], dtype=object)
        no_country = rows.loc[hit, "country"].isna().to_numpy()
        rows.loc[hit[no_country], "country"] = country[hit_codes[no_country]]

    def _codes_for(self, region) -> dict[str, str]:
        if region.ref not in self._codes:
            self._codes[region.ref] = self.index.codes_for(region)
        return self._codes[region.ref]

    @staticmethod
    def _issue(res: Resolution) -> str:
        if res.region is not None:
            return f"; placed at the label point of {res.region.label()} (approximate)"
        hint = (f"; suggestions: {', '.join(s.label() for s in res.suggestions[:3])}"
                if res.suggestions else "")
        return f"; region {res.value!r} not recognised{hint}"

    def report(self) -> list[dict]:
        """One entry per distinct region value: unplaced first, then by rows."""
        out = [
            {"value": value, "country": country or None, "rows": n, "how": res.how,
             "region": res.region.ref if res.region else None,
             "label": res.region.label() if res.region else None,
             "suggestions": [{"region": s.ref, "label": s.label()} for s in res.suggestions]}
            for (value, country), n in self.rows.items()
            for res in [self.resolved[(value, country)]]
        ]
        return sorted(out, key=lambda r: (r["region"] is not None, -r["rows"]))


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
    out = fold_strings(rows["name"]) + " " + fold_strings(rows["description"])
    if "source_categories" in rows:
        out = out + " " + fold_strings(rows["source_categories"])
    return out


def _keyword_pattern(keyword: str) -> re.Pattern:
    return re.compile(rf"(?<!\w){re.escape(keyword)}")


def _keyword_hits(hay: pd.Series, keyword: str) -> np.ndarray:
    """Rows whose text has the keyword at the start of a word: Arrow finds the rows that
    contain it at all, Python's regex (Unicode word boundaries) checks only those."""
    maybe = np.flatnonzero(hay.str.contains(keyword, regex=False).to_numpy(dtype=bool))
    pattern = _keyword_pattern(keyword)
    out = np.zeros(len(hay), dtype=bool)
    out[maybe] = [pattern.search(text) is not None for text in hay.iloc[maybe]]
    return out


def _keyword_counts(rows: pd.DataFrame, themes: np.ndarray) -> Counter:
    """How many rows without a theme carry each keyword (in their name, description or
    categories)."""
    without = np.array([not t for t in themes], dtype=bool)
    if not without.any():
        return Counter()
    hay = _haystack(rows[without])
    return Counter({keyword: n for keyword, _ in keyword_rules()
                    if (n := int(_keyword_hits(hay, keyword).sum()))})


def _apply_keywords(rows, themes: np.ndarray, accepted: frozenset[str]) -> np.ndarray:
    """Themes of the accepted keywords, for rows that got none from their columns."""
    rules = [(k, t) for k, t in keyword_rules() if k in accepted]
    without = [i for i, t in enumerate(themes) if not t]
    if not rules or not without:
        return themes
    hay = _haystack(rows.iloc[without])
    order = th.theme_ids()
    found: dict[int, set[str]] = {i: set() for i in without}
    for keyword, kw_themes in rules:
        for pos in np.flatnonzero(_keyword_hits(hay, keyword)):
            found[without[pos]].update(kw_themes)
    out = themes.copy()
    for i, ts in found.items():
        out[i] = [t for t in order if t in ts]
    return out


def slug(text: str) -> str:
    """A dataset id from its name: lower-case ASCII letters, digits and dashes, other
    scripts transliterated ('Łódź' → 'lodz', 'Κρήτη' → 'krete'), so that two names rarely
    give one id (the workspace still refuses to replace a dataset silently)."""
    from slugify import slugify

    return slugify(text or "", max_length=40, word_boundary=True, save_order=True) or "import"


def unused_id(wanted: str, taken: set[str]) -> str:
    """`wanted`, or `wanted-2`, `wanted-3`… : the first id no other data uses (ids stay at
    most 40 characters)."""
    if wanted not in taken:
        return wanted
    n = 2
    while (candidate := f"{wanted[:36].rstrip('-')}-{n}") in taken:
        n += 1
    return candidate


def relabel(rows: pd.DataFrame, dataset_id: str) -> pd.DataFrame:
    """Imported rows under another dataset id: `source` and the id prefix of every row
    (`<dataset>:<source id>`) change, nothing else. A copy: the import's rows stay as they are."""
    out = rows.copy()
    old = out["source"].iloc[0] if len(out) else dataset_id
    out["id"] = (dataset_id + ":" + out["id"].astype(str).str.slice(len(old) + 1)).astype(object)
    out["source"] = dataset_id
    return out


# ---------------------------------------------------------------- whole runs (CLI, tests)


def load_all_layers(geo_dir: Path | None = None) -> dict:
    """Every regional layer, as placement needs them."""
    from atlas.geo.regions import load_layer
    from atlas.model.layers import LAYER_IDS

    return {lid: load_layer(lid, geo_dir) for lid in LAYER_IDS}


def mapping_for(raw: RawTable, overrides: Mapping | None = None) -> Mapping:
    """Suggested columns, then the user's `overrides` (a given lat/lon pair wins over a
    suggested coordinates column)."""
    mapping = suggest_mapping(raw)
    mapping.update(overrides or {})
    if mapping.get("lat") and mapping.get("lon"):
        mapping["coordinates"] = mapping.get("coordinates") if overrides and \
            overrides.get("coordinates") else None
    return mapping


def import_path(path: Path, options: ImportOptions, *, sheet: str | None = None,
                overrides: Mapping | None = None, layers: dict | None = None,
                limits: Limits | None = None, encoding: str | None = None) -> ImportResult:
    """Read a file whole, map its columns (suggestions, then `overrides`), validate and place
    it (atlas.ingest.stream does the same for a large CSV without holding it in memory)."""
    raw = read_path(path, sheet, limits, encoding)
    return run_import(raw, mapping_for(raw, overrides), options, layers or load_all_layers())


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
    """Popup note (plain text) for rows drawn at a region's label point; '' for the others.

    The region comes from the row's `placed_in` column (structured data, never parsed back
    from the report text); rows saved before that column existed say "its region"."""
    if "placement" not in rows:
        return pd.Series("", index=rows.index, dtype=object)
    approx = rows["placement"] == "region_label_point"
    out = pd.Series("", index=rows.index, dtype=object)
    if approx.any():
        placed = rows["placed_in"] if "placed_in" in rows else pd.Series(None, index=rows.index)
        where = placed[approx].where(placed[approx].fillna("") != "", "its region")
        out[approx] = "Approximate location: drawn at the label point of " + where.astype(str)
    return out
