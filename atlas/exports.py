"""Exports people take away (CSV, XLSX, GeoJSON), each carrying its provenance, with
spreadsheet formula injection neutralised.

A text cell starting with `=`, `+`, `-`, `@`, tab or carriage return would run as a formula
in Excel/LibreOffice/Sheets. In CSV such cells are prefixed with an apostrophe (the OWASP
advice: spreadsheets show the text, not a formula). In XLSX they are written as explicit
string cells, so they read back unchanged and still never evaluate.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping, Sequence

import pandas as pd

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


def xlsx_bytes(sheets: Mapping[str, pd.DataFrame], about: Sequence[tuple[str, str]]) -> bytes:
    """Workbook with one sheet per table plus an 'About' sheet (provenance key/value rows).

    Every text cell is written as an explicit string: nothing evaluates, and the text reads
    back as shown (XML turns a bare carriage return into a line feed).
    """
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
