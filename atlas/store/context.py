"""Loading the shipped territorial context (built by `atlas.build.context`): Eurostat
indicators, NUTS 3 typologies, SSE policies and official SSE figures.

A file that is missing (an old build) loads as an empty table with the right columns, so the
app says "no data" rather than failing; the build always writes all of them.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import numpy as np
import pandas as pd

from atlas import paths
from atlas.geo.regions import load_layer
from atlas.model.context import (
    AREAS,
    NO_CONTEXT,
    NOT_COVERED,
    TRAIT_BIT,
    flag_column,
    indicators_for,
    missing_column,
    year_column,
)

CONTEXT_COLUMNS = ("layer", "code", "indicator", "value", "year", "flag", "missing", "source")
TYPOLOGY_COLUMNS = ("code", "urban_rural", "coastal", "mountain", "island", "border",
                    "metropolitan", "capital")
DEGURBA_COLUMNS = ("country", "indicator", "degurba", "sex", "value", "year", "missing",
                   "source")
POLICY_COLUMNS = ("id", "country", "region_name", "nuts_code", "layer", "code", "level",
                  "policy_type", "title", "title_en", "number", "date_adopted", "subject",
                  "source_url", "source_quote")
AREA_DTYPE = pd.CategoricalDtype(list(AREAS))  # fixed: shipped and imported rows concatenate
FIGURE_COLUMNS = ("id", "country", "region_name", "nuts_code", "layer", "code", "indicator",
                  "value", "year", "unit", "publisher", "source_url", "source_quote")


def _folder(data_dir: Path | None) -> Path:
    return data_dir or paths.DATA_DIR


def _empty(columns) -> pd.DataFrame:
    return pd.DataFrame({c: pd.Series(dtype=object) for c in columns})


def load_context(data_dir: Path | None = None) -> pd.DataFrame:
    """The long context table: one row per (layer, code, indicator)."""
    path = _folder(data_dir) / paths.CONTEXT_FILE
    if not path.exists():
        return _empty(CONTEXT_COLUMNS)
    out = pd.read_parquet(path)
    out["flag"] = out["flag"].fillna("").astype(str)
    out["missing"] = out["missing"].fillna("").astype(str)
    return out


def load_degurba(data_dir: Path | None = None) -> pd.DataFrame:
    """Unemployment and poverty-or-exclusion by country × degree of urbanisation, 2025."""
    path = _folder(data_dir) / paths.DEGURBA_FILE
    return pd.read_parquet(path) if path.exists() else _empty(DEGURBA_COLUMNS)


def load_typologies(data_dir: Path | None = None) -> pd.DataFrame:
    path = _folder(data_dir) / paths.TYPOLOGIES_FILE
    return pd.read_parquet(path) if path.exists() else _empty(TYPOLOGY_COLUMNS)


def _typology_arrays(t: pd.DataFrame) -> tuple[pd.Index, np.ndarray, np.ndarray]:
    """NUTS 3 codes, their area id and trait bits (TRAIT_BIT) from the typologies table."""
    area_of = {label: key for key, label in AREAS.items()}
    areas = t["urban_rural"].map(area_of).to_numpy(dtype=object)
    bits = np.zeros(len(t), dtype=np.int16)
    for trait, bit in TRAIT_BIT.items():
        if trait in t:
            bits |= np.where(t[trait].fillna(False).astype(bool).to_numpy(), bit, 0).astype(
                np.int16)
    return pd.Index(t["code"].astype(str)), areas, bits


@lru_cache(maxsize=4)
def _typology_file(path: Path, mtime: float) -> tuple[pd.Index, np.ndarray, np.ndarray]:
    """The shipped typologies, read once per file version."""
    return _typology_arrays(pd.read_parquet(path) if path.exists() else _empty(TYPOLOGY_COLUMNS))


def _lookup(nuts3: pd.Series, arrays) -> tuple[pd.Series, np.ndarray]:
    codes, areas, bits = arrays
    pos = codes.get_indexer(nuts3.astype(object).where(nuts3.notna(), None))
    found = pos >= 0
    area = np.full(len(nuts3), None, dtype=object)
    area[found] = areas[pos[found]]
    trait = np.zeros(len(nuts3), dtype=np.int16)
    trait[found] = bits[pos[found]]
    return pd.Series(area, index=nuts3.index, dtype=AREA_DTYPE), trait


def territory_of(nuts3: pd.Series, data_dir: Path | None = None) -> tuple[pd.Series, np.ndarray]:
    """Each row's urban–rural area id (NaN where unknown) and trait bits (0), from the NUTS 3
    code it lies in: the columns the typology filters read (atlas.model.filters.mask)."""
    path = _folder(data_dir) / paths.TYPOLOGIES_FILE
    return _lookup(nuts3, _typology_file(path, path.stat().st_mtime if path.exists() else 0.0))


def _facts(path: Path, columns) -> pd.DataFrame:
    """A compiled table of facts: text stays text (codes like 'NA' are not NaN)."""
    if not path.exists():
        return _empty(columns)
    return pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8")


def load_policies(data_dir: Path | None = None) -> pd.DataFrame:
    return _facts(_folder(data_dir) / paths.POLICIES_FILE, POLICY_COLUMNS)


def load_official_figures(data_dir: Path | None = None) -> pd.DataFrame:
    out = _facts(_folder(data_dir) / paths.OFFICIAL_FIGURES_FILE, FIGURE_COLUMNS)
    out["value"] = pd.to_numeric(out["value"], errors="coerce")
    return out


def with_context(regions: pd.DataFrame, context: pd.DataFrame, layer_id: str) -> pd.DataFrame:
    """The layer table plus, per context indicator of the layer, its value, flag and reason
    for a missing value. A region the source does not list reads NOT_COVERED, never 0."""
    out = regions.copy()
    ids = indicators_for(layer_id)
    if not ids:
        return out
    here = context[context["layer"] == layer_id] if len(context) else context
    for ind in ids:
        rows = here[here["indicator"] == ind].drop_duplicates("code").set_index("code")
        codes = out["code"]
        out[ind] = codes.map(rows["value"]).astype("float64").to_numpy()
        flags = codes.map(rows["flag"]).astype(object)
        out[flag_column(ind)] = flags.where(flags.notna(), "").to_numpy(dtype=object)
        out[year_column(ind)] = codes.map(rows["year"]).astype("Float64").astype("Int64") \
            .to_numpy()
        reason = codes.map(rows["missing"]).to_numpy(dtype=object)
        listed = codes.isin(rows.index).to_numpy()
        out[missing_column(ind)] = np.where(
            listed, np.where(pd.isna(reason), "", reason), NOT_COVERED if len(here) else NO_CONTEXT)
    return out


def context_layer_table(layer_id: str, data_dir: Path | None = None,
                        geo_dir: Path | None = None) -> pd.DataFrame:
    """A layer without geometry, with its context columns: what tables and indicators read."""
    table = pd.DataFrame(load_layer(layer_id, geo_dir).drop(columns="geometry"))
    return with_context(table, load_context(data_dir), layer_id)


ROLL_UP = {"nuts3": None, "nuts2": 4, "nuts1": 3, "countries": "country"}


def layer_typology(layer_id: str, typologies: pd.DataFrame,
                   nuts3: pd.DataFrame) -> pd.DataFrame:
    """Each region's urban–rural area id and trait bits, indexed by code (empty for layers
    the typologies do not reach). NUTS 3 regions carry their own; coarser ones are rolled up
    by population as `atlas.model.context.TYPOLOGY_RULE` states."""
    empty = pd.DataFrame({"area": pd.Series(dtype=AREA_DTYPE),
                          "trait_bits": pd.Series(dtype=np.int16)})
    if layer_id not in ROLL_UP or typologies.empty:
        return empty
    area, bits = _lookup(nuts3["code"].astype(str), _typology_arrays(typologies))
    t = pd.DataFrame({"code": nuts3["code"].astype(str).to_numpy(), "area": area.to_numpy(),
                      "bits": bits, "country": nuts3["country"].to_numpy()})
    pop = pd.to_numeric(nuts3["population"], errors="coerce").to_numpy()
    t["w"] = np.where(np.isfinite(pop) & (pop > 0), pop, 1.0)
    t = t[t["area"].notna()]
    key = ROLL_UP[layer_id]
    if key is None:
        return pd.DataFrame({"area": t["area"].astype(AREA_DTYPE).to_numpy(),
                             "trait_bits": t["bits"].to_numpy(np.int16)},
                            index=pd.Index(t["code"], name="code"))
    group = t["country"] if key == "country" else t["code"].str[:key]
    weights = t.groupby([group, t["area"]], observed=True)["w"].sum()
    main = weights.groupby(level=0).idxmax().map(lambda pair: pair[1])
    total = t.groupby(group)["w"].sum()
    out = pd.DataFrame({"area": main.astype(AREA_DTYPE)})
    out["trait_bits"] = np.int16(0)
    for bit in TRAIT_BIT.values():
        share = t["w"].where((t["bits"] & bit) != 0, 0.0).groupby(group).sum() / total
        out.loc[share.index[share >= 0.5], "trait_bits"] |= bit
    out.index.name = "code"
    return out
