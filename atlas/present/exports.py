"""Exports people take away (CSV, XLSX, GeoJSON), each carrying its provenance, with
spreadsheet formula injection neutralised.

A text cell starting with `=`, `+`, `-`, `@`, tab or carriage return would run as a formula
in Excel/LibreOffice/Sheets. In CSV such cells are prefixed with an apostrophe (the OWASP
advice: spreadsheets show the text, not a formula). In XLSX they are written as explicit
string cells, so they read back unchanged and still never evaluate.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import zipfile
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
import shapely.geometry

from atlas.model.layers import EXPORT_REGION_LAYERS, LAYERS
from atlas.model.sources import SOURCES, short_titles
from atlas.paths import INITIATIVES_FILE

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def neutralise(value: object) -> object:
    """Text that a spreadsheet would evaluate gets a leading apostrophe; other values pass."""
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


def neutralise_frame(df: pd.DataFrame) -> pd.DataFrame:
    """A copy with every text cell neutralised (numbers, including negatives, untouched)."""
    out = df.copy()
    for column in out.columns:
        if out[column].dtype == object or pd.api.types.is_string_dtype(out[column]):
            out[column] = out[column].map(neutralise)
    out.columns = [neutralise(str(c)) for c in out.columns]
    return out


def flatten_lists(df: pd.DataFrame, sep: str = "; ") -> pd.DataFrame:
    """List cells (themes) joined as text, for flat formats."""
    out = df.copy()
    for column in out.columns:
        if out[column].map(lambda v: isinstance(v, list | tuple)).any():
            out[column] = out[column].map(
                lambda v: sep.join(map(str, v)) if isinstance(v, list | tuple) else v
            )
    return out


def csv_bytes(df: pd.DataFrame) -> bytes:
    """Comment-free UTF-8 CSV (with BOM so Excel reads accents), formulas neutralised."""
    text = neutralise_frame(flatten_lists(df)).to_csv(index=False, quoting=csv.QUOTE_NONNUMERIC)
    return text.encode("utf-8-sig")


# A worksheet holds at most 1,048,576 rows (Excel's limit), the header row included.
XLSX_MAX_ROWS = 1_048_576


def xlsx_fits(sheets: Mapping[str, pd.DataFrame]) -> bool:
    """Every table fits one worksheet with its header row (else: offer the CSV)."""
    return all(len(frame) < XLSX_MAX_ROWS for frame in sheets.values())


def xlsx_bytes(sheets: Mapping[str, pd.DataFrame], about: Sequence[tuple[str, str]]) -> bytes:
    """Workbook with one sheet per table plus an 'About' sheet (provenance key/value rows).

    Every text cell is written as an explicit string: nothing evaluates, and the text reads
    back as shown (XML turns a bare carriage return into a line feed). A table longer than a
    worksheet is refused (ValueError) before anything is written: take the CSV.
    """
    if not xlsx_fits(sheets):
        raise ValueError(f"Excel holds at most {XLSX_MAX_ROWS:,} rows per sheet: take the CSV")
    from openpyxl import Workbook
    from openpyxl.cell.cell import TYPE_STRING

    wb = Workbook()
    wb.remove(wb.active)
    tables = dict(sheets)
    tables["About"] = pd.DataFrame(list(about), columns=["field", "value"])
    for name, frame in tables.items():
        ws = wb.create_sheet(title=name[:31])
        flat = flatten_lists(frame)
        ws.append([str(c) for c in flat.columns])
        for row in flat.itertuples(index=False):
            ws.append([None if _missing(v) else v for v in row])
        for row in ws.iter_rows():
            for cell in row:
                if isinstance(cell.value, str):
                    cell.data_type = TYPE_STRING
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


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


def csv_zip_bytes(tables: Mapping[str, pd.DataFrame], about: Provenance) -> bytes:
    """ZIP with one comment-free CSV per table and README.txt (the provenance).

    A single table is written as `data.csv`; several as `<name>.csv` each.
    """
    names = ["data.csv"] if len(tables) == 1 else [f"{_slug(name)}.csv" for name in tables]
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        for name, frame in zip(names, tables.values(), strict=True):
            zf.writestr(name, csv_bytes(frame))
        zf.writestr("README.txt", about.readme(names).encode("utf-8"))
    return buf.getvalue()


def _slug(text: str) -> str:
    return "-".join("".join(c if c.isalnum() else " " for c in text.lower()).split()) or "table"


# ------------------------------------------------------------------------------ GeoJSON


def _json_value(value: object) -> object:
    """A cell as plain JSON: NaN/None → null, numpy scalars → Python, lists kept."""
    if isinstance(value, list | tuple | np.ndarray):
        return [_json_value(v) for v in value]
    if value is None or (isinstance(value, float | np.floating) and np.isnan(value)):
        return None
    if value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, np.generic):
        return value.item()
    return value


def _feature_collection(
    table: pd.DataFrame, geometries: Sequence[dict | None], about: Provenance
) -> bytes:
    """GeoJSON text: one feature per table row, properties exactly the row's cells.

    Text goes out verbatim (JSON strings never evaluate, and GIS tools read them as text), so a
    GeoJSON export reads back equal to the table shown.
    """
    columns = [str(c) for c in table.columns]
    features = [
        {
            "type": "Feature",
            "geometry": geometry,
            "properties": {c: _json_value(v) for c, v in zip(columns, row, strict=True)},
        }
        for row, geometry in zip(table.itertuples(index=False), geometries, strict=True)
    ]
    collection = {"type": "FeatureCollection", "metadata": about.as_dict(), "features": features}
    return json.dumps(collection, ensure_ascii=False, allow_nan=False).encode("utf-8")


def points_geojson(
    table: pd.DataFrame, lon: Sequence[float], lat: Sequence[float], about: Provenance
) -> bytes:
    """Initiatives as Point features (null geometry where a record has no usable point)."""
    geometries = [
        None if _json_value(x) is None or _json_value(y) is None
        else {"type": "Point", "coordinates": [round(float(x), 6), round(float(y), 6)]}
        for x, y in zip(lon, lat, strict=True)
    ]
    return _feature_collection(table, geometries, about)


def regions_geojson(table: pd.DataFrame, geometry: Sequence, about: Provenance) -> bytes:
    """Regions with their indicators: `geometry` holds one shapely geometry per table row."""
    return _feature_collection(
        table, [None if g is None else shapely.geometry.mapping(g) for g in geometry], about
    )


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
    region = pd.Series(None, index=df.index, dtype=object)
    code = pd.Series(None, index=df.index, dtype=object)
    for layer_id in EXPORT_REGION_LAYERS:
        column = LAYERS[layer_id].column
        todo = code.isna() & df[column].notna()
        code[todo] = df.loc[todo, column]
        region[todo] = df.loc[todo, column].map(dict(region_names.get(layer_id, {})))
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
