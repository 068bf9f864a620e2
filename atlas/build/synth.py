"""Synthetic initiatives for tests and benchmarks only: `python -m atlas synth N`.

The atlas ships only real data; proving it stays interactive at the size of the European social
economy (about 2.8 million entities) needs more rows than exist openly, so this module invents
them, reproducibly (fixed seed) and labelled `source = synthetic` in every row and sidecar.

To stress the code the way real data would, rows are spread like real ones: regions are drawn in
proportion to their population (NUTS 3, plus the 12 UK regions since the UK left NUTS), points
cluster around a few "towns" inside each region with a long-tailed distance, theme combinations
follow the shipped data's mix, and legal forms follow the shipped UK mix in the UK and an
illustrative European mix elsewhere. Everything is vectorised: 3 million rows in seconds, plus
one point-in-polygon pass for the admin-1 codes.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.parquet as pq
import shapely

from atlas import paths
from atlas.geo import regions
from atlas.model.provenance import write_sidecar
from atlas.model.schema import COLUMNS

SOURCE = "synthetic"
LICENSE = "synthetic (generated for tests/benchmarks)"
NAME_PREFIX = "Synthetic initiative"
DEFAULT_SEED = 20240607
# Towns per region: the region's label point first, then random points inside it. Zipf-like
# weights: a region's main town holds about half of its initiatives.
TOWNS = 6
TOWN_WEIGHTS = np.array([1 / (r + 1) ** 1.2 for r in range(TOWNS)])
TOWN_WEIGHTS = TOWN_WEIGHTS / TOWN_WEIGHTS.sum()
RURAL_SHARE = 0.12  # spread uniformly over the region instead of around a town
SPREAD_KM = 2.5  # median distance from the town centre (log-normal, sigma SPREAD_SIGMA)
SPREAD_SIGMA = 0.9
KM_PER_DEG = 111.32
DESCRIBED_SHARE = 0.3
# Outside the UK the shipped data has no legal forms; associations dominate the European
# social economy, then co-operatives and foundations. Illustrative shares, not statistics.
EU_LEGAL_FORMS = {
    "Association": 0.55,
    "Co-operative": 0.15,
    "Foundation": 0.06,
    "Mutual": 0.02,
    "Social enterprise (company)": 0.07,
    None: 0.15,
}
WORDS_A = ("community", "local", "solidarity", "social", "green", "fair", "neighbourhood",
           "citizen", "rural", "urban", "youth", "women's", "migrant", "workers'")  # fmt: skip
WORDS_B = ("bakery", "repair café", "food bank", "energy co-operative", "housing project",
           "care service", "garden", "bike workshop", "market", "school", "credit union",
           "theatre", "library of things", "farm", "laundry", "radio")  # fmt: skip
WORDS_C = ("run by its members", "creating jobs", "for people in need", "with volunteers",
           "selling local produce", "reducing waste", "since 1998", "open to all",
           "supporting refugees", "owned by its workers")  # fmt: skip


@dataclass(frozen=True)
class Regions:
    """The regions points are drawn from, with their towns (rows align with `frame`)."""

    frame: pd.DataFrame  # code, name, country, population, layer, nuts2, nuts1
    geoms: np.ndarray
    towns_lon: np.ndarray  # (regions, TOWNS)
    towns_lat: np.ndarray


def _random_inside(geom, k: int, rng: np.random.Generator) -> np.ndarray:
    """Up to k uniform points inside a polygon (rejection sampling in its bounding box)."""
    xmin, ymin, xmax, ymax = shapely.bounds(geom)
    found = np.empty((0, 2))
    for _ in range(20):
        xy = np.column_stack([rng.uniform(xmin, xmax, 8 * k), rng.uniform(ymin, ymax, 8 * k)])
        found = np.vstack([found, xy[shapely.contains_xy(geom, xy[:, 0], xy[:, 1])]])
        if len(found) >= k:
            break
    return found[:k]


def load_regions(rng: np.random.Generator, geo_dir: Path | None = None) -> Regions:
    """NUTS 3 and UK regions with a population, and TOWNS town centres inside each."""
    nuts3 = regions.load_layer("nuts3", geo_dir).assign(layer="nuts3")
    uk = regions.load_layer("uk_regions", geo_dir).assign(layer="uk_regions")
    gdf = pd.concat([nuts3, uk], ignore_index=True)
    gdf = gdf[gdf["population"] > 0].reset_index(drop=True)
    gdf = gpd.GeoDataFrame(gdf, geometry="geometry", crs=regions.CRS)
    is_nuts = gdf["layer"] == "nuts3"
    frame = pd.DataFrame({
        "code": gdf["code"], "name": gdf["name"], "country": gdf["country"],
        "population": gdf["population"], "layer": gdf["layer"],
        "nuts2": gdf["code"].str[:-1].where(is_nuts), "nuts1": gdf["code"].str[:-2].where(is_nuts),
    })  # fmt: skip
    geoms = gdf.geometry.to_numpy()
    shapely.prepare(geoms)
    towns = np.empty((len(gdf), TOWNS, 2))
    for i, geom in enumerate(geoms):
        label = (gdf["label_lon"].iat[i], gdf["label_lat"].iat[i])
        inside = _random_inside(geom, TOWNS - 1, rng)
        pts = np.vstack([label, inside, np.tile(label, (TOWNS, 1))])[:TOWNS]
        towns[i] = pts
    return Regions(frame, geoms, towns[:, :, 0], towns[:, :, 1])


def _offsets(n: int, lat: np.ndarray, rng: np.random.Generator) -> tuple[np.ndarray, ...]:
    """Town-like scatter: a random bearing and a log-normal distance, in degrees."""
    km = rng.lognormal(np.log(SPREAD_KM), SPREAD_SIGMA, n)
    angle = rng.uniform(0, 2 * np.pi, n)
    dlat = km * np.sin(angle) / KM_PER_DEG
    dlon = km * np.cos(angle) / (KM_PER_DEG * np.maximum(np.cos(np.radians(lat)), 0.05))
    return dlon, dlat


def sample_points(
    reg: Regions, n: int, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Region index, lon and lat of n points; every point lies inside its region."""
    weights = reg.frame["population"].to_numpy(float)
    region = rng.choice(len(weights), size=n, p=weights / weights.sum())
    town = rng.choice(TOWNS, size=n, p=TOWN_WEIGHTS)
    cx, cy = reg.towns_lon[region, town], reg.towns_lat[region, town]
    dlon, dlat = _offsets(n, cy, rng)
    lon, lat = cx + dlon, cy + dlat
    rural = rng.random(n) < RURAL_SHARE
    xmin, ymin, xmax, ymax = shapely.bounds(reg.geoms).T
    lon[rural] = rng.uniform(xmin[region[rural]], xmax[region[rural]])
    lat[rural] = rng.uniform(ymin[region[rural]], ymax[region[rural]])
    # Points that fell outside their region try again closer to town, then take the town.
    order = np.argsort(region, kind="stable")
    starts = np.searchsorted(region[order], np.arange(len(weights) + 1))
    for attempt in range(4):
        outside = np.zeros(n, dtype=bool)
        for r in np.flatnonzero(np.diff(starts)):
            rows = order[starts[r] : starts[r + 1]]
            outside[rows] = ~shapely.contains_xy(reg.geoms[r], lon[rows], lat[rows])
        if not outside.any():
            break
        idx = np.flatnonzero(outside)
        if attempt == 3:
            lon[idx], lat[idx] = cx[idx], cy[idx]
            break
        dlon, dlat = _offsets(len(idx), cy[idx], rng)
        shrink = 0.5 ** (attempt + 1)
        lon[idx], lat[idx] = cx[idx] + dlon * shrink, cy[idx] + dlat * shrink
    return region, lon.round(5), lat.round(5)


