"""One sheet of an XLSX workbook as rows of text cells, within the limits whatever the file claims.

A visitor can upload any zip. openpyxl's reader trusts the file: read-only mode pads every row to
the sheet's claimed `<dimension>` (a 1.6 KB file can claim 17 billion cells), fills every gap
between row numbers, and builds the whole style sheet and shared-string table first, through a
tree of Python objects. So this module streams each XML part through pyexpat itself, with
callbacks that keep only what a table needs, and takes from openpyxl only what it knows about
cell values (number formats that are dates, Excel serial dates). What is refused or counted:

- a DTD in any part (as defusedxml does: no entity can expand, nor name a file), XML that is
  not well-formed, and one tag or comment longer than any workbook writes (expat 2.5 scans a
  pending tag again at every block fed to it: a 100 MB attribute would take minutes);
- bytes as they are decompressed, for every part together (`Limits.max_unpacked_bytes`), after
  refusing a zip whose members *declare* more; a header that lies is caught while reading;
- rows as they are parsed (blank ones included) and cells, across every sheet tried;
- columns that hold a value (an empty styled cell in column XFD costs nothing);
- time (`Limits.timeout_s`), checked at every block read.

The shared strings and the style sheet are read only when a cell needs them, the style sheet only
up to its cell formats. Formulas give their cached value and never run. Rows keep their
spreadsheet numbers. A cell's text is cut at Excel's own limit (32,767 characters).
"""

from __future__ import annotations

import io
import posixpath
import re
import time
import zipfile
import zlib
from array import array
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cached_property
from typing import ClassVar
from xml.parsers import expat

from atlas.ingest.errors import ImportFailure
from atlas.ingest.limits import (
    ENV_MAX_CELLS,
    ENV_MAX_ROWS,
    ENV_MAX_UNPACKED_MB,
    ENV_TIMEOUT_S,
    Limits,
)

MAX_PARTS = 10_000  # zip members; a workbook with hundreds of sheets and images has a few thousand
MAX_DIRECTORY_BYTES = 4 << 20  # the zip's table of contents (MAX_PARTS entries fit easily)
MAX_SHEETS = 10_000
MAX_TOKEN_BYTES = 1 << 20  # one tag or comment; Excel writes a few hundred bytes at most
MAX_TEXT_CHARS = 32_767  # Excel's limit on a cell's text
MAX_NUMBER_FORMATS = 10_000  # custom number formats; Excel allows about 250
MAX_FORMAT_CHARS = 255  # Excel's limit on a number format
LAST_ROW, LAST_COLUMN = 1_048_576, 16_384  # Excel's sheet size (XFD1048576)
READ_BYTES = 64 << 10
ZIP_ERRORS = (zipfile.BadZipFile, zlib.error, EOFError, OSError, NotImplementedError,
              RuntimeError, ValueError, KeyError, IndexError, OverflowError)  # fmt: skip
REL_OFFICE = "/officeDocument"
REL_SHEET = "/worksheet"
REL_STRINGS = "/sharedStrings"
REL_STYLES = "/styles"
# Element namespaces, as pyexpat names them: none, transitional and strict SpreadsheetML.
MAIN_NS = ("", "http://schemas.openxmlformats.org/spreadsheetml/2006/main",
           "http://purl.oclc.org/ooxml/spreadsheetml/main")  # fmt: skip
PACKAGE_NS = ("", "http://schemas.openxmlformats.org/package/2006/relationships")
_CELL_REF = re.compile(r"\$?([A-Za-z]{1,3})\$?[0-9]+")
_COLUMNS: dict[str, int] = {}  # a reference's letters → column; a few thousand entries at most


@dataclass
class SheetRows:
    """One sheet's rows as text cells: the header (its first non-blank row, as wide as the
    widest row), then the others with their spreadsheet row numbers; `names` lists every
    worksheet, in order."""

    name: str
    names: list[str]
    header: list[str]
    records: list[list[str]]
    lines: list[int]


