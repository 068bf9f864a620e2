"""Exports people take away (CSV, XLSX, GeoJSON), each carrying its provenance, with
spreadsheet formula injection neutralised.

A text cell starting with `=`, `+`, `-`, `@`, tab or carriage return would run as a formula
in Excel/LibreOffice/Sheets. In CSV such cells are prefixed with an apostrophe (the OWASP
advice: spreadsheets show the text, not a formula). In XLSX they are written as explicit
string cells, so they read back unchanged and still never evaluate.
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import io
import json
import tempfile
import zipfile
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import BinaryIO

import numpy as np
import pandas as pd
import shapely.geometry

from atlas.analysis.directory import region_of
from atlas.model.sources import SOURCES, short_titles
from atlas.paths import INITIATIVES_FILE

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def neutralise(value: object) -> object:
    """Text that a spreadsheet would evaluate gets a leading apostrophe; other values pass."""
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


def neutralise_frame(df: pd.DataFrame) -> pd.DataFrame:
    """A copy with every text cell neutralised (numbers, including negatives, untouched);
    vectorised for Arrow-backed text, so a million-row export is not a million calls."""
    out = df.copy()
    for column in out.columns:
        values = out[column]
        if pd.api.types.is_string_dtype(values) and values.dtype != object:
            risky = values.str.match(_FORMULA_PATTERN).fillna(False).to_numpy(bool)
            if risky.any():
                out[column] = values.where(~risky, "'" + values)
        elif values.dtype == object:
            out[column] = values.map(neutralise)
    out.columns = [neutralise(str(c)) for c in out.columns]
    return out


_FORMULA_PATTERN = r"[=+\-@\t\r]"


def flatten_lists(df: pd.DataFrame, sep: str = "; ") -> pd.DataFrame:
    """List cells (themes) joined as text, for flat formats."""
    out = df.copy()
    for column in out.columns:
        if out[column].dtype == object and out[column].map(
                lambda v: isinstance(v, list | tuple)).any():
            out[column] = out[column].map(
                lambda v: sep.join(map(str, v)) if isinstance(v, list | tuple) else v
            )
    return out


# ------------------------------------------------------------------------------ tables in blocks


@dataclass(frozen=True)
class Blocks:
    """A table too big to build at once, made block by block when an export is written: its
    row count (known up front, for Excel's limit) and a function yielding its blocks, each a
    DataFrame with the same columns; `points` optionally yields each block's (lon, lat)."""

    rows: int
    make: Callable[[], Iterator[pd.DataFrame]]
    points: Callable[[], Iterator[tuple[np.ndarray, np.ndarray]]] | None = None


Table = pd.DataFrame | Blocks


def blocks(table: Table) -> Iterator[pd.DataFrame]:
    """The blocks of a table (a DataFrame is one block)."""
    if isinstance(table, Blocks):
        yield from table.make()
    else:
        yield table


def row_count(table: Table) -> int:
    return table.rows if isinstance(table, Blocks) else len(table)


def write_csv(table: Table, out: BinaryIO) -> None:
    """Comment-free UTF-8 CSV (with BOM so Excel reads accents), formulas neutralised,
    written block by block (memory: one block, not the whole table)."""
    out.write(codecs.BOM_UTF8)
    header = True
    for block in blocks(table):
        text = neutralise_frame(flatten_lists(block)).to_csv(
            index=False, header=header, quoting=csv.QUOTE_NONNUMERIC)
        out.write(text.encode("utf-8"))
        header = False


def csv_bytes(df: pd.DataFrame) -> bytes:
    """`write_csv` of one table, as bytes."""
    buf = io.BytesIO()
    write_csv(df, buf)
    return buf.getvalue()


# A worksheet holds at most 1,048,576 rows (Excel's limit), the header row included.
XLSX_MAX_ROWS = 1_048_576


def xlsx_fits(sheets: Mapping[str, Table]) -> bool:
    """Every table fits one worksheet with its header row (else: offer the CSV)."""
    return all(row_count(frame) < XLSX_MAX_ROWS for frame in sheets.values())


def write_xlsx(sheets: Mapping[str, Table], about: Sequence[tuple[str, str]],
               out: BinaryIO) -> None:
    """Workbook with one sheet per table plus an 'About' sheet (provenance key/value rows),
    streamed row by row (XlsxWriter's constant-memory mode).

    Every text cell is written as a string, never as a formula, URL or number: nothing
    evaluates, and the text reads back as shown (a carriage return becomes a line feed, as
    XML would make it). A table longer than a worksheet is refused (ValueError) before
    anything is written: take the CSV.
    """
    if not xlsx_fits(sheets):
        raise ValueError(f"Excel holds at most {XLSX_MAX_ROWS:,} rows per sheet: take the CSV")
    import xlsxwriter

    tables: dict[str, Table] = dict(sheets)
    tables["About"] = pd.DataFrame(list(about), columns=["field", "value"])
    wb = xlsxwriter.Workbook(out, {"constant_memory": True, "strings_to_formulas": False,
                                   "strings_to_urls": False, "strings_to_numbers": False})
    try:
        for name, table in tables.items():
            ws = wb.add_worksheet(name[:31])
            r = 0
            for block in blocks(table):
                flat = flatten_lists(block)
                if r == 0:
                    ws.write_row(0, 0, [str(c) for c in flat.columns])
                    r = 1
                for row in flat.itertuples(index=False):
                    ws.write_row(r, 0, [_xlsx_cell(v) for v in row])
                    r += 1
    finally:
        wb.close()


def xlsx_bytes(sheets: Mapping[str, Table], about: Sequence[tuple[str, str]]) -> bytes:
    """`write_xlsx`, as bytes."""
    buf = io.BytesIO()
    write_xlsx(sheets, about, buf)
    return buf.getvalue()


def _xlsx_cell(value: object) -> object:
    if isinstance(value, str):
        return value.replace("\r\n", "\n").replace("\r", "\n")
    if _missing(value):
        return None
    if isinstance(value, np.generic):
        return value.item()
    return value


def _missing(value: object) -> bool:
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):
        return False


