"""The synthetic generator: reproducible, labelled synthetic, spread like real data, app-ready."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest
import shapely

from atlas import paths
from atlas.build import synth
from atlas.cli import main as cli
from atlas.geo.regions import load_layer
from atlas.model.provenance import read_sidecar
from atlas.model.schema import COLUMN_NAMES
from atlas.store.initiatives import load_initiatives

N = 3_000


@pytest.fixture(scope="module")
def table():
    return synth.generate_table(N)


@pytest.fixture(scope="module")
def frame(table) -> pd.DataFrame:
    df = table.to_pandas()
    df["themes"] = df["themes"].map(list)
    return df


def test_same_seed_same_rows_other_seed_other_rows(table):
    assert synth.generate_table(N).equals(table)
    other = synth.generate_table(N, seed=1)
    assert not np.array_equal(other["lon"].to_numpy(), table["lon"].to_numpy())


def test_schema_columns_and_synthetic_labels_on_every_row(frame):
    assert tuple(frame.columns) == COLUMN_NAMES
    assert (frame["source"] == "synthetic").all()
    assert (frame["license"] == synth.LICENSE).all()
    assert frame["name"].iloc[123] == "Synthetic initiative 000123"
    assert frame["id"].is_unique and frame["id"].str.startswith("synthetic:").all()


def test_every_point_lies_in_the_region_its_codes_name(frame):
    nuts3 = load_layer("nuts3").set_index("code")
    uk = load_layer("uk_regions").set_index("code")
    is_uk = frame["country"] == "GB"
    assert frame.loc[is_uk, "code_uk_regions"].notna().all()
    assert frame.loc[is_uk, "code_nuts3"].isna().all()
    assert frame.loc[~is_uk, "code_nuts3"].notna().all()
    assert (frame.loc[~is_uk, "code_nuts2"] == frame.loc[~is_uk, "code_nuts3"].str[:-1]).all()
    geoms = pd.concat([nuts3.geometry, uk.geometry])
    code = frame["code_nuts3"].fillna(frame["code_uk_regions"])
    inside = shapely.contains_xy(geoms.loc[code].to_numpy(), frame["lon"], frame["lat"])
    assert inside.all()
    assert frame["code_admin1"].notna().mean() > 0.99
    assert (frame["region_match"] == "inside").all()


def test_rows_follow_population(frame):
    layers = pd.concat([load_layer("nuts3"), load_layer("uk_regions")])
    pop = layers.groupby("country")["population"].sum()
    share = frame["country"].value_counts(normalize=True)
    expected = (pop / pop.sum()).reindex(share.index)
    assert np.corrcoef(share, expected)[0, 1] > 0.95


def test_points_cluster_around_towns_inside_the_region():
    rng = np.random.default_rng(0)
    reg = synth.load_regions(rng)
    big = int(np.argmax(shapely.area(reg.geoms)))  # a large region: uniform would be sparse
    one = synth.Regions(reg.frame.iloc[[big]].reset_index(drop=True), reg.geoms[[big]],
                        reg.towns_lon[[big]], reg.towns_lat[[big]])
    region, lon, lat = synth.sample_points(one, 5_000, rng)
    assert (region == 0).all()
    assert shapely.contains_xy(one.geoms[0], lon, lat).all()
    km_lat = (lat[:, None] - one.towns_lat[0][None, :]) * synth.KM_PER_DEG
    km_lon = (lon[:, None] - one.towns_lon[0][None, :]) * synth.KM_PER_DEG * np.cos(
        np.radians(lat[:, None]))
    near_town = np.hypot(km_lat, km_lon).min(axis=1) < 5
    town_area = synth.TOWNS * np.pi * 5**2
    area_km2 = shapely.area(one.geoms[0]) * synth.KM_PER_DEG**2 * np.cos(np.radians(lat.mean()))
    assert town_area / area_km2 < 0.2  # uniform points would rarely be near a town
    assert near_town.mean() > 0.6


def test_themes_and_legal_forms_come_from_the_shipped_mix(frame):
    shipped = pd.read_parquet(paths.DATA_DIR / paths.INITIATIVES_FILE, columns=["themes"])
    combos = {tuple(t) for t in shipped["themes"]}
    assert {tuple(t) for t in frame["themes"]} <= combos
    shipped_top = shipped["themes"].map(tuple).value_counts().index[0]
    assert frame["themes"].map(tuple).value_counts().index[0] == shipped_top
    uk_forms = set(frame.loc[frame["country"] == "GB", "legal_form"].dropna())
    assert uk_forms and uk_forms <= {"Society", "Company", "Unincorporated", "LLP",
                                     "Community Interest Company", "Limited Partnership",
                                     "Scottish Charitable Incorporated Organisation",
                                     "Act of Parliament"}
    assert "Association" in set(frame["legal_form"])


def test_parquet_is_app_ready_and_csv_is_importable(tmp_path, table):
    out = synth.write(table, tmp_path / paths.INITIATIVES_FILE)
    df = load_initiatives(tmp_path)
    assert len(df) == N and (df["source"] == "synthetic").all()
    assert read_sidecar(out)["license"] == synth.LICENSE
    csv = synth.write(table.slice(0, 10), tmp_path / "raw.csv")
    raw = pd.read_csv(csv, dtype=str)
    assert list(raw.columns) == list(synth.CSV_COLUMNS)
    assert raw["themes"].iloc[0] == ";".join(table["themes"][0].as_py())
    assert read_sidecar(csv)["source"] == "synthetic"


def test_cli_writes_rows_and_refuses_the_shipped_data_folder(tmp_path, capsys):
    out = tmp_path / "big" / paths.INITIATIVES_FILE
    assert cli(["synth", "200", "--out", str(out), "--seed", "7"]) == 0
    assert pq.ParquetFile(out).metadata.num_rows == 200
    assert "ATLAS_DATA_DIR" in capsys.readouterr().out
    assert cli(["synth", "5", "--out", str(paths.DATA_DIR / paths.INITIATIVES_FILE)]) == 2
    assert "never go into the shipped data" in capsys.readouterr().err


def test_zero_rows_is_an_empty_table():
    assert synth.generate_table(0).num_rows == 0
    assert isinstance(load_layer("nuts3"), gpd.GeoDataFrame)
