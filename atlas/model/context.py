"""The territory's context: one `Indicator` record per need or crisis indicator shipped in
`data/context.parquet` (built by `atlas.build.context` from Eurostat).

A record says what the app needs to show the figure honestly: its label and unit, the year it
refers to, which source (and dataset code) it comes from, which layers have it, and which
direction means more need (`need="high"`: a high value is a high need, e.g. unemployment;
`"low"`: a low value is, e.g. the employment rate). Each indicator is also a map metric
(`atlas.model.metrics` adds one `Metric` per record), so it colours regions, ranks them and
appears in URLs by its id.

In the region tables an indicator has three columns: its value (the id), its Eurostat flag
(`flag_column`) and, when the value is missing, why (`missing_column`). The UK is in none of
the Eurostat files: its regions read "no data: region not covered by the source", never 0.
"""

from __future__ import annotations

from dataclasses import dataclass

# Eurostat flags as the sources print them, and what they mean in words.
FLAGS: dict[str, str] = {
    "b": "break in time series",
    "d": "definition differs",
    "e": "estimated",
    "p": "provisional",
    "u": "low reliability",
    "c": "confidential",
    "n": "not significant",
    "z": "not applicable",
}
NOT_COVERED = "region not covered by the source"
NO_CONTEXT = "no context data shipped (rebuild with `python -m atlas build`)"
EU27 = frozenset(
    "AT BE BG CY CZ DE DK EE ES FI FR GR HR HU IE IT LT LU LV MT NL PL PT RO SE SI SK".split()
)


@dataclass(frozen=True)
class Indicator:
    id: str
    label: str
    unit: str
    year: int
    source: str  # the source's id in the context sidecar (atlas.model.credits.context_source)
    layers: tuple[str, ...] = ("nuts2",)
    need: str = "high"  # which end means more need: "high", "low" or "" (neither)
    short: str = ""  # a few words for sentences and axis titles ("youth unemployment")
    definition: str = ""

    @property
    def words(self) -> str:
        return self.short or self.label

    @property
    def symbol(self) -> str:
        """The unit as a value's suffix: '%', 'pp' or '' (PPS and others say it in words)."""
        if self.unit.startswith("%"):
            return "%"
        return "pp" if self.unit.startswith("percentage points") else ""

    def title(self) -> str:
        """Legend and column title: label and year."""
        return f"{self.label}, {self.year}"


LABOUR, GDP, URE = "ryb2026_labour", "nama_10r_3gdp", "ure2026_gdp_change"
_N23 = ("nuts2", "nuts3")

