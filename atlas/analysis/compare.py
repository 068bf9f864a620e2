"""Regions side by side: the comparison table, the ranking of a layer, theme mixes in long form,
and what each source contributes to a region (so "0 initiatives" is read as "no data here").

Every table here is a *display* table: human column names, one row per region, the same frame
the page shows and the exports write, so what people take away is exactly what they saw.
Shares are fractions (0.25 = 25 %); pages format them, exports keep the numbers.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from atlas.analysis.context import policies_for
from atlas.analysis.indicators import category_mix, region_table, theme_mix
from atlas.model.context import INDICATORS, flag_column, missing_column, year_column
from atlas.model.filters import Filters, mask
from atlas.model.layers import LAYERS
from atlas.model.metrics import METRICS, THEME_SHARE_PREFIX
from atlas.model.sources import SOURCES, short_titles
from atlas.model.themes import NO_THEME, bit_of, load_themes, theme_labels
from atlas.text import clip

MIN_REGIONS, MAX_REGIONS = 2, 6

# region_table column → display header (order = display order).
HEADERS = {
    "name": "Region",
    "code": "Code",
    "layer": "Layer",
    "country": "Country",
    "initiatives": METRICS["initiatives"].label,
    "per_100k": METRICS["per_100k"].label,
    "population": "Population",
    "population_year": "Population year",
    "rank_in_layer": "Rank in layer",
    "regions_in_layer": "Regions in layer",
    "rank_in_country": "Rank in country",
    "regions_in_country": "Regions of the country in layer",
    "share_of_country": "Share of the country's initiatives",
}
POLICIES_REGIONAL = "SSE policies: regional"
POLICIES_NATIONAL = "SSE policies: national"
REGIONAL_SCOPES = ("this region", "wider region", "part of this region")
SHARE_PREFIX = THEME_SHARE_PREFIX
RECORDS_PREFIX = "Records from "


def theme_share_header(theme: str) -> str:
    return METRICS["theme_share"].title(theme_label(theme))


def theme_label(theme: str) -> str:
    return "No theme" if theme == NO_THEME else theme_labels().get(theme, theme)


def source_name(source: str, titles: Mapping[str, str] | None = None) -> str:
    """Short name of a source ('Co-ops UK'), for column headers and notes; `titles` names
    imported datasets."""
    if source in SOURCE_SCOPE:
        return SOURCE_SCOPE[source].short
    if source in SOURCES:
        return short_titles()[source]
    return (titles or {}).get(source, source)


# ------------------------------------------------------------------------------ selections


@dataclass(frozen=True)
class RegionRef:
    """One region of one layer, written `layer:code` in URLs."""

    layer: str
    code: str

    def __str__(self) -> str:
        return f"{self.layer}:{self.code}"


def parse_refs(
    raw: str | Sequence[str] | None, codes: Mapping[str, set[str]], limit: int = MAX_REGIONS
) -> tuple[list[RegionRef], list[str]]:
    """Regions from `nuts2:ITH5,uk_regions:UKI` (or repeated values); what is unknown, repeated
    or beyond `limit` is dropped with a notice (plain text, echoes clipped), never an
    exception."""
    items = [raw] if isinstance(raw, str) else list(raw or [])
    parts = [p.strip() for item in items for p in str(item).split(",") if p.strip()]
    refs: list[RegionRef] = []
    notices: list[str] = []
    for part in parts:
        layer, sep, code = part.partition(":")
        if not sep or layer not in LAYERS:
            notices.append(f"Ignored {clip(part)!r} in the URL: write regions as layer:code, "
                           f"e.g. nuts2:ITH5 (layers: {', '.join(LAYERS)}).")
            continue
        if code not in codes.get(layer, set()):
            label = LAYERS[layer].label
            notices.append(f"Ignored {clip(part)!r}: no region {clip(code)!r} in {label}.")
            continue
        ref = RegionRef(layer, code)
        if ref in refs:
            continue
        if len(refs) >= limit:
            notices.append(f"Only {limit} regions can be compared; ignored {clip(part)!r}.")
            continue
        refs.append(ref)
    return refs, notices


def format_refs(refs: Iterable[RegionRef]) -> str:
    return ",".join(str(r) for r in refs)


# ------------------------------------------------------------------------------ tables


def context_headers(columns: Iterable[str], reasons: bool = False) -> dict[str, str]:
    """Context columns of a region table → headers: the indicator with its year, its flag
    and, with `reasons` (exports), why a value is missing; '' = left out."""
    out = {}
    for ind in INDICATORS.values():
        if ind.id in columns:
            out[ind.id] = ind.title()
            out[flag_column(ind.id)] = f"{ind.title()}: flag"
            out[missing_column(ind.id)] = f"{ind.title()}: why no data" if reasons else ""
            out[year_column(ind.id)] = ""
    return out


def display(table: pd.DataFrame, reasons: bool = False) -> pd.DataFrame:
    """region_table columns renamed for people, in HEADERS order (other columns kept after;
    context indicators with their flags, as `context_headers` names them)."""
    context = context_headers(table.columns, reasons)
    drop = [c for c, header in context.items() if not header and c in table.columns]
    known = [c for c in HEADERS if c in table.columns]
    rest = [c for c in table.columns if c not in HEADERS and c not in drop]
    out = table[known + rest].rename(columns={**HEADERS, **context}).reset_index(drop=True)
    year = HEADERS["population_year"]
    if year in out:
        out[year] = pd.to_numeric(out[year], errors="coerce").round().astype("Int64")
    return out


def layer_indicators(
    df: pd.DataFrame, regions: pd.DataFrame, layer_id: str, f: Filters = Filters(),
    themes: Sequence[str] = (),
) -> pd.DataFrame:
    """Every region of a layer with its indicators (and shares of `themes`), for display."""
    table = region_table(df, regions, layer_id, f)
    table["regions_in_layer"] = len(table)
    table["regions_in_country"] = table.groupby("country")["code"].transform("size")
    shares = theme_shares(df, layer_id, f, themes)
    for theme in themes:
        table[theme_share_header(theme)] = table["code"].map(shares[theme]).where(
            table["initiatives"] > 0
        )
    return display(table)


def theme_shares(
    df: pd.DataFrame, layer_id: str, f: Filters, themes: Sequence[str]
) -> pd.DataFrame:
    """Share of each region's filtered initiatives carrying each theme (index: region code)."""
    column = LAYERS[layer_id].column
    keep = mask(df, f) & df[column].notna().to_numpy()
    codes = df[column][keep]
    totals = codes.value_counts()
    out = pd.DataFrame(index=totals.index)
    if "theme_bits" in df:  # one AND per theme on one column: no explode of the lists
        bits = df["theme_bits"].to_numpy()[keep]
        bit = bit_of()
    else:
        lists = df["themes"][keep]
    for theme in themes:
        if "theme_bits" in df:
            hit = bits == 0 if theme == NO_THEME else (bits & bit.get(theme, 0)) != 0
        else:
            hit = (lists.map(len) == 0 if theme == NO_THEME
                   else lists.map(lambda ts, t=theme: t in ts)).to_numpy(bool)
        hits = codes[hit].value_counts()
        out[theme] = hits.reindex(totals.index, fill_value=0) / totals
    return out