def read_sheet(data: bytes, limits: Limits, sheet: str | None = None) -> SheetRows:
    """The first sheet with data (or `sheet`) of the workbook in `data`; ImportFailure (one
    line, never quoting the file's content) when it cannot be read within `limits`."""
    with _Package(data, limits) as package:
        book = _workbook(package)
        names = [name for name, _ in book.sheets]
        if sheet is not None and sheet not in names:
            raise ImportFailure(f"no sheet {sheet!r} in the workbook (sheets: {', '.join(names)})")
        values = _Values(package, book)
        count = _Count(limits)
        for name, part in book.sheets:
            if sheet is None or name == sheet:
                found = _first_table(package, part, values, count)
                if found is not None:
                    return SheetRows(name, names, *found)
    raise ImportFailure(f"sheet {sheet!r} is empty" if sheet else "the workbook has no data")


# ---------------------------------------------------------------- the zip and its budget


class _Budget:
    """Bytes that may still be decompressed and the time left, shared by every part read (a
    part read twice costs twice: several sheets may point at the same one)."""

    def __init__(self, limits: Limits):
        self.limits = limits
        self.left = limits.max_unpacked_bytes
        self.deadline = time.monotonic() + limits.timeout_s

    def spend(self, n: int) -> None:
        self.left -= n
        if self.left < 0:
            raise ImportFailure(too_big(self.limits))
        if time.monotonic() > self.deadline:
            raise ImportFailure(f"reading the workbook takes more than {self.limits.timeout_s:,.0f}"
                                f" s (the limit; set {ENV_TIMEOUT_S} to change it)")


def too_big(limits: Limits, declared: int | None = None) -> str:
    what = (f"would decompress to {declared / 1e6:,.0f} MB" if declared is not None
            else f"decompresses to more than {limits.max_unpacked_bytes / 1e6:,.0f} MB")
    return (f"the workbook {what}; the limit is {limits.max_unpacked_bytes / 1e6:,.0f} MB "
            f"(a zip bomb? set {ENV_MAX_UNPACKED_MB} to change it)")


def _unreadable(part: str, exc: BaseException) -> str:
    """Why a zip member cannot be read, in words (zipfile's messages name the member and
    its internals, never what a user can act on)."""
    if isinstance(exc, NotImplementedError):
        why = "is compressed with a method XLSX files do not use"
    elif isinstance(exc, RuntimeError):
        why = "is encrypted (zip encryption; save the workbook without a password)"
    elif isinstance(exc, zipfile.BadZipFile):
        why = "does not match its checksum or size (a damaged or altered file)"
    else:
        why = f"cannot be decompressed ({type(exc).__name__})"
    return f"the workbook is damaged: its part {_short(part)} {why}"


class _Metered:
    """A zip member's stream that charges every byte it gives to the budget."""

    def __init__(self, stream, budget: _Budget, part: str):
        self.stream, self.budget, self.part = stream, budget, part

    def read(self, n: int = READ_BYTES) -> bytes:
        try:
            chunk = self.stream.read(min(n, READ_BYTES))
        except ZIP_ERRORS as exc:
            raise ImportFailure(_unreadable(self.part, exc)) from exc
        self.budget.spend(len(chunk))
        return chunk


class _Package:
    """The workbook's zip: refused up front when its directory or declared sizes are too big,
    then read part by part within the budget."""

    def __init__(self, data: bytes, limits: Limits):
        self.limits = limits
        self.budget = _Budget(limits)
        self.zip = _open_zip(data, limits)
        self.parts = {info.filename: info for info in self.zip.infolist()}
        self.folded = {name.casefold(): name for name in self.parts}

    def __enter__(self) -> _Package:
        return self

    def __exit__(self, *exc) -> None:
        self.zip.close()

    def find(self, part: str) -> str | None:
        """The member called `part` (case aside, as Excel does), or None."""
        return part if part in self.parts else self.folded.get(part.casefold())

    @contextmanager
    def open(self, part: str) -> Iterator[_Metered]:
        name = self.find(part)
        if name is None:
            raise ImportFailure(f"the workbook is damaged: its part {_short(part)} is missing")
        try:
            stream = self.zip.open(self.parts[name])
        except ZIP_ERRORS as exc:
            raise ImportFailure(_unreadable(part, exc)) from exc
        with stream:
            yield _Metered(stream, self.budget, part)