def theme_mix(data_dir: Path | None = None) -> tuple[list[list[str]], np.ndarray]:
    """Theme combinations of the shipped initiatives and their frequencies."""
    path = (data_dir or paths.DATA_DIR) / paths.INITIATIVES_FILE
    themes = pq.read_table(path, columns=["themes"]).column("themes").combine_chunks()
    joined = pc.binary_join(pc.fill_null(themes, pa.scalar([], pa.list_(pa.string()))), ";")
    counts = pc.value_counts(joined).to_pylist()
    counts.sort(key=lambda c: (-c["counts"], c["values"]))  # deterministic order
    combos = [c["values"].split(";") if c["values"] else [] for c in counts]
    freq = np.array([c["counts"] for c in counts], dtype=float)
    return combos, freq / freq.sum()


def uk_legal_mix(data_dir: Path | None = None) -> tuple[list[tuple], np.ndarray]:
    """(legal form, organisational structure) pairs of the shipped UK rows, with shares."""
    path = (data_dir or paths.DATA_DIR) / paths.INITIATIVES_FILE
    df = pd.read_parquet(path, columns=["country", "legal_form", "org_structure"])
    uk = df[df["country"] == "GB"].astype(object).where(lambda d: d.notna(), None)
    counts = uk.groupby(["legal_form", "org_structure"], dropna=False).size()
    counts = counts.sort_values(ascending=False, kind="stable")
    pairs = [tuple(None if pd.isna(v) else v for v in key) for key in counts.index]
    return pairs, (counts / counts.sum()).to_numpy()


