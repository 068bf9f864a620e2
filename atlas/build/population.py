"""Population on 1 January from Eurostat demo_r_pjanaggr3, one figure per region code.

The app shows one population per region, so we pick the newest year available (2025 for NUTS
2024 regions, 2019 for the UK, which left the Eurostat tables after Brexit) and keep that year
and its flag so the UI can say which year a figure is from. Zero or missing values stay NaN:
Eurostat reports 0 for "extra-regio" codes, which is not a population.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

POPULATION_CSV = Path("eurostat-population-nuts") / "population_total_by_nuts_2016_2025.csv"
TARGET_YEAR = 2025
SOURCE = "Eurostat (demo_r_pjanaggr3)"
ATTRIBUTION = "Source: Eurostat (demo_r_pjanaggr3)"
ORIGIN = {
    "title": "Population on 1 January by broad age group, sex and NUTS 3 region",
    "dataset": "demo_r_pjanaggr3",
    "producer": "Eurostat",
    "repo": "lahackmoreno/tourism-pressure-europe",
    "path": "demo_r_pjanaggr3.tsv",
    "commit": "35261f300f56",
    "derived_file": str(POPULATION_CSV),
    "derived_how": "rows sex=T, age=TOTAL reshaped to long form (geo,year,population,flag)",
    "license": "CC BY 4.0 (Commission reuse policy, Decision 2011/833/EU)",
    "attribution": ATTRIBUTION,
}
# The 12 first-level UK regions under their NUTS 2016 codes (their data end in 2019).
UK_REGION_CODES = tuple(f"UK{letter}" for letter in "CDEFGHIJKLMN")
# Eurostat country codes that differ from ISO 3166-1 alpha-2.
EUROSTAT_TO_ISO2 = {"EL": "GR", "UK": "GB"}


def read_population(sources: Path) -> pd.DataFrame:
    """The DERIVED long table (geo, year, population, flag); non-positive values dropped."""
    df = pd.read_csv(
        sources / POPULATION_CSV,
        dtype={"geo": str, "year": "int64", "population": "float64", "flag": str},
        keep_default_na=False,
        na_values={"population": [""]},
    )
    df["flag"] = df["flag"].fillna("").astype(str)
    return df[df["population"] > 0].reset_index(drop=True)


def latest_population(long: pd.DataFrame, target_year: int = TARGET_YEAR) -> pd.DataFrame:
    """Per geo code: the `target_year` value, else the latest earlier year available.

    Returns a frame indexed by geo with columns population (float), year (Int64), flag (str).
    """
    usable = long[long["year"] <= target_year]
    latest = usable.sort_values(["geo", "year"]).groupby("geo", sort=True).tail(1)
    out = latest.set_index("geo")[["population", "year", "flag"]]
    out["year"] = out["year"].astype("Int64")
    return out


def nuts_population(sources: Path) -> pd.DataFrame:
    """Latest population for every NUTS code (all levels, old and new codes alike)."""
    return latest_population(read_population(sources))


def uk_regions_population(sources: Path) -> pd.DataFrame:
    """Latest population (2019) of the 12 UK first-level regions UKC..UKN (NUTS 2016 codes)."""
    table = nuts_population(sources)
    return table.loc[table.index.intersection(UK_REGION_CODES)]


def country_population(sources: Path) -> pd.DataFrame:
    """Latest population of each NUTS 0 country, indexed by ISO alpha-2 (GR for EL, GB for UK)."""
    table = nuts_population(sources)
    nuts0 = table[table.index.str.fullmatch(r"[A-Z]{2}")].copy()
    nuts0.index = [EUROSTAT_TO_ISO2.get(code, code) for code in nuts0.index]
    nuts0.index.name = "iso2"
    return nuts0
