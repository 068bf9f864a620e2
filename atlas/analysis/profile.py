"""One region's profile, built once in the core and read by every view of it: the region page,
the PDF brief, exports and `python -m atlas profile LAYER:CODE [--json]`.

Every figure follows the filters. A figure that cannot be computed (population unknown, a
country with no initiatives) is None in JSON and "no data" in text, with its reason in
`no_data`: never 0.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field

import pandas as pd

from atlas.analysis.compare import coverage, coverage_note
from atlas.analysis.context import (
    ContextFigure,
    context_figures,
    degurba_for,
    figures_for,
    policies_for,
)
from atlas.analysis.indicators import category_mix, region_table, theme_mix
from atlas.model.classify import fmt_number, fmt_percent
from atlas.model.context import INDICATORS
from atlas.model.filters import Filters, mask
from atlas.model.layers import LAYERS
from atlas.model.metrics import per_100k
from atlas.model.themes import theme_labels

PROFILE_VERSION = 2
# What a presenter reads out about need (in this order, when the layer has them).
SUMMARY_INDICATORS = ("youth_unemployment", "unemployment", "neet_rate", "gdp_shock_2020")
POLICY_FIELDS = ("title", "title_en", "number", "date_adopted", "policy_type", "subject",
                 "level", "scope", "region_name", "source_url", "source_quote")
SCOPE_WORDS = {"this region": "for this region", "wider region": "for a region containing it",
               "part of this region": "for parts of it", "national": "national", "EU": "EU"}
FIGURE_FIELDS = ("indicator", "value", "year", "unit", "publisher", "scope", "region_name",
                 "source_url", "source_quote")


def _records(frame: pd.DataFrame, fields) -> list[dict]:
    """Rows as plain dicts of the given fields (None for empty text)."""
    out = []
    for row in frame.reindex(columns=list(fields)).itertuples(index=False):
        rec = {}
        for name, value in zip(fields, row, strict=True):
            if isinstance(value, str):
                rec[name] = value or None
            else:
                rec[name] = _float(value) if value is not None else None
        out.append(rec)
    return out


@dataclass(frozen=True)
class RegionProfile:
    layer: str
    code: str
    name: str
    country: str
    country_name: str
    filters: Filters
    initiatives: int
    population: float | None
    population_year: int | None
    per_100k: float | None
    rank_in_layer: int
    regions_in_layer: int
    rank_in_country: int
    regions_in_country: int
    share_of_country: float | None
    country_initiatives: int
    country_per_100k: float | None
    all_initiatives: int
    # Share of initiatives carrying each theme: columns region, country, all.
    theme_mix: pd.DataFrame
    legal_forms: pd.Series
    by_source: pd.Series
    # One row per source: does it cover the country, records here (see compare.coverage).
    coverage: pd.DataFrame
    coverage_note: str
    # The territory: context indicators, policies in force, official SSE figures.
    context: tuple[ContextFigure, ...] = ()
    policies: pd.DataFrame = field(default_factory=pd.DataFrame)
    official_figures: pd.DataFrame = field(default_factory=pd.DataFrame)
    # The country's (and the EU's) unemployment and poverty by degree of urbanisation.
    degurba: pd.DataFrame = field(default_factory=pd.DataFrame)

    @property
    def layer_label(self) -> str:
        return LAYERS[self.layer].label

    @property
    def no_data(self) -> dict[str, str]:
        """Why a figure is missing, by field."""
        out = {}
        if self.population is None:
            out["population"] = "no population figure for this region"
        if self.per_100k is None:
            out["per_100k"] = "population unknown, so no rate per inhabitant"
        if self.country_per_100k is None:
            out["country_per_100k"] = "country population unknown"
        if self.share_of_country is None:
            out["share_of_country"] = "no initiative in the country matches the filters"
        return out

    def figures(self) -> list[tuple[str, str]]:
        """Headline figures as (label, formatted value): the PDF brief and the text output."""
        year = f" ({self.population_year})" if self.population_year else ""
        return [
            ("Initiatives", fmt_number(self.initiatives)),
            ("Per 100,000 inhabitants", fmt_number(self.per_100k, 1)),
            (f"Population{year}", fmt_number(self.population)),
            ("Rank in layer (by initiatives)", f"{self.rank_in_layer} of {self.regions_in_layer}"),
            ("Rank in country", f"{self.rank_in_country} of {self.regions_in_country}"),
            ("Share of the country's initiatives", fmt_percent(self.share_of_country)),
            (f"Initiatives in {self.country_name}", fmt_number(self.country_initiatives)),
            (f"{self.country_name}: per 100,000", fmt_number(self.country_per_100k, 1)),
        ]

    def to_json(self) -> dict:
        """The profile as one JSON-ready object (plain types; None where there is no data)."""
        labels = theme_labels()
        mix = self.theme_mix
        return {
            "profile_version": PROFILE_VERSION,
            "layer": self.layer,
            "layer_label": self.layer_label,
            "code": self.code,
            "name": self.name,
            "country": self.country,
            "country_name": self.country_name,
            "filters": self.filters.describe(labels),
            "counts": {
                "initiatives": self.initiatives,
                "country_initiatives": self.country_initiatives,
                "all_initiatives": self.all_initiatives,
            },
            "population": self.population,
            "population_year": self.population_year,
            "per_100k": self.per_100k,
            "country_per_100k": self.country_per_100k,
            "ranks": {
                "in_layer": self.rank_in_layer,
                "regions_in_layer": self.regions_in_layer,
                "in_country": self.rank_in_country,
                "regions_in_country": self.regions_in_country,
            },
            "share_of_country": self.share_of_country,
            "theme_mix": [
                {"theme": t, "label": labels.get(t, t),
                 **{k: _float(mix.at[t, k]) for k in mix.columns}}
                for t in mix.index
            ],
            "legal_forms": {str(k): _float(v) for k, v in self.legal_forms.items()},
            "sources": [
                {"source": r["Source"], "covers_country": r["Covers this country"] == "yes",
                 "records_in_region": int(r["Records in the region"]),
                 "records_matching_filters": int(r["Records matching the filters"]),
                 "licence": r["Licence"]}
                for _, r in self.coverage.iterrows()
            ],
            "coverage_note": self.coverage_note,
            "no_data": self.no_data,
            "context": {c.indicator: c.to_json() for c in self.context},
            "policies": _records(self.policies, POLICY_FIELDS),
            "official_figures": _records(self.official_figures, FIGURE_FIELDS),
            "degurba": [{k: v if isinstance(v, str) else int(v) if k == "Year" else _float(v)
                         for k, v in r.items()} for r in self.degurba.to_dict("records")],
            "summary": self.summary(),
        }

    def summary(self) -> str:
        """Sentences a presenter can read out: known SSE, need, policies, official figures."""
        per = (f" ({fmt_number(self.per_100k, 1)} per 100,000 inhabitants)"
               if self.per_100k is not None else "")
        out = [f"{self.name} has {fmt_number(self.initiatives)} known SSE initiatives in the "
               f"atlas's sources{per}: rank {self.rank_in_layer} of {self.regions_in_layer} "
               f"({self.layer_label})."]
        by_id = {c.indicator: c for c in self.context}
        need = [by_id[i] for i in SUMMARY_INDICATORS if i in by_id]
        said = []
        for c in need:
            if c.value is None:
                continue
            ref = (f" (median of EU regions {fmt_number(c.eu_median, 1)})"
                   if c.eu_median is not None else "")
            said.append(f"{INDICATORS[c.indicator].words} ({c.year}) {c.value_text()}{ref}")
        if said:
            out.append("Need: " + "; ".join(said) + ".")
        elif need:
            out.append(f"Need indicators: no data ({need[0].missing}).")
        else:
            out.append("Need indicators: none for this layer (Eurostat's regional figures are "
                       "for NUTS 2 and NUTS 3; the UK is in none of them).")
        if len(self.policies):
            counts = self.policies["scope"].value_counts()
            parts = [f"{counts[s]} {SCOPE_WORDS[s]}" for s in SCOPE_WORDS if s in counts]
            own = self.policies[self.policies["scope"].isin(["this region", "wider region"])]
            laws = own[own["policy_type"] == "law"] if "policy_type" in own else own
            first = ""
            if len(laws if len(laws) else own):
                p = (laws if len(laws) else own).iloc[0]
                first = (f", e.g. {p['number'] or p['title']} of {str(p['date_adopted'])[:4]} "
                         f"on {str(p['subject']).replace('_', ' ')}")
            out.append(f"Policies supporting SSE: {', '.join(parts)}{first}.")
        else:
            out.append("No SSE policy is recorded for this region or its country in the "
                       "atlas's compilation (which may be incomplete).")
        if len(self.official_figures):
            out.append(f"{len(self.official_figures)} official SSE figures describe it or its "
                       "country (different years and definitions, listed as published).")
        return " ".join(out)

    def to_text(self) -> str:
        """The profile for a terminal: plain text, one figure per line."""
        labels = theme_labels()
        lines = [f"{self.name} ({self.code}) · {self.layer_label} · {self.country_name}",
                 f"Filters: {self.filters.describe(labels)}", ""]
        width = max(len(label) for label, _ in self.figures())
        lines += [f"{label:<{width}}  {value}" for label, value in self.figures()]
        region_mix = self.theme_mix["region"]
        shown = region_mix[region_mix > 0].sort_values(ascending=False)
        if len(shown):
            lines += ["", "Themes (share of the region's initiatives):"]
            lines += [f"  {labels.get(t, t)}: {fmt_percent(v)}" for t, v in shown.items()]
        lines += ["", "Sources:"]
        lines += [f"  {r['Source']}: {int(r['Records in the region'])} record(s) here, "
                  f"covers {self.country_name}: {r['Covers this country']}"
                  for _, r in self.coverage.iterrows()]
        lines += ["", self.coverage_note]
        lines += [f"No data: {k}: {why}" for k, why in self.no_data.items()]
        if self.context:
            lines += ["", "Context:"]
            lines += [f"  {c.label}, {c.year}: {c.value_text()} · {c.source}"
                      for c in self.context]
        if len(self.policies):
            lines += ["", "Policies:"]
            lines += [f"  [{r['scope']}] {r['number']} {r['title']} ({r['date_adopted']}) "
                      f"{r['source_url']}" for _, r in self.policies.iterrows()]
        if len(self.official_figures):
            lines += ["", "Official SSE figures:"]
            lines += [f"  [{r['scope']}] {r['indicator']} {fmt_number(r['value'])} {r['unit']} "
                      f"({r['year']}, {r['publisher']}) {r['source_url']}"
                      for _, r in self.official_figures.iterrows()]
        lines += ["", self.summary()]
        return "\n".join(lines)


def _float(value) -> float | None:
    """A plain float, None for NaN/None (JSON has no NaN)."""
    if value is None:
        return None
    value = float(value)
    return None if math.isnan(value) else value


def build_profile(
    df: pd.DataFrame,
    regions: pd.DataFrame,
    layer_id: str,
    code: str,
    f: Filters = Filters(),
    countries: pd.DataFrame | None = None,
    titles: Mapping[str, str] | None = None,
    policies: pd.DataFrame | None = None,
    figures: pd.DataFrame | None = None,
    degurba: pd.DataFrame | None = None,
) -> RegionProfile:
    """The profile of region `code` of `layer_id` next to its country and all data.

    `regions` is the layer table (geometry optional), `countries` the countries layer table
    (population and name of the country), `titles` names imported sources; `regions` with
    context columns (atlas.store.context.with_context) gives the context panel, `policies`
    and `figures` (atlas.store.context) the policies and official figures.
    Raises KeyError for an unknown code.
    """
    table = region_table(df, regions, layer_id, f)
    rows = table[table["code"] == code]
    if rows.empty:
        raise KeyError(f"no region {code!r} in layer {layer_id!r}")
    row = rows.iloc[0]
    keep = mask(df, f)
    column = LAYERS[layer_id].column
    here = keep & (df[column] == code).to_numpy()
    home = keep & (df["country"] == row["country"]).to_numpy()
    in_region = df[here]  # the region's rows only: the table itself is never copied
    country = str(row["country"])
    country_pop, country_name = float("nan"), country
    if countries is not None:
        match = countries.loc[countries["code"] == country]
        if len(match):
            country_pop = float(pd.to_numeric(match["population"].iloc[0], errors="coerce"))
            country_name = str(match["name"].iloc[0])
    cov = coverage(df, layer_id, code, country, f, titles)
    year = row["population_year"]
    return RegionProfile(
        layer=layer_id,
        code=code,
        name=str(row["name"]),
        country=country,
        country_name=country_name,
        filters=f,
        initiatives=int(row["initiatives"]),
        population=_float(row["population"]),
        population_year=None if pd.isna(year) else int(year),
        per_100k=_float(row["per_100k"]),
        rank_in_layer=int(row["rank_in_layer"]),
        regions_in_layer=len(table),
        rank_in_country=int(row["rank_in_country"]),
        regions_in_country=int((table["country"] == row["country"]).sum()),
        share_of_country=_float(row["share_of_country"]),
        country_initiatives=int(home.sum()),
        country_per_100k=_float(per_100k(int(home.sum()), country_pop)),
        all_initiatives=int(keep.sum()),
        theme_mix=pd.DataFrame({"region": theme_mix(df, here),
                                "country": theme_mix(df, home),
                                "all": theme_mix(df, keep)}),
        legal_forms=category_mix(in_region, "legal_form"),
        by_source=in_region["source"].value_counts(),
        coverage=cov,
        coverage_note=coverage_note(cov, str(row["name"]), country_name,
                                    filtered=not f.is_empty()),
        context=tuple(context_figures(regions, layer_id, code)),
        policies=(policies_for(policies, layer_id, code, country) if policies is not None
                  else pd.DataFrame(columns=list(POLICY_FIELDS))),
        official_figures=(figures_for(figures, layer_id, code, country) if figures is not None
                          else pd.DataFrame(columns=list(FIGURE_FIELDS))),
        degurba=degurba_for(degurba, country) if degurba is not None else pd.DataFrame(),
    )