def _open_zip(data: bytes, limits: Limits) -> zipfile.ZipFile:
    """The zip, after checking its table of contents (read whole by zipfile) and the sizes
    its members declare."""
    stream = io.BytesIO(data)
    try:
        end = zipfile._EndRecData(stream)  # what ZipFile reads first: the directory's size
    except ZIP_ERRORS:
        end = None
    if end is None:
        raise ImportFailure("not a readable XLSX workbook (not a zip file, or a truncated one)")
    if end[zipfile._ECD_ENTRIES_TOTAL] > MAX_PARTS or end[zipfile._ECD_SIZE] > \
            MAX_DIRECTORY_BYTES:
        raise ImportFailure(f"not a usable XLSX workbook: the zip has more than {MAX_PARTS:,} "
                            "parts")
    try:
        archive = zipfile.ZipFile(stream)
        infos = archive.infolist()
    except ZIP_ERRORS as exc:
        raise ImportFailure(f"not a readable XLSX workbook ({type(exc).__name__})") from exc
    if len(infos) > MAX_PARTS:
        raise ImportFailure(f"not a usable XLSX workbook: the zip has more than {MAX_PARTS:,} "
                            "parts")
    declared = sum(info.file_size for info in infos)
    if declared > limits.max_unpacked_bytes:
        raise ImportFailure(too_big(limits, declared))
    return archive


def _short(text: str, limit: int = 60) -> str:
    """A name from the file, quoted and cut: a reason may name a part, never dump one."""
    return repr(text if len(text) <= limit else text[: limit - 1] + "…")


# ---------------------------------------------------------------- streaming XML


def _qualified(namespaces: tuple[str, ...], *names: str) -> dict[str, str]:
    """Element names as pyexpat gives them ('uri}row', or 'row' outside any namespace) →
    their local name: a handler looks an element up once and ignores what is not there."""
    return {f"{ns}}}{name}" if ns else name: name for ns in namespaces for name in names}


class _Done(Exception):
    """Raised by a handler that has all it needs: the rest of the part is not read."""


class _Handler:
    """What one part's elements mean: pyexpat calls `start` (name, attributes) and `end`
    (name) for every element; text is gathered only while `collect` is on, up to a cell's
    limit, and `take` returns it."""

    names: ClassVar[dict[str, str]] = {}

    def __init__(self):
        self.parser: expat.XMLParserType | None = None
        self.pieces: list[str] = []
        self.size = 0

    def start(self, name: str, attrs: dict[str, str]) -> None:
        raise NotImplementedError

    def end(self, name: str) -> None:
        """Most parts need only their elements' attributes."""

    def collect(self, on: bool) -> None:
        self.parser.CharacterDataHandler = self._text if on else None

    def take(self) -> str:
        if not self.pieces:
            return ""
        text = "".join(self.pieces)[:MAX_TEXT_CHARS]
        self.pieces, self.size = [], 0
        return text

    def _text(self, data: str) -> None:
        if self.size < MAX_TEXT_CHARS:
            self.pieces.append(data)
            self.size += len(data)


def _parse(package: _Package, part: str, handler: _Handler) -> None:
    """Stream one XML part through `handler`, block by block."""
    parser = expat.ParserCreate(namespace_separator="}")
    parser.buffer_text = True
    parser.buffer_size = READ_BYTES
    parser.StartDoctypeDeclHandler = lambda *_: _refuse_dtd(part)
    parser.EntityDeclHandler = lambda *_: _refuse_dtd(part)
    parser.StartElementHandler = handler.start
    parser.EndElementHandler = handler.end
    handler.parser = parser
    fed = 0
    with package.open(part) as stream:
        try:
            while chunk := stream.read(READ_BYTES):
                parser.Parse(chunk, False)
                fed += len(chunk)
                if fed - parser.CurrentByteIndex > MAX_TOKEN_BYTES:
                    raise ImportFailure(f"the workbook is damaged: its part {_short(part)} holds"
                                        f" a tag or comment longer than {MAX_TOKEN_BYTES >> 20}"
                                        " MB")
            parser.Parse(b"", True)
        except _Done:
            pass
        except expat.ExpatError as exc:
            what = expat.errors.messages.get(exc.code, "invalid")
            raise ImportFailure(f"the workbook is damaged: its part {_short(part)} is not "
                                f"well-formed XML ({what}, line {exc.lineno:,}, column "
                                f"{exc.offset + 1:,})") from exc