# ------------------------------------------------------------------------------ provenance


@dataclass(frozen=True)
class Provenance:
    """What travels with every export: what it is, which filters made it, where the data comes
    from (titles, licences, attributions), and when the data was built and exported."""

    title: str
    filters: str
    sources: tuple[tuple[str, str, str], ...]  # (title, licence, attribution)
    built: str
    exported: str
    notes: tuple[str, ...] = ()

    def items(self) -> list[tuple[str, str]]:
        """Key/value rows (the XLSX 'About' sheet)."""
        rows = [
            ("export", self.title),
            ("filters", self.filters),
            ("data built", self.built),
            ("exported", self.exported),
        ]
        for title, licence, attribution in self.sources:
            rows += [("source", title), ("licence", licence), ("attribution", attribution)]
        rows += [("note", note) for note in self.notes]
        return rows

    def as_dict(self) -> dict:
        """The GeoJSON `metadata` member."""
        return {
            "title": self.title,
            "filters": self.filters,
            "data_built": self.built,
            "exported": self.exported,
            "sources": [
                {"title": t, "license": lic, "attribution": a} for t, lic, a in self.sources
            ],
            "notes": list(self.notes),
            "generator": "SSE Atlas",
        }

    def readme(self, files: Sequence[str] = ("data.csv",)) -> str:
        """README.txt beside a CSV (CSV files carry no comment lines)."""
        lines = [
            f"SSE Atlas export: {self.title}",
            "",
            f"Files: {', '.join(files)} (UTF-8 with BOM, comma-separated, one header row)",
            f"Filters: {self.filters}",
            f"Data built: {self.built}",
            f"Exported: {self.exported}",
            "",
            "Sources, licences and attributions (credit them when you reuse this data):",
        ]
        for title, licence, attribution in self.sources:
            lines += [f"- {title}", f"  Licence: {licence}", f"  Attribution: {attribution}"]
        lines += ["", "Notes:"]
        lines += [f"- {note}" for note in (*self.notes, CSV_NOTE)]
        return "\n".join(lines) + "\n"


CSV_NOTE = (
    "Text cells that start with = + - @, a tab or a carriage return are prefixed with an "
    "apostrophe (') so that spreadsheets show them as text and never run them as formulas."
)
SHARE_NOTE = "Shares are fractions (0.25 = 25 %). Empty cells mean no data (never zero)."


