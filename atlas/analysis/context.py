"""SSE next to the territory: context indicators per region, the policies in force there and
the official SSE figures that describe it.

The shipped tables come from `atlas.store.context` (which also joins the indicators to a layer
table: `with_context`); every function here is plain pandas over them, so the region page, the
PDF brief, the CLI and the tests read the same figures.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from atlas.model import credits
from atlas.model.classify import fmt_number
from atlas.model.context import (
    EU27,
    INDICATORS,
    NO_CONTEXT,
    NOT_COVERED,
    TRAIT_BIT,
    flag_column,
    flag_words,
    indicators_for,
    missing_column,
    year_column,
)
from atlas.model.filters import Filters

NUTS_LAYERS = ("nuts1", "nuts2", "nuts3")
EU = "EU"




@dataclass(frozen=True)
class ContextFigure:
    """One indicator for one region, with what a reader needs to trust it."""

    indicator: str
    value: float | None
    year: int
    flag: str
    missing: str  # why there is no value ('' when there is one)
    rank: int | None  # 1 = highest value in the layer
    ranked: int  # regions of the layer with a value
    country_median: float | None
    eu_median: float | None

    @property
    def label(self) -> str:
        return INDICATORS[self.indicator].label

    @property
    def unit(self) -> str:
        return INDICATORS[self.indicator].unit

    @property
    def source(self) -> str:
        return credits.context_source(INDICATORS[self.indicator].source).attribution

    @property
    def flag_meaning(self) -> str:
        return flag_words(self.flag)

    def value_text(self) -> str:
        """'12.2 (u: low reliability)' or 'no data: region not covered by the source'."""
        if self.value is None:
            return f"no data: {self.missing or NOT_COVERED}"
        flag = f" ({self.flag_meaning})" if self.flag else ""
        symbol = INDICATORS[self.indicator].symbol
        return fmt_number(self.value, 1) + (f" {symbol}" if symbol else "") + flag

    def to_json(self) -> dict:
        return {"indicator": self.indicator, "label": self.label, "unit": self.unit,
                "value": self.value, "year": self.year, "flag": self.flag or None,
                "flag_meaning": self.flag_meaning or None, "missing": self.missing or None,
                "rank": self.rank, "ranked": self.ranked,
                "country_median": self.country_median, "eu_median": self.eu_median,
                "source": self.source,
                "source_title": credits.context_source(INDICATORS[self.indicator].source).title}


def _num(value) -> float | None:
    return None if value is None or pd.isna(value) else float(value)


def context_figures(table: pd.DataFrame, layer_id: str, code: str) -> list[ContextFigure]:
    """Every context indicator of the layer for one region of `table` (a region table or a
    layer table with context columns): value, flag, rank in the layer, and the median of the
    regions of its country and of the EU (medians of regions, not national figures)."""
    row = table[table["code"] == code]
    if row.empty:
        return []
    r = row.iloc[0]
    eu = table["country"].isin(EU27)
    same = table["country"] == r["country"]
    out = []
    for ind in indicators_for(layer_id):
        if ind not in table:
            values = pd.Series(np.nan, index=table.index)
            flag, missing = "", NO_CONTEXT
        else:
            values = pd.to_numeric(table[ind], errors="coerce")
            flag, missing = str(r.get(flag_column(ind), "") or ""), str(
                r.get(missing_column(ind), "") or "")
        year = r.get(year_column(ind))
        year = INDICATORS[ind].year if year is None or pd.isna(year) else int(year)
        value = _num(values.loc[r.name])
        ranks = values.rank(ascending=False, method="min")
        out.append(ContextFigure(
            ind, value, year, flag if value is not None else "",
            "" if value is not None else (missing or NOT_COVERED),
            int(ranks.loc[r.name]) if value is not None else None, int(values.notna().sum()),
            _num(values[same].median()) if values[same].notna().any() else None,
            _num(values[eu].median()) if values[eu].notna().any() else None))
    return out


def _applies(layer_col: pd.Series, code_col: pd.Series, layer_id: str, code: str,
             country: str) -> pd.Series:
    """Rows (policies or figures) that concern the region: its own NUTS code or one that
    contains it, one inside it, its country, or the EU for a member state."""
    nuts = layer_col.isin(NUTS_LAYERS)
    if layer_id in NUTS_LAYERS:
        regional = nuts & code_col.map(lambda c: bool(c) and (code.startswith(c)
                                                             or c.startswith(code))).astype(bool)
    elif layer_id == "countries":
        regional = nuts & code_col.str.startswith(_nuts_country(country))
    else:
        regional = pd.Series(False, index=layer_col.index)
    national = (layer_col == "countries") & (code_col == country)
    eu = (layer_col == "eu") & (country in EU27)
    return regional | national | eu


def _nuts_country(iso: str) -> str:
    return "EL" if iso == "GR" else iso


def _scope(layer_col: pd.Series, code_col: pd.Series, code: str) -> pd.Series:
    """Where a row applies, in words: this region, a wider one, a part of it, country, EU."""
    out = np.select(
        [(layer_col == "eu").to_numpy(bool), (layer_col == "countries").to_numpy(bool),
         (code_col == code).to_numpy(bool),
         code_col.map(lambda c: bool(c) and code.startswith(c)).to_numpy(bool)],
        ["EU", "national", "this region", "wider region"], "part of this region")
    return pd.Series(out, index=layer_col.index)


def policies_for(policies: pd.DataFrame, layer_id: str, code: str, country: str) -> pd.DataFrame:
    """The policies in force for a region: its own and those of regions containing it (or,
    for a coarse region, inside it), its country's and the EU's; with a `scope` column,
    regional first, newest first."""
    if policies.empty:
        return policies.assign(scope=pd.Series(dtype=object))
    keep = _applies(policies["layer"], policies["code"], layer_id, code, country)
    out = policies[keep].copy()
    out["scope"] = _scope(out["layer"], out["code"], code)
    order = {"this region": 0, "wider region": 1, "part of this region": 2, "national": 3,
             "EU": 4}
    out["_o"] = out["scope"].map(order)
    return out.sort_values(["_o", "date_adopted"], ascending=[True, False]).drop(columns="_o")


def figures_for(figures: pd.DataFrame, layer_id: str, code: str, country: str) -> pd.DataFrame:
    """Official SSE figures about a region (and its country), one row per figure as published,
    ordered by (indicator, year, publisher): figures of different years or definitions are
    listed side by side, never merged into one series."""
    if figures.empty:
        return figures.assign(scope=pd.Series(dtype=object))
    keep = _applies(figures["layer"], figures["code"], layer_id, code, country)
    out = figures[keep].copy()
    out["scope"] = _scope(out["layer"], out["code"], code)
    return out.sort_values(["scope", "indicator", "year", "publisher"])


def context_frame(figures: list[ContextFigure] | tuple[ContextFigure, ...]) -> pd.DataFrame:
    """The context panel as a table (page and exports): one row per indicator, the reason in
    words where there is no value, the flag and its meaning, the source."""
    return pd.DataFrame({
        "Indicator": [c.label for c in figures],
        "Year": [c.year for c in figures],
        "Value": [c.value for c in figures],
        "Unit": [c.unit for c in figures],
        "Flag": [c.flag for c in figures],
        "Note": [c.flag_meaning if c.value is not None else f"no data: {c.missing}"
                 for c in figures],
        "Rank (1 = highest)": [f"{c.rank} of {c.ranked}" if c.rank else "" for c in figures],
        "Median of the country's regions": [c.country_median for c in figures],
        "Median of EU regions": [c.eu_median for c in figures],
        "Source": [c.source for c in figures],
    })


POLICY_HEADERS = {"scope": "Applies to", "region_name": "Region", "policy_type": "Type",
                  "number": "Number", "title": "Title (original language)",
                  "title_en": "Title (English)", "date_adopted": "Adopted", "subject": "Subject",
                  "source_url": "Source", "source_quote": "Quote from the source"}
FIGURE_HEADERS = {"scope": "Applies to", "region_name": "Region", "indicator": "What is counted",
                  "value": "Value", "unit": "Unit", "year": "Year", "publisher": "Publisher",
                  "source_url": "Source", "source_quote": "Quote from the source"}


def policies_frame(policies: pd.DataFrame) -> pd.DataFrame:
    """Policies as the page and exports show them: every row with its source link."""
    return policies.reindex(columns=list(POLICY_HEADERS)).rename(columns=POLICY_HEADERS)


def figures_frame(figures: pd.DataFrame) -> pd.DataFrame:
    """Official figures as published, one per row, with their source link."""
    return figures.reindex(columns=list(FIGURE_HEADERS)).rename(columns=FIGURE_HEADERS)


def typology_match(typology: pd.DataFrame, f: Filters) -> pd.Series:
    """Regions (by code) whose rolled-up typology (atlas.store.context.layer_typology) passes
    the filters' territory fields; all True when none is set. Regions without a typology
    (UK, outside NUTS) fail any territory filter."""
    keep = pd.Series(True, index=typology.index)
    if f.areas:
        keep &= typology["area"].isin(f.areas).to_numpy()
    if f.traits:
        wanted = sum(TRAIT_BIT.get(t, 0) for t in f.traits)
        keep &= (typology["trait_bits"].to_numpy() & wanted) != 0
    return keep


DEGURBA_INDICATORS = {"unemployment": "Unemployment rate (%)",
                      "poverty_or_exclusion": "At risk of poverty or social exclusion (%)"}
DEGURBA_LABELS = {"cities": "Cities", "towns_suburbs": "Towns and suburbs",
                  "rural": "Rural areas"}


def degurba_for(degurba: pd.DataFrame, country: str) -> pd.DataFrame:
    """National figures by degree of urbanisation (Eurostat, 2025) for the region's country and
    the EU: one row per (where, indicator), a column per degree; missing = no data."""
    rows = degurba[(degurba["sex"] == "total") & degurba["country"].isin([country, EU])]
    if rows.empty:
        return pd.DataFrame(columns=["Where", "Indicator", "Year", *DEGURBA_LABELS.values()])
    wide = rows.pivot_table(index=["country", "indicator", "year"], columns="degurba",
                            values="value", aggfunc="first").reset_index()
    wide["_o"] = (wide["country"] == EU).astype(int)
    wide = wide.sort_values(["_o", "indicator"], ascending=[True, False])
    out = pd.DataFrame({
        "Where": wide["country"].to_numpy(),
        "Indicator": wide["indicator"].map(DEGURBA_INDICATORS).to_numpy(),
        "Year": wide["year"].to_numpy(),
    })
    for key, label in DEGURBA_LABELS.items():
        out[label] = wide[key].to_numpy() if key in wide else np.nan
    return out.reset_index(drop=True)