def _refuse_dtd(part: str) -> None:
    raise ImportFailure(f"the workbook's part {_short(part)} declares a DTD or entities (an "
                        "entity-expansion attack?); refused")


def _attr(attrs: dict[str, str], local: str) -> str | None:
    """An attribute by its local name (`r:id` is namespaced, `name` is not)."""
    value = attrs.get(local)
    if value is not None:
        return value
    return next((v for k, v in attrs.items() if k.rpartition("}")[2] == local), None)


# ---------------------------------------------------------------- workbook structure


@dataclass
class _Book:
    sheets: list[tuple[str, str]]  # (name, part) of each worksheet, in the workbook's order
    strings: str | None
    styles: str | None
    epoch_1904: bool


class _Rels(_Handler):
    """Relationship id → (type, target part) of one part's relationships."""

    names = _qualified(PACKAGE_NS, "Relationship")

    def __init__(self, folder: str):
        super().__init__()
        self.folder = folder
        self.found: dict[str, tuple[str, str]] = {}

    def start(self, name: str, attrs: dict[str, str]) -> None:
        if name not in self.names:
            return
        target, rel_id = attrs.get("Target") or "", attrs.get("Id") or ""
        if attrs.get("TargetMode") == "External" or not target:
            return
        path = target[1:] if target.startswith("/") else posixpath.join(self.folder, target)
        self.found[rel_id] = (attrs.get("Type") or "", posixpath.normpath(path))
        if len(self.found) > MAX_PARTS:
            raise ImportFailure("not a usable XLSX workbook: too many relationships")


def _rels(package: _Package, part: str) -> dict[str, tuple[str, str]]:
    """Relationship id → (type, target part) of `part` (none when it has no .rels)."""
    folder, base = posixpath.split(part)
    rels_part = posixpath.join(folder, "_rels", base + ".rels")
    if package.find(rels_part) is None:
        return {}
    handler = _Rels(folder)
    _parse(package, rels_part, handler)
    return handler.found


def _of_type(rels: dict[str, tuple[str, str]], suffix: str) -> str | None:
    return next((target for kind, target in rels.values() if kind.endswith(suffix)), None)


class _Sheets(_Handler):
    """The workbook part's sheet entries (name, relationship id) and its date system."""

    names = _qualified(MAIN_NS, "sheet", "workbookPr")

    def __init__(self):
        super().__init__()
        self.entries: list[tuple[str, str]] = []
        self.epoch_1904 = False

    def start(self, name: str, attrs: dict[str, str]) -> None:
        local = self.names.get(name)
        if local == "workbookPr":
            self.epoch_1904 = (attrs.get("date1904") or "").lower() in ("1", "true")
        elif local == "sheet":
            self.entries.append((attrs.get("name") or "", _attr(attrs, "id") or ""))
            if len(self.entries) > MAX_SHEETS:
                raise ImportFailure(f"not a usable XLSX workbook: more than {MAX_SHEETS:,} "
                                    "sheets")


def _workbook(package: _Package) -> _Book:
    """Sheet names and parts, the shared strings and styles parts, the date system."""
    part = _of_type(_rels(package, ""), REL_OFFICE) or "xl/workbook.xml"
    if package.find(part) is None:
        raise ImportFailure("not an XLSX workbook: a zip file, but with no workbook in it")
    rels = _rels(package, part)
    handler = _Sheets()
    _parse(package, part, handler)
    sheets = []
    for name, rel_id in handler.entries:
        kind, target = rels.get(rel_id, ("", ""))
        if kind.endswith(REL_SHEET) and package.find(target) is not None:
            sheets.append((name or f"Sheet{len(sheets) + 1}", target))
    strings = _of_type(rels, REL_STRINGS) or "xl/sharedStrings.xml"
    styles = _of_type(rels, REL_STYLES) or "xl/styles.xml"
    return _Book(sheets, strings if package.find(strings) else None,
                 styles if package.find(styles) else None, handler.epoch_1904)