INDICATORS: dict[str, Indicator] = {
    i.id: i
    for i in (
        Indicator("unemployment", "Unemployment rate (15–74)", "% of the labour force", 2025,
                  LABOUR, short="unemployment"),
        Indicator("youth_unemployment", "Youth unemployment rate (15–29)",
                  "% of the labour force aged 15–29", 2025, LABOUR, short="youth unemployment"),
        Indicator("neet_rate", "Young people neither in employment nor in education or training "
                  "(NEET, 15–29)", "% of people aged 15–29", 2025, LABOUR,
                  short="young people out of work and education (NEET)"),
        Indicator("long_term_unemployment", "Long-term unemployment (12 months or more)",
                  "% of the unemployed", 2025, LABOUR, short="long-term unemployment"),
        Indicator("employment_rate", "Employment rate (20–64)", "% of people aged 20–64", 2025,
                  LABOUR, need="low", short="employment rate"),
        Indicator("gender_employment_gap", "Gender employment gap (20–64)",
                  "percentage points (men minus women)", 2025, LABOUR,
                  short="gender employment gap"),
        Indicator("employment_rate_low_education", "Employment rate (25–64), low education",
                  "% of people aged 25–64 with at most lower secondary education", 2025, LABOUR,
                  need="low", short="employment rate of the low-educated"),
        Indicator("employment_rate_medium_education", "Employment rate (25–64), medium education",
                  "% of people aged 25–64 with upper secondary education", 2025, LABOUR,
                  need="low", short="employment rate (medium education)"),
        Indicator("employment_rate_high_education", "Employment rate (25–64), high education",
                  "% of people aged 25–64 with tertiary education", 2025, LABOUR, need="low",
                  short="employment rate (tertiary education)"),
        Indicator("gdp_shock_2020", "GDP per inhabitant: change 2019 → 2020 (the 2020 shock)",
                  "% change, PPS per inhabitant", 2020, GDP, layers=_N23, need="low",
                  short="2020 GDP shock",
                  definition="Change of GDP per inhabitant in purchasing power standards from "
                  "2019 to 2020, in %."),
        Indicator("gdp_recovery_2021", "GDP per inhabitant: change 2020 → 2021 (the recovery)",
                  "% change, PPS per inhabitant", 2021, GDP, layers=_N23, need="low",
                  short="2021 recovery",
                  definition="Change of GDP per inhabitant in purchasing power standards from "
                  "2020 to 2021, in %."),
        Indicator("gdp_pps_per_inhabitant", "GDP per inhabitant (PPS)",
                  "purchasing power standards per inhabitant", 2021, GDP, layers=_N23,
                  need="low", short="GDP per inhabitant"),
        Indicator("gdp_pps_per_inhabitant_2019", "GDP per inhabitant (PPS), before the crisis",
                  "purchasing power standards per inhabitant", 2019, GDP, layers=_N23,
                  need="low", short="GDP per inhabitant in 2019"),
        Indicator("gdp_change_2013_2023", "GDP per inhabitant: change 2013–2023 (index EU = 100)",
                  "percentage points of the EU index", 2023, URE, layers=("nuts3",), need="low",
                  short="GDP change 2013–2023"),
    )
}


def flag_column(indicator_id: str) -> str:
    return f"{indicator_id}:flag"


def missing_column(indicator_id: str) -> str:
    return f"{indicator_id}:missing"


def year_column(indicator_id: str) -> str:
    """The year of each region's value: the source's, which may differ from the indicator's
    reference year (a few long-term unemployment values are from 2023 or 2024)."""
    return f"{indicator_id}:year"


def flag_words(flag: object) -> str:
    """'d; u' → 'd: definition differs; u: low reliability' ('' for no flag)."""
    if not isinstance(flag, str) or not flag.strip():
        return ""
    parts = [p.strip() for p in flag.replace(",", ";").split(";") if p.strip()]
    out = []
    for part in parts:
        letters = [c for c in part if c.isalpha()] if len(part) > 1 and " " not in part else [part]
        out += [f"{c}: {FLAGS.get(c, 'flag of the source')}" for c in letters]
    return "; ".join(out)


def indicators_for(layer_id: str) -> list[str]:
    """Ids of the context indicators a layer has, in registry order."""
    return [i for i, ind in INDICATORS.items() if layer_id in ind.layers]


def need_indicators(layer_id: str) -> list[str]:
    """Indicators a need can be read from (those with a direction), for the bivariate map."""
    return [i for i in indicators_for(layer_id) if INDICATORS[i].need]


# NUTS 3 typologies (Eurostat), as filters: `area` (urban–rural) and `trait` in URLs.
AREAS: dict[str, str] = {
    "urban": "predominantly urban",
    "intermediate": "intermediate",
    "rural": "predominantly rural",
}
TRAITS: dict[str, str] = {
    "coastal": "coastal",
    "mountain": "mountain",
    "island": "island",
    "border": "border",
    "metropolitan": "metropolitan",
    "capital": "capital region",
}
TRAIT_BIT: dict[str, int] = {t: 1 << i for i, t in enumerate(TRAITS)}
TYPOLOGY_RULE = (
    "Typologies are Eurostat's, defined for NUTS 3 regions. An initiative takes those of the "
    "NUTS 3 region it lies in. A larger region (NUTS 2, NUTS 1, country) takes the urban–rural "
    "class holding most of its population, and a trait (coastal, mountain, …) when NUTS 3 "
    "regions with that trait hold at least half its population. UK regions and places outside "
    "NUTS have no typology: a typology filter leaves them out."
)
