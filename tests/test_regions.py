"""Checks on the committed geo/ layers and on point-in-polygon assignment.

These run on the shipped GeoParquet files; rebuilding them needs ../shared/data-sources.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from atlas.geo.regions import LAYER_COLUMNS, assign_regions, load_layer
from atlas.model.layers import LAYER_IDS, LAYERS, geo_file
from atlas.model.provenance import read_sidecar
from atlas.paths import GEO_DIR

TEXT_COLUMNS = ("code", "name", "name_local", "alt_names", "country", "parent", "population_source")
# Real Co-operatives UK postcode centroids that the generalised coastline leaves at sea,
# a few hundred metres out (Port Isaac, Cornwall; Burry Port area, Carmarthenshire).
CORNISH_COAST = (-4.831534, 50.592194)  # PL29 3RB
WELSH_COAST = (-4.367867, 51.767867)  # SA17 5SU


@pytest.fixture(scope="module")
def layers() -> dict[str, pd.DataFrame]:
    return {layer_id: load_layer(layer_id) for layer_id in LAYER_IDS}


def assign(layers, points: dict[str, tuple[float, float]]) -> pd.DataFrame:
    lon = pd.Series({name: xy[0] for name, xy in points.items()}, dtype="float64")
    lat = pd.Series({name: xy[1] for name, xy in points.items()}, dtype="float64")
    return assign_regions(lon, lat, layers)


@pytest.mark.parametrize("layer_id", LAYER_IDS)
def test_uniform_columns_codes_and_geometry(layers, layer_id):
    gdf = layers[layer_id]
    assert list(gdf.columns) == list(LAYER_COLUMNS)
    assert gdf.crs.to_epsg() == 4326
    assert len(gdf) > 0
    assert gdf["code"].is_unique
    for col in TEXT_COLUMNS:
        assert gdf[col].notna().all(), col
    assert (gdf["code"] != "").all() and (gdf["name"] != "").all()
    assert gdf.geometry.is_valid.all()
    assert not gdf.geometry.is_empty.any()
    assert set(gdf.geom_type) <= {"Polygon", "MultiPolygon"}
    assert gdf["label_lon"].between(-180, 180).all() and gdf["label_lat"].between(-90, 90).all()
    assert str(gdf["population_year"].dtype) == "Int64"


@pytest.mark.parametrize("layer_id", LAYER_IDS)
def test_population_is_nan_never_zero(layers, layer_id):
    gdf = layers[layer_id]
    assert not (gdf["population"] == 0).any()
    unknown = gdf["population"].isna()
    assert gdf.loc[unknown, "population_year"].isna().all()
    assert (gdf.loc[unknown, "population_source"] == "").all()
    assert gdf.loc[~unknown, "population_year"].notna().all()


def test_parents_exist_in_parent_layer(layers):
    for layer_id in ("nuts1", "nuts2", "nuts3", "uk_regions"):
        parent = layers[LAYERS[layer_id].parent]
        assert layers[layer_id]["parent"].isin(parent["code"]).all(), layer_id
    admin1 = layers["admin1"]
    linked = admin1["parent"] != ""
    assert linked.mean() > 0.99
    assert admin1.loc[linked, "parent"].isin(layers["countries"]["code"]).all()


def test_iso_country_codes(layers):
    countries = layers["countries"].set_index("code")
    assert {"GR", "GB", "FR", "NO", "IT"} <= set(countries.index)
    assert "EL" not in countries.index and "UK" not in countries.index
    assert set(layers["nuts3"]["country"]) >= {"GR", "IT"}
    assert "EL" not in set(layers["nuts1"]["country"])
    assert countries.loc["GB", "population_year"] == 2019
    assert countries.loc["IT", "population_source"].startswith("Eurostat")


def test_known_populations(layers):
    nuts2 = layers["nuts2"].set_index("code")
    assert nuts2.loc["ITC4", "population"] == 10_033_918
    assert nuts2.loc["ITC4", "population_year"] == 2025
    for layer_id in ("nuts1", "nuts2", "nuts3"):
        gdf = layers[layer_id]
        unknown = gdf[gdf["code"].str[:2].isin(["UA", "XK", "BA"])]
        assert unknown["population"].isna().all()
    uk = layers["uk_regions"].set_index("code")
    assert len(uk) == 12
    assert list(uk.index) == [f"UK{c}" for c in "CDEFGHIJKLMN"]
    assert uk.loc["UKI", "population_year"] == 2019
    assert uk.loc["UKI", "population"] == 8_982_256
    assert uk["population"].notna().all()


def test_names(layers):
    nuts2 = layers["nuts2"].set_index("code")
    assert nuts2.loc["ITH5", "name"] == "Emilia-Romagna"
    assert "Valle d'Aosta" in nuts2.loc["ITC2", "alt_names"].split("|")
    # every Italian NUTS 2 region carries its ISO 3166-2 code; Trentino-Alto Adige's is shared
    iso = {code: [a for a in alts.split("|") if a.startswith("IT-")]
           for code, alts in nuts2.loc[nuts2["country"] == "IT", "alt_names"].items()}
    assert len(iso) == 21 and all(len(v) == 1 for v in iso.values())
    assert iso["ITH5"] == ["IT-45"] and iso["ITC2"] == ["IT-23"] and iso["ITG1"] == ["IT-82"]
    assert iso["ITH1"] == iso["ITH2"] == ["IT-32"]
    assert len({v[0] for v in iso.values()}) == 20
    nuts1 = layers["nuts1"].set_index("code")
    assert nuts1.loc["EL3", "name_local"] == "Αττική"  # trailing blank stripped
    admin1 = layers["admin1"].set_index("code")
    assert admin1.loc["IT-BO", "name"] == "Bologna"
    assert "IT-BZ" in admin1.index and "BR-GO" in admin1.index


def test_geojson_sizes_recorded_and_small(layers):
    limits = {"countries": 1.5e6, "nuts3": 3e6, "admin1": 6e6}
    for layer_id in LAYER_IDS:
        path = GEO_DIR / geo_file(layer_id)
        meta = read_sidecar(path)
        assert meta["rows"] == len(layers[layer_id])
        assert meta["steps"]
        assert path.stat().st_size < 10e6
        assert meta["geojson_bytes"] < limits.get(layer_id, 3e6)


def test_sidecar_attribution():
    nuts = read_sidecar(GEO_DIR / geo_file("nuts3"))["attribution"]
    assert "© EuroGeographics for the administrative boundaries" in nuts
    assert "Source: Eurostat – GISCO" in nuts
    assert "Source: Eurostat (demo_r_pjanaggr3)" in nuts
    assert "Made with Natural Earth" in read_sidecar(GEO_DIR / geo_file("admin1"))["attribution"]
    uk = read_sidecar(GEO_DIR / geo_file("uk_regions"))["attribution"]
    assert "Made with Natural Earth" in uk and "demo_r_pjanaggr3" in uk


def test_load_layer_unknown_id():
    with pytest.raises(ValueError, match="unknown layer"):
        load_layer("nuts4")


def test_bologna_and_london(layers):
    out = assign(layers, {"bologna": (11.3426, 44.4949), "london": (-0.1276, 51.5072)})
    bologna = out.loc["bologna"]
    assert bologna["code_nuts3"] == "ITH55"
    assert bologna["code_nuts2"] == "ITH5"
    assert bologna["code_nuts1"] == "ITH"
    assert bologna["code_countries"] == "IT"
    assert bologna["code_admin1"] == "IT-BO"
    assert bologna["code_uk_regions"] is None
    assert bologna["region_match"] == "inside"
    london = out.loc["london"]
    assert london["code_uk_regions"] == "UKI"
    assert london["code_countries"] == "GB"
    assert london["code_nuts3"] is None
    assert london["region_match"] == "inside"


def test_coastal_points_take_nearest_region(layers):
    out = assign(layers, {"cornwall": CORNISH_COAST, "wales": WELSH_COAST})
    assert out.loc["cornwall", "code_uk_regions"] == "UKK"
    assert out.loc["wales", "code_uk_regions"] == "UKL"
    assert (out["region_match"] == "nearest").all()
    assert (out["code_countries"] == "GB").all()


def test_sea_nan_and_no_nuts3(layers):
    out = assign(
        layers,
        {"atlantic": (-30.0, 40.0), "nan": (math.nan, 45.0), "sarajevo": (18.4131, 43.8563)},
    )
    region_columns = [LAYERS[lid].column for lid in LAYER_IDS]
    for name in ("atlantic", "nan"):
        assert out.loc[name, region_columns].isna().all()
        assert all(v is None for v in out.loc[name, region_columns])
        assert out.loc[name, "region_match"] == "none"
    # Bosnia has NUTS 2 but no NUTS 3: its towns must not join a Croatian NUTS 3 region.
    sarajevo = out.loc["sarajevo"]
    assert sarajevo["code_nuts2"] == "BA01" and sarajevo["code_nuts3"] is None
    assert sarajevo["region_match"] == "none"


def test_assignment_is_index_aligned_and_nested(layers):
    rng = np.random.default_rng(7)
    lon = pd.Series(rng.uniform(-10, 30, 5000), index=rng.permutation(5000) + 100)
    lat = pd.Series(rng.uniform(36, 60, 5000), index=lon.index)
    out = assign_regions(lon, lat, layers)
    assert out.index.equals(lon.index)
    assert set(out["region_match"]) <= {"inside", "nearest", "none"}
    for child, parent in (("nuts3", "nuts2"), ("nuts2", "nuts1"), ("nuts1", "countries")):
        lookup = layers[child].set_index("code")["parent"]
        col = out[LAYERS[child].column]
        known = col.notna()
        assert (col[known].map(lookup) == out.loc[known, LAYERS[parent].column]).all()
    both = out["code_nuts3"].notna() & out["code_uk_regions"].notna()
    assert not both.any()