class _Strings(_Handler):
    """Every shared string, in order: its runs' text, without phonetic guides. No more than
    the cells a workbook may have, since no cell could use the others."""

    names = _qualified(MAIN_NS, "si", "t", "rPh")

    def __init__(self, cap: int):
        super().__init__()
        self.cap = cap
        self.found: list[str] = []
        self.in_item = self.in_guide = False

    def start(self, name: str, attrs: dict[str, str]) -> None:
        local = self.names.get(name)
        if local == "t":
            self.collect(self.in_item and not self.in_guide)
        elif local == "si":
            self.in_item = True
        elif local == "rPh":
            self.in_guide = True

    def end(self, name: str) -> None:
        local = self.names.get(name)
        if local == "t":
            self.collect(False)
        elif local == "si":
            self.in_item = False
            self.found.append(self.take().replace("x005F_", ""))  # as openpyxl does
            if len(self.found) > self.cap:
                raise ImportFailure(f"the workbook has more than {self.cap:,} shared strings "
                                    f"(the cell limit; set {ENV_MAX_CELLS} to change it)")
        elif local == "rPh":
            self.in_guide = False


def _shared_strings(package: _Package, part: str | None) -> list[str]:
    if part is None:
        return []
    handler = _Strings(package.limits.max_cells)
    _parse(package, part, handler)
    return handler.found


class _StyleSheet(_Handler):
    """Custom number formats and each cell format's number format; the rest of the style
    sheet (fonts, fills, differential formats...) is not read."""

    names = _qualified(MAIN_NS, "numFmt", "cellXfs", "xf")

    def __init__(self):
        super().__init__()
        self.custom: dict[int, str] = {}
        self.formats = array("q")  # number format id of each cell format (-1: none)
        self.in_cell_formats = False

    def start(self, name: str, attrs: dict[str, str]) -> None:
        local = self.names.get(name)
        if local == "xf":
            if self.in_cell_formats:
                self.formats.append(_format_id(attrs.get("numFmtId") or "0"))
        elif local == "numFmt":
            format_id = _format_id(attrs.get("numFmtId") or "")
            if format_id >= 0:
                self.custom[format_id] = attrs.get("formatCode") or ""
            if len(self.custom) > MAX_NUMBER_FORMATS:
                raise ImportFailure(f"the workbook is damaged: its style sheet has more than "
                                    f"{MAX_NUMBER_FORMATS:,} number formats")
        elif local == "cellXfs":
            self.in_cell_formats = True

    def end(self, name: str) -> None:
        if self.names.get(name) == "cellXfs":
            raise _Done


def _format_id(text: str) -> int:
    return int(text) if text.isascii() and text.isdigit() and len(text) < 10 else -1


class _Styles:
    """Whether a cell's style makes its number a date (or a duration), as openpyxl tells
    them apart; decided per style the first time a number cell uses it."""

    def __init__(self, sheet: _StyleSheet):
        self.custom, self.formats = sheet.custom, sheet.formats
        self.known: dict[str, tuple[bool, bool]] = {}

    def date(self, style: str) -> tuple[bool, bool]:
        """(a date, a duration) for the cell format numbered `style`."""
        found = self.known.get(style)
        if found is None:
            index = _format_id(style)
            found = (self._kind(self.formats[index]) if 0 <= index < len(self.formats)
                     else (False, False))
            if index >= 0:
                self.known[style] = found
        return found

    def _kind(self, format_id: int) -> tuple[bool, bool]:
        from openpyxl.styles.numbers import BUILTIN_FORMATS, is_date_format, is_timedelta_format

        code = self.custom.get(format_id) or BUILTIN_FORMATS.get(format_id)
        if not code or len(code) > MAX_FORMAT_CHARS:
            return False, False
        return is_date_format(code), is_timedelta_format(code)


def _styles(package: _Package, part: str | None) -> _Styles:
    handler = _StyleSheet()
    if part is not None:
        _parse(package, part, handler)
    return _Styles(handler)


# ---------------------------------------------------------------- cells and rows


