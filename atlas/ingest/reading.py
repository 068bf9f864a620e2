"""Reading an imported file into a table of text cells: format sniffing, encodings, CSV
dialects, XLSX and GeoJSON, header checks and row limits. Nothing here interprets a value."""

from __future__ import annotations

import csv
import io
import re
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from atlas.ingest.encoding import decode_bytes
from atlas.ingest.errors import ImportFailure
from atlas.ingest.limits import ENV_MAX_MB, Limits

MAX_CELL_CHARS = 10_000  # longer text is cut (with a warning): popups and exports stay usable
FORMATS = ("csv", "xlsx", "geojson")


NO_ROWS = "The file has a header but no data rows."


DELIMITERS = (",", ";", "\t", "|")


DELIMITER_NAMES = {",": "comma", ";": "semicolon", "\t": "tab", "|": "pipe"}


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