def provenance(
    title: str,
    filters: str,
    source_ids: Iterable[str],
    sidecars: Sequence[Mapping] = (),
    layer_file: str | None = None,
    notes: Sequence[str] = (),
    today: dt.date | None = None,
    imported: Mapping[str, tuple[str, str, str]] | None = None,
    data_files: Sequence[str] = (),
) -> Provenance:
    """Provenance of an export built from `source_ids` (SOURCES ids, or imported datasets whose
    (title, licence, attribution) `imported` gives) and, for regional tables, the layer file
    `layer_file` (its sidecar gives boundary and population credits) and the shipped
    `data_files` it also draws on (context, policies, official figures: their sidecars'
    credits). The build date is the one recorded in the shipped files' sidecars."""
    by_file = {str(m.get("file")): m for m in sidecars}
    sources = []
    for source in dict.fromkeys(source_ids):
        info = SOURCES.get(source)
        if info is not None:
            sources.append((f"{info.title}, {info.period}", f"{info.license} ({info.license_url})",
                            info.attribution))
        elif imported and source in imported:
            sources.append(tuple(imported[source]))
        else:
            sources.append((source, "not recorded", source))
    dates = [str(by_file[INITIATIVES_FILE]["date"])] if INITIATIVES_FILE in by_file else []
    if layer_file and layer_file in by_file:
        meta = by_file[layer_file]
        sources.append((str(meta.get("title", layer_file)), str(meta.get("license", "")),
                        str(meta.get("attribution", ""))))
        dates.append(str(meta.get("date", "")))
    for name in data_files:
        if name in by_file:
            meta = by_file[name]
            sources.append((" ".join(str(meta.get("title", name)).split()),
                            " ".join(str(meta.get("license", "")).split()),
                            " ".join(str(meta.get("attribution", "")).split())))
    built = max((d for d in dates if d), default="unknown")
    return Provenance(
        title=title,
        filters=filters,
        sources=tuple(sources),
        built=built,
        exported=(today or dt.date.today()).isoformat(),
        notes=tuple(notes),
    )


# ------------------------------------------------------------------------------ CSV in a ZIP


def write_csv_zip(tables: Mapping[str, Table], about: Provenance, out: BinaryIO) -> None:
    """ZIP with one comment-free CSV per table and README.txt (the provenance), each CSV
    compressed as it is written.

    A single table is written as `data.csv`; several as `<name>.csv` each.
    """
    names = ["data.csv"] if len(tables) == 1 else [f"{_slug(name)}.csv" for name in tables]
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=1) as zf:
        for name, table in zip(names, tables.values(), strict=True):
            with zf.open(name, "w", force_zip64=True) as member:
                write_csv(table, member)
        zf.writestr("README.txt", about.readme(names).encode("utf-8"))


def csv_zip_bytes(tables: Mapping[str, Table], about: Provenance) -> bytes:
    """`write_csv_zip`, as bytes."""
    return spooled(write_csv_zip, tables, about)


def spooled(write: Callable[..., None], *args) -> bytes:
    """What `write(*args, out)` writes, through a temporary file: the export in memory once
    (as the bytes returned), not twice as a growing buffer would hold it."""
    with tempfile.TemporaryFile() as out:
        write(*args, out)
        out.seek(0)
        return out.read()


def _slug(text: str) -> str:
    return "-".join("".join(c if c.isalnum() else " " for c in text.lower()).split()) or "table"


# ------------------------------------------------------------------------------ GeoJSON


def write_feature_collection(
    parts: Iterable[tuple[pd.DataFrame, Sequence[str | None]]], about: Provenance,
    out: BinaryIO,
) -> None:
    """GeoJSON text, block by block: one feature per table row, properties exactly the row's
    cells; each block comes with its rows' geometries as GeoJSON text (None: no geometry).

    Text goes out verbatim (JSON strings never evaluate, and GIS tools read them as text), so a
    GeoJSON export reads back equal to the table shown. Properties are written by pandas'
    JSON writer (missing values as null), not cell by cell.
    """
    head = {"type": "FeatureCollection", "metadata": about.as_dict(), "features": []}
    text = json.dumps(head, ensure_ascii=False, allow_nan=False)
    out.write(text[:-2].encode("utf-8"))  # up to "features": [
    first = True
    for frame, geometries in parts:
        if not len(frame):
            continue
        frame = frame.set_axis([str(c) for c in frame.columns], axis=1)
        lines = frame.to_json(orient="records", lines=True, force_ascii=False,
                              double_precision=15).splitlines()
        features = ",".join(
            f'{{"type":"Feature","geometry":{g or "null"},"properties":{p}}}'
            for g, p in zip(geometries, lines, strict=True))
        out.write(((",") if not first else "").encode("utf-8") + features.encode("utf-8"))
        first = False
    out.write(b"]}")


def point_geometries(lon: Sequence[float], lat: Sequence[float]) -> list[str | None]:
    """GeoJSON Points (6 decimals, about 10 cm) as text; None where a record has no point."""
    x = pd.to_numeric(pd.Series(lon, dtype=object), errors="coerce").to_numpy(float)
    y = pd.to_numeric(pd.Series(lat, dtype=object), errors="coerce").to_numpy(float)
    ok = np.isfinite(x) & np.isfinite(y)
    x, y = np.round(x, 6).tolist(), np.round(y, 6).tolist()
    return [f'{{"type":"Point","coordinates":[{a!r},{b!r}]}}' if good else None
            for a, b, good in zip(x, y, ok.tolist(), strict=True)]