class _Values:
    """Text of a cell: its cached value (a formula is never run), shared strings resolved,
    serial numbers in a date format shown as ISO dates. The shared strings and styles are
    read the first time a cell needs them."""

    def __init__(self, package: _Package, book: _Book):
        from openpyxl.utils.datetime import MAC_EPOCH, WINDOWS_EPOCH

        self.package, self.book = package, book
        self.epoch = MAC_EPOCH if book.epoch_1904 else WINDOWS_EPOCH

    @cached_property
    def strings(self) -> list[str]:
        return _shared_strings(self.package, self.book.strings)

    @cached_property
    def styles(self) -> _Styles:
        return _styles(self.package, self.book.styles)

    def text(self, kind: str, raw: str, style: str | None) -> str:
        """`raw`: the text of the cell's value (its inline string's, for inlineStr)."""
        if not raw or kind == "inlineStr":
            return raw
        if kind == "s":
            return self._shared(raw)
        if kind == "n":
            return self._number(raw, style)
        if kind == "b":
            return "FALSE" if raw.strip() in ("0", "false") else "TRUE"
        if kind == "d":
            return self._iso(raw)
        return raw  # "str" (a formula's text), "e" (#N/A...), or unknown: as written

    def _shared(self, raw: str) -> str:
        index = _format_id(raw.strip())
        strings = self.strings
        if not 0 <= index < len(strings):
            raise ImportFailure("the workbook is damaged: a cell refers to a shared string "
                                "that does not exist")
        return strings[index]

    @staticmethod
    def _iso(raw: str) -> str:
        from openpyxl.utils.datetime import from_ISO8601

        try:
            return from_ISO8601(raw).isoformat()
        except (ValueError, TypeError, AttributeError, OverflowError):
            return raw

    def _number(self, raw: str, style: str | None) -> str:
        try:
            value: float = float(raw) if any(c in raw for c in ".eE") else int(raw)
        except ValueError:
            raise ImportFailure("the workbook is damaged: a number cell does not hold a "
                                "number") from None
        if style:
            date, duration = self.styles.date(style)
            if date:
                return self._date(value, duration) or _number_text(value)
        return _number_text(value)

    def _date(self, value: float, duration: bool) -> str | None:
        """The serial as ISO date, time or duration; None when Python cannot hold it."""
        from openpyxl.utils.datetime import from_excel

        try:
            when = from_excel(value, self.epoch, timedelta=duration)
        except (OverflowError, ValueError):
            return None
        return when.isoformat() if hasattr(when, "isoformat") else str(when)


def _number_text(value: float) -> str:
    return format(value, ".15g") if isinstance(value, float) else str(value)


class _Count:
    """Rows and cells parsed in the whole workbook (every sheet tried, blank rows included):
    the limits hold on what is really in the file, not on what it claims."""

    def __init__(self, limits: Limits):
        self.limits = limits
        self.rows = self.cells = 0

    def row(self) -> None:
        self.rows += 1
        if self.rows > self.limits.max_rows + 1:  # + the header
            raise ImportFailure(f"the sheet has more than {self.limits.max_rows:,} rows, blank "
                                f"ones included (the limit; set {ENV_MAX_ROWS} to change it)")

    def add_cells(self, n: int) -> None:
        self.cells += n
        if self.cells > self.limits.max_cells:
            raise ImportFailure(f"the workbook has more than {self.limits.max_cells:,} cells, "
                                f"empty ones included (the limit; set {ENV_MAX_CELLS} to change"
                                " it)")


def _row_number(attr: str | None, previous: int, part: str) -> int:
    """A row's number: its `r` (which must go up, within the sheet), else the next one."""
    if attr is None:
        number = previous + 1
    elif attr.isascii() and attr.strip().isdigit() and len(attr) < 12:
        number = int(attr)
    else:
        raise ImportFailure(f"the workbook is damaged: a row number of {_short(part)} is not "
                            "a number")
    if not previous < number <= LAST_ROW:
        raise ImportFailure(f"the workbook is damaged: {_short(part)} has row {number:,} after "
                            f"row {previous:,} (rows go from 1 to {LAST_ROW:,}, in order)")
    return number


def _column(ref: str | None, previous: int) -> int:
    """A cell's column (1 = A) from its reference ('B7'), else the one after the previous."""
    if ref is None:
        column = previous + 1
    else:
        letters = ref.rstrip("0123456789")
        column = _COLUMNS.get(letters, 0) if len(letters) < len(ref) else 0
        if not column:
            column = _letters_column(ref)
            if letters.isalpha() and letters.isupper():  # 'AB', not '$ab$': a bounded cache
                _COLUMNS[letters] = column
    if column > LAST_COLUMN:
        raise ImportFailure("the workbook is damaged: a cell lies beyond column XFD")
    return column