def _take(values: list, idx: np.ndarray, type_: pa.DataType = pa.string()) -> pa.Array:
    return pa.array(values, type=type_).take(pa.array(idx))


def _numbers(n: int, start: int = 0) -> pa.Array:
    """'000123'-style row numbers (at least six digits)."""
    width = max(6, len(str(start + n - 1)))
    return pc.utf8_lpad(pc.cast(pa.array(np.arange(start, start + n)), pa.string()), width, "0")


def _descriptions(n: int, locality: pa.Array, rng: np.random.Generator) -> pa.Array:
    """Short descriptions for DESCRIBED_SHARE of rows (null elsewhere), for the text search."""
    a = _take(list(WORDS_A), rng.integers(len(WORDS_A), size=n))
    b = _take(list(WORDS_B), rng.integers(len(WORDS_B), size=n))
    c = _take(list(WORDS_C), rng.integers(len(WORDS_C), size=n))
    text = pc.binary_join_element_wise(pc.utf8_capitalize(a), b, c, "in", locality, " ")
    return pc.if_else(pa.array(rng.random(n) < DESCRIBED_SHARE), text, pa.nulls(n, pa.string()))


def generate_table(
    n: int,
    seed: int = DEFAULT_SEED,
    *,
    geo_dir: Path | None = None,
    data_dir: Path | None = None,
    with_codes: bool = True,
) -> pa.Table:
    """n synthetic initiatives as an Arrow table with the schema's columns, in order.

    `with_codes=False` leaves the region columns empty (what a raw file to import looks like);
    otherwise codes come from the sampled region (points are inside it by construction) plus a
    point-in-polygon pass for admin-1.
    """
    if n < 0:
        raise ValueError("n must be >= 0")
    rng = np.random.default_rng(seed)
    reg = load_regions(rng, geo_dir)
    region, lon, lat = sample_points(reg, n, rng)
    frame = reg.frame
    combos, freq = theme_mix(data_dir)
    pairs, pair_freq = uk_legal_mix(data_dir)
    country = frame["country"].to_numpy(dtype=object)[region]
    uk = country == "GB"
    legal = np.empty(n, dtype=object)
    org = np.empty(n, dtype=object)
    pick = rng.choice(len(pairs), size=int(uk.sum()), p=pair_freq)
    legal[uk] = np.array([p[0] for p in pairs], dtype=object)[pick]
    org[uk] = np.array([p[1] for p in pairs], dtype=object)[pick]
    eu_forms = list(EU_LEGAL_FORMS)
    eu_p = np.array(list(EU_LEGAL_FORMS.values()))
    legal[~uk] = np.array(eu_forms, dtype=object)[
        rng.choice(len(eu_forms), size=int((~uk).sum()), p=eu_p / eu_p.sum())]
    number = _numbers(n)
    locality = _take(frame["name"].tolist(), region)
    columns: dict[str, pa.Array] = {
        "id": pc.binary_join_element_wise(SOURCE, number, ":"),
        "name": pc.binary_join_element_wise(NAME_PREFIX, number, " "),
        "description": _descriptions(n, locality, rng),
        "lat": pa.array(lat),
        "lon": pa.array(lon),
        "country": pa.array(country, pa.string()),
        "locality": locality,
        "themes": _take(combos, rng.choice(len(combos), size=n, p=freq), pa.list_(pa.string())),
        "legal_form": pa.array(legal, pa.string()),
        "org_structure": pa.array(org, pa.string()),
        "source": pa.array(np.full(n, SOURCE, dtype=object), pa.string()),
        "source_id": number,
        "license": pa.array(np.full(n, LICENSE, dtype=object), pa.string()),
    }
    if with_codes:
        columns.update(_codes(frame, region, lon, lat, geo_dir))
    out = {}
    for col in COLUMNS:
        type_ = pa.list_(pa.string()) if col.dtype == "list[str]" else (
            pa.float64() if col.dtype == "float" else pa.string())
        out[col.name] = columns.get(col.name, pa.nulls(n, type_))
    return pa.table(out)