def write_points_geojson(table: Table, lon: Sequence[float] | None,
                         lat: Sequence[float] | None, about: Provenance, out: BinaryIO) -> None:
    """Initiatives as Point features (null geometry where a record has no usable point); a
    `Blocks` table brings its own points."""
    if isinstance(table, Blocks):
        if table.points is None:
            raise ValueError("these blocks have no points")
        parts = ((frame, point_geometries(x, y))
                 for frame, (x, y) in zip(table.make(), table.points(), strict=True))
    else:
        parts = [(table, point_geometries(lon, lat))]
    write_feature_collection(parts, about, out)


def points_geojson(table: Table, lon: Sequence[float] | None, lat: Sequence[float] | None,
                   about: Provenance) -> bytes:
    """`write_points_geojson`, as bytes."""
    return spooled(write_points_geojson, table, lon, lat, about)


def regions_geojson(table: pd.DataFrame, geometry: Sequence, about: Provenance) -> bytes:
    """Regions with their indicators: `geometry` holds one shapely geometry per table row."""
    shapes = [None if g is None else json.dumps(shapely.geometry.mapping(g), allow_nan=False)
              for g in geometry]
    return spooled(write_feature_collection, [(table, shapes)], about)


def read_geojson_table(data: bytes) -> tuple[pd.DataFrame, dict]:
    """An export read back: (properties as a table, metadata). For tests and round trips."""
    collection = json.loads(data.decode("utf-8"))
    table = pd.DataFrame([f["properties"] for f in collection["features"]])
    return table, collection.get("metadata", {})


# ------------------------------------------------------------------------------ initiatives


INITIATIVE_COLUMNS = (
    "Name", "Themes", "Legal form", "Organisational structure", "Locality", "Region",
    "Region code", "Country", "Source", "Website", "ID",
)


def initiatives_frame(
    df: pd.DataFrame,
    region_names: Mapping[str, Mapping[str, str]],
    theme_labels: Mapping[str, str],
    source_titles: Mapping[str, str] | None = None,
) -> pd.DataFrame:
    """The initiatives table people see and export: readable, flat, one row per initiative.

    `region_names[layer][code]` names regions of EXPORT_REGION_LAYERS (NUTS 2 in Europe, ITL 1
    in the UK, else the state or province); the first layer holding the
    initiative gives its Region. `source_titles` names sources (shipped ones by default).
    """
    code, region = region_of(df, region_names)
    titles = short_titles()
    titles.update(source_titles or {})
    out = pd.DataFrame(
        {
            "Name": df["name"],
            "Themes": df["themes"].map(
                lambda ts: "; ".join(theme_labels.get(t, t) for t in (ts or []))
            ),
            "Legal form": df["legal_form"],
            "Organisational structure": df["org_structure"],
            "Locality": df["locality"],
            "Region": region,
            "Region code": code,
            "Country": df["country"],
            "Source": df["source"].map(lambda s: titles.get(s, s)),
            "Website": df["website"],
            "ID": df["id"],
        }
    )
    return out.astype(object).where(out.notna(), None).reset_index(drop=True)


EXPORT_BLOCK_ROWS = 50_000  # rows per block: tens of MB at most while an export is written


def initiatives_blocks(
    df: pd.DataFrame,
    positions: np.ndarray,
    region_names: Mapping[str, Mapping[str, str]],
    theme_labels: Mapping[str, str],
    source_titles: Mapping[str, str] | None = None,
    block_rows: int = EXPORT_BLOCK_ROWS,
) -> Blocks:
    """The initiatives table of `df`'s rows at `positions` (in that order), as blocks made when
    an export is written, with each block's points for GeoJSON."""
    starts = range(0, len(positions), block_rows)

    def make() -> Iterator[pd.DataFrame]:
        for i in starts:
            rows = df.iloc[positions[i:i + block_rows]]
            yield initiatives_frame(rows, region_names, theme_labels, source_titles)

    def points() -> Iterator[tuple[np.ndarray, np.ndarray]]:
        lon, lat = df["lon"].to_numpy(float), df["lat"].to_numpy(float)
        for i in starts:
            chunk = positions[i:i + block_rows]
            yield lon[chunk], lat[chunk]

    return Blocks(len(positions), make, points)