def _letters_column(ref: str) -> int:
    match = _CELL_REF.fullmatch(ref)
    if match is None:
        raise ImportFailure("the workbook is damaged: a cell reference is not valid")
    column = 0
    for letter in match.group(1).upper():
        column = column * 26 + ord(letter) - 64
    return column


class _Sheet(_Handler):
    """A sheet's rows: the header (its first non-blank row), then the other non-blank rows
    with their numbers. A row costs as many cells as the header is wide, blank or not."""

    names = _qualified(MAIN_NS, "row", "c", "v", "t", "rPh")

    def __init__(self, part: str, values: _Values, count: _Count, max_columns: int):
        super().__init__()
        self.part, self.values, self.count, self.max_columns = part, values, count, max_columns
        self.header: list[str] | None = None
        self.records: list[list[str]] = []
        self.lines: list[int] = []
        self.number = self.column = self.n = 0  # row number, column, cells in the row
        self.row: dict[int, str] | None = None  # column → text of the row being read
        self.cell: tuple[str, str | None] | None = None  # (type, style) of the cell being read
        self.in_guide = False  # inside a phonetic guide (rPh), whose text is not the cell's

    def start(self, name: str, attrs: dict[str, str]) -> None:
        local = self.names.get(name)
        if local == "c":
            self._start_cell(attrs)
        elif local == "v":
            self.collect(self.cell is not None and self.cell[0] != "inlineStr")
        elif local == "t":
            self.collect(self.cell is not None and self.cell[0] == "inlineStr"
                         and not self.in_guide)
        elif local == "row":
            self._start_row(attrs)
        elif local == "rPh":
            self.in_guide = True

    def end(self, name: str) -> None:
        local = self.names.get(name)
        if local == "c":
            self._end_cell()
        elif local in ("v", "t"):
            self.collect(False)
        elif local == "row":
            self._end_row()
        elif local == "rPh":
            self.in_guide = False

    def _start_row(self, attrs: dict[str, str]) -> None:
        if self.row is not None:
            raise ImportFailure(f"the workbook is damaged: {_short(self.part)} has a row "
                                "inside a row")
        self.number = _row_number(attrs.get("r"), self.number, self.part)
        self.count.row()
        self.row, self.column, self.n = {}, 0, 0

    def _start_cell(self, attrs: dict[str, str]) -> None:
        if self.row is None:
            return  # a cell outside any row belongs to no row: ignored, as openpyxl does
        if self.cell is not None:
            raise ImportFailure(f"the workbook is damaged: {_short(self.part)} has a cell "
                                "inside a cell")
        self.column = _column(attrs.get("r"), self.column)
        self.cell = (attrs.get("t") or "n", attrs.get("s"))

    def _end_cell(self) -> None:
        if self.cell is None:
            return
        (kind, style), self.cell = self.cell, None
        self.collect(False)
        text = self.values.text(kind, self.take(), style)
        self.n += 1
        if text:
            if self.column > self.max_columns:
                raise ImportFailure(self.values.package.limits.too_many_columns(self.column))
            self.row[self.column] = text

    def _end_row(self) -> None:
        cells, self.row = self.row, None
        if cells is None:
            return
        self.count.add_cells(max(self.n, len(self.header) if self.header is not None else 1))
        if not cells or not any(text.strip() for text in cells.values()):
            return
        values = [cells.get(i, "") for i in range(1, max(cells) + 1)]
        if self.header is None:
            self.header = values
        else:
            self.records.append(values)
            self.lines.append(self.number)


def _first_table(package: _Package, part: str, values: _Values,
                 count: _Count) -> tuple[list[str], list[list[str]], list[int]] | None:
    """(header, records, row numbers) of a sheet, blank rows skipped; None when it has no
    data. The header is as wide as the widest row, as openpyxl's is (a value right of the
    header is an unnamed column, not a malformed row)."""
    handler = _Sheet(part, values, count, package.limits.max_columns)
    _parse(package, part, handler)
    header = handler.header
    if header is None:
        return None
    width = max(map(len, handler.records), default=0)
    return header + [""] * (width - len(header)), handler.records, handler.lines