def _codes(
    frame: pd.DataFrame, region: np.ndarray, lon: np.ndarray, lat: np.ndarray,
    geo_dir: Path | None,
) -> dict[str, pa.Array]:
    """Region codes of every layer; only admin-1 needs a point-in-polygon lookup."""
    is_nuts = (frame["layer"] == "nuts3").to_numpy()[region]

    def column(values: pd.Series, keep: np.ndarray) -> pa.Array:
        picked = values.to_numpy(dtype=object)[region]
        return pa.array(np.where(keep, picked, None), pa.string())

    # PieceIndex directly: assign_regions would first deduplicate points that are all distinct.
    layer = regions.load_layer("admin1", geo_dir)
    index = regions.PieceIndex(layer)
    points = shapely.points(lon, lat)
    row = index.inside(points)
    missing = np.flatnonzero(row < 0)
    row[missing] = index.nearest(points[missing], None)
    admin1 = np.where(row >= 0, layer["code"].to_numpy(dtype=object)[row], None)
    n = len(region)
    return {
        "code_countries": column(frame["country"], np.ones(n, dtype=bool)),
        "code_nuts1": column(frame["nuts1"], is_nuts),
        "code_nuts2": column(frame["nuts2"], is_nuts),
        "code_nuts3": column(frame["code"], is_nuts),
        "code_uk_regions": column(frame["code"], ~is_nuts),
        "code_admin1": pa.array(admin1, pa.string()),
        "region_match": pa.array(np.full(n, "inside", dtype=object), pa.string()),
    }


def generate(n: int, seed: int = DEFAULT_SEED, **kwargs) -> pd.DataFrame:
    """`generate_table` as a DataFrame with `themes` as lists (the shape `conform` gives)."""
    df = generate_table(n, seed, **kwargs).to_pandas()
    df["themes"] = df["themes"].map(list)
    return df


CSV_COLUMNS = ("id", "name", "description", "lat", "lon", "country", "locality", "themes",
               "legal_form", "org_structure", "website", "source", "source_id", "license")


def write(table: pa.Table, path: Path, seed: int = DEFAULT_SEED) -> Path:
    """Write `.parquet` (the app's initiatives table) or `.csv` (a raw file to import, themes
    joined by ';', no region codes), with a sidecar that says it is synthetic."""
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.suffix == ".csv":
        raw = table.select(list(CSV_COLUMNS))
        raw = raw.set_column(
            raw.schema.get_field_index("themes"), "themes", pc.binary_join(raw["themes"], ";")
        )
        pacsv.write_csv(raw, path)
    elif path.suffix == ".parquet":
        pq.write_table(table, path, compression="zstd")
    else:
        raise ValueError(f"{path}: write .csv or .parquet")
    write_sidecar(
        path,
        title=f"Synthetic initiatives ({table.num_rows:,} rows) - tests and benchmarks only",
        producer="SSE Atlas synthetic generator (atlas/synth.py)",
        origin=f"python -m atlas synth {table.num_rows} --seed {seed}",
        license=LICENSE,
        attribution="Synthetic data: not real initiatives",
        rows=table.num_rows,
        steps=[
            "regions: NUTS 3 + UK regions drawn in proportion to population",
            f"points: around {TOWNS} towns per region (log-normal distance), "
            f"{RURAL_SHARE:.0%} uniform over the region; all inside their region",
            "themes: combinations drawn with the shipped data's frequencies",
            "legal forms: shipped UK mix in GB, illustrative European mix elsewhere",
            "codes: from the drawn region; admin-1 by point in polygon",
        ],
        source=SOURCE,
        seed=seed,
    )
    return path


def main(n: int, out: Path, seed: int = DEFAULT_SEED) -> Path:
    """The `synth` command: write n rows to `out` (.parquet or .csv), never into data/."""
    if out.resolve().parent == paths.DATA_DIR.resolve():
        raise ValueError(f"{out}: synthetic rows never go into the shipped data folder")
    table = generate_table(n, seed, with_codes=out.suffix == ".parquet")
    write(table, out, seed)
    print(f"wrote {n:,} synthetic initiatives to {out}")
    if out.suffix == ".parquet" and out.name == paths.INITIATIVES_FILE:
        print(f"run the app on them: ATLAS_DATA_DIR={out.parent} streamlit run app.py")
    return out