def ranking(table: pd.DataFrame, sort_by: str, ascending: bool = False) -> pd.DataFrame:
    """A display table sorted by any column; regions without data ('no data') last."""
    if sort_by not in table.columns:
        raise KeyError(f"cannot sort by {sort_by!r}")
    return table.sort_values(
        [sort_by, "Region"], ascending=[ascending, True], na_position="last", kind="stable"
    ).reset_index(drop=True)


def comparison_table(
    df: pd.DataFrame, tables: Mapping[str, pd.DataFrame], refs: Sequence[RegionRef],
    f: Filters = Filters(), titles: Mapping[str, str] | None = None,
    policies: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """The chosen regions (any layers, any countries) with the same indicators, one row each,
    plus how many filtered records each source contributes (`titles` names imports) and, with
    `policies`, how many SSE policies concern each (its own or a containing region's; its
    country's). Context indicators are columns where the layer has them."""
    by_layer = {
        layer: layer_indicators(df, tables[layer], layer, f)
        for layer in dict.fromkeys(r.layer for r in refs)
    }
    keep = mask(df, f)
    rows = []
    for ref in refs:
        table = by_layer[ref.layer]
        row = table[table["Code"] == ref.code].iloc[0].copy()
        row["Layer"] = LAYERS[ref.layer].label
        here = df.loc[keep & (df[LAYERS[ref.layer].column] == ref.code).to_numpy(), "source"]
        counts = here.value_counts()
        for source in (*SOURCES, *sorted(set(counts.index) - set(SOURCES))):
            row[RECORDS_PREFIX + source_name(source, titles)] = int(counts.get(source, 0))
        if policies is not None:
            scopes = policies_for(policies, ref.layer, ref.code, str(row["Country"]))["scope"]
            row[POLICIES_REGIONAL] = int(scopes.isin(REGIONAL_SCOPES).sum())
            row[POLICIES_NATIONAL] = int((scopes == "national").sum())
        rows.append(row)
    columns = [HEADERS[c] for c in HEADERS]
    out = pd.DataFrame(rows).reset_index(drop=True)
    extra = [c for c in out.columns if c not in columns]
    return out[[c for c in columns if c in out.columns] + extra]


def region_label(name: str, code: str) -> str:
    """A region's name with its code: unique even when names repeat across layers."""
    return f"{name} ({code})"


def region_mixes(
    df: pd.DataFrame, refs: Sequence[RegionRef], names: Mapping[RegionRef, str],
    f: Filters = Filters(),
) -> pd.DataFrame:
    """Theme mix of each region as columns (index: theme id), for mix_long."""
    keep = mask(df, f)
    out = {}
    for ref in refs:
        here = df[keep & (df[LAYERS[ref.layer].column] == ref.code).to_numpy()]
        out[region_label(names[ref], ref.code)] = theme_mix(here)
    return pd.DataFrame(out)


def mix_long(mix: pd.DataFrame, counts: Mapping[str, int] | None = None) -> pd.DataFrame:
    """A theme mix (index theme ids, one column per scope) as rows Theme, Scope, Share
    (and Initiatives when `counts[scope]` gives the scope's total), themes in taxonomy order."""
    order = [t.id for t in load_themes()] + [NO_THEME]
    mix = mix.reindex([t for t in order if t in mix.index])
    rows = []
    for scope in mix.columns:
        for theme, share in mix[scope].items():
            row = {"Theme": theme_label(str(theme)), "Scope": str(scope), "Share": share}
            if counts is not None:
                total = counts.get(scope, 0)
                row["Initiatives"] = int(np.rint(share * total)) if share == share else 0
            rows.append(row)
    return pd.DataFrame(rows)


def mix_table(shares: pd.Series, total: int, label: str) -> pd.DataFrame:
    """A category mix (legal forms, activities…) as Value, Initiatives, Share rows."""
    if shares.empty:
        return pd.DataFrame(columns=[label, "Initiatives", "Share"])
    return pd.DataFrame(
        {
            label: shares.index.astype(str),
            "Initiatives": np.rint(shares.to_numpy(dtype=float) * total).astype(int),
            "Share": shares.to_numpy(dtype=float),
        }
    )


def activity_mix(df: pd.DataFrame, top: int = 10) -> pd.Series:
    """Share of initiatives per activity label. SUSY joins several labels with '; ', so
    shares can add up to more than 1; rows without an activity count as 'Not stated'."""
    n = len(df)
    if not n:
        return pd.Series(dtype=float)
    labels = df["activity"].fillna("").astype(str).str.split(";")
    exploded = labels.explode().str.strip()
    counts = exploded[exploded != ""].value_counts()
    missing = int((labels.map(lambda parts: not any(p.strip() for p in parts))).sum())
    if len(counts) > top:
        tail = pd.Series({"Other values": counts.iloc[top:].sum()})
        counts = pd.concat([counts.iloc[:top], tail])
    if missing:
        counts = pd.concat([counts, pd.Series({"Not stated": missing})])
    return counts / n


def category_table(df: pd.DataFrame, column: str, label: str, top: int = 10) -> pd.DataFrame:
    """mix_table of a single-valued column (legal form, organisational structure)."""
    return mix_table(category_mix(df, column, top), len(df), label)


# ------------------------------------------------------------------------------ coverage


@dataclass(frozen=True)
class Scope:
    """What a source covers: `countries` None means Europe-wide (however sparsely)."""

    short: str
    countries: frozenset[str] | None
    note: str


SOURCE_SCOPE: dict[str, Scope] = {
    "susy": Scope(
        "SUSY/TransforMap",
        None,
        "records collected by SUSY project partners across Europe in 2016–2018: sparse and "
        "uneven, a sample of what partners knew, not a census",
    ),
    "coopsuk": Scope(
        "Co-ops UK",
        frozenset({"GB"}),
        "UK co-operatives only, as of Q2 2023; no other SSE forms, no other countries",
    ),
}


IMPORTED_NOTE = "a dataset imported into the atlas; its coverage is what its publisher collected"


def covers(source: str, country: str) -> bool:
    scope = SOURCE_SCOPE.get(source)
    return scope is None or scope.countries is None or country in scope.countries


def coverage(
    df: pd.DataFrame, layer_id: str, code: str, country: str, f: Filters = Filters(),
    titles: Mapping[str, str] | None = None,
) -> pd.DataFrame:
    """One row per source: does it cover the region's country, how many of its records lie in
    the region (all, and matching the filters), and what it covers in general. Imported
    datasets (named by `titles`) appear when they have records here."""
    here = (df[LAYERS[layer_id].column] == code).to_numpy()
    keep = mask(df, f)
    all_counts = df.loc[here, "source"].value_counts()
    kept_counts = df.loc[here & keep, "source"].value_counts()
    ids = [*SOURCES, *sorted(set(all_counts.index) - set(SOURCES))]
    rows = []
    for source in ids:
        info = SOURCES.get(source)
        scope = SOURCE_SCOPE.get(source)
        rows.append(
            {
                "Source": source_name(source, titles),
                "Covers this country": "yes" if covers(source, country) else "no",
                "Records in the region": int(all_counts.get(source, 0)),
                "Records matching the filters": int(kept_counts.get(source, 0)),
                "Period": info.period if info else "",
                "What it covers": scope.note if scope else IMPORTED_NOTE,
                "Licence": info.license if info else "",
            }
        )
    return pd.DataFrame(rows)


def coverage_note(table: pd.DataFrame, region: str, country: str, filtered: bool) -> str:
    """Plain-text reading of a coverage table, for people: which sources speak for this place,
    and that a zero means 'no data here', never 'no SSE here'."""
    covering = table[table["Covers this country"] == "yes"]
    missing = table[table["Covers this country"] == "no"]
    total = int(table["Records in the region"].sum())
    kept = int(table["Records matching the filters"].sum())
    if covering.empty:
        lines = [f"No source of the atlas covers {country}."]
    else:
        parts = [f"{r['Source']}: {r['What it covers']}" for _, r in covering.iterrows()]
        lines = [f"Data for {country} — " + "; ".join(parts) + "."]
    lines += [f"{r['Source']} does not cover {country} ({r['What it covers']})."
              for _, r in missing.iterrows()]
    if total == 0:
        lines.append(f"No record of the atlas lies in {region}: that means no data here, "
                     "not no social and solidarity economy.")
        return " ".join(lines)
    by = ", ".join(f"{int(r['Records in the region'])} from {r['Source']}"
                   for _, r in table.iterrows() if r["Records in the region"])
    lines.append(f"{total} record(s) lie in {region} ({by}).")
    if filtered:
        lines.append(f"{kept} of them match the filters.")
    lines.append("Counts show what these sources recorded, not every SSE initiative.")
    return " ".join(lines)


# ------------------------------------------------------------------------------ charts


def _theme_order(long: pd.DataFrame) -> list[str]:
    return list(dict.fromkeys(long["Theme"]))


def visible(long: pd.DataFrame) -> pd.DataFrame:
    """Themes that at least one scope has (an all-zero row only adds noise to a chart)."""
    shares = long.groupby("Theme")["Share"].max()
    keep = set(shares[shares.fillna(0) > 0].index)
    return long[long["Theme"].isin(keep)]


def _tooltip(long: pd.DataFrame, scope_title: str) -> list:
    """Scope, theme, share (and the count when known) of one bar."""
    import altair as alt

    tooltip = [alt.Tooltip("Scope:N", title=scope_title), alt.Tooltip("Theme:N"),
               alt.Tooltip("Share:Q", format=".1%")]
    if "Initiatives" in long:
        tooltip.append(alt.Tooltip("Initiatives:Q"))
    return tooltip


def theme_bars(long: pd.DataFrame, scopes: Sequence[str]):
    """Grouped horizontal bars: per theme, one bar per scope (region, country, Europe), the
    region in the strongest colour, shares on one axis so differences read at a glance."""
    import altair as alt

    long = visible(long)
    palette = ["#b2182b", "#4393c3", "#9e9e9e", "#5aae61", "#e08214", "#8073ac"]
    tooltip = _tooltip(long, "Scope")
    n_themes = long["Theme"].nunique()
    return (
        alt.Chart(long)
        .mark_bar()
        .encode(
            y=alt.Y("Theme:N", sort=_theme_order(long), title=None,
                    axis=alt.Axis(labelLimit=260)),
            x=alt.X("Share:Q", title="Share of initiatives with the theme",
                    axis=alt.Axis(format="%")),
            yOffset=alt.YOffset("Scope:N", sort=list(scopes)),
            color=alt.Color("Scope:N", sort=list(scopes),
                            scale=alt.Scale(domain=list(scopes), range=palette[: len(scopes)]),
                            legend=alt.Legend(orient="bottom", direction="vertical", title=None,
                                              labelLimit=320)),
            tooltip=tooltip,
        )
        .properties(height=max(160, n_themes * len(scopes) * 11))
    )


def theme_multiples(long: pd.DataFrame, scopes: Sequence[str], columns: int = 3):
    """Small multiples: one panel of theme bars per region, same axis everywhere."""
    import altair as alt

    long = visible(long)
    tooltip = _tooltip(long, "Region")
    n_themes = long["Theme"].nunique()
    return (
        alt.Chart(long)
        .mark_bar(color="#b2182b")
        .encode(
            y=alt.Y("Theme:N", sort=_theme_order(long), title=None,
                    axis=alt.Axis(labelLimit=220)),
            x=alt.X("Share:Q", title="Share of initiatives", axis=alt.Axis(format="%")),
            tooltip=tooltip,
        )
        .properties(width=170, height=max(100, n_themes * 20))
        .facet(facet=alt.Facet("Scope:N", sort=list(scopes), title=None,
                               header=alt.Header(labelFontSize=13, labelFontWeight="bold")),
               columns=columns)
    )
