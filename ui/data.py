"""Cached loaders: each file is read once per server process, keyed on its path and mtime."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from atlas import paths
from atlas.initiatives import facet_values, load_initiatives
from atlas.layers import LAYER_IDS, geo_file
from atlas.mapview import popup_column, to_geojson_dict
from atlas.provenance import all_sidecars
from atlas.regions import load_layer


def _mtime(name: str, folder=None) -> float:
    path = (folder or paths.DATA_DIR) / name
    return path.stat().st_mtime if path.exists() else 0.0


@st.cache_resource(show_spinner="Loading initiatives…")
def _initiatives(_version: float) -> pd.DataFrame:
    return load_initiatives()


def initiatives() -> pd.DataFrame:
    """The shipped initiatives (shared, read-only: never mutate the returned frame)."""
    return _initiatives(_mtime(paths.INITIATIVES_FILE))


@st.cache_resource(show_spinner=False)
def _facets(_version: float) -> dict[str, list[str]]:
    return facet_values(initiatives())


def facets() -> dict[str, list[str]]:
    return _facets(_mtime(paths.INITIATIVES_FILE))


@st.cache_resource(show_spinner="Loading regions…")
def _layer(layer_id: str, _version: float):
    return load_layer(layer_id)


def layer(layer_id: str):
    """A regional layer as a GeoDataFrame (shared, read-only)."""
    return _layer(layer_id, _mtime(geo_file(layer_id), paths.GEO_DIR))


def layer_table(layer_id: str) -> pd.DataFrame:
    """The layer without geometry, for tables and indicators."""
    return pd.DataFrame(layer(layer_id).drop(columns="geometry"))


@st.cache_resource(show_spinner=False)
def _shapes(layer_id: str, _version: float) -> dict:
    return to_geojson_dict(layer(layer_id))


def shapes(layer_id: str) -> dict:
    """A layer as a GeoJSON dict (code, name, geometry) for the map."""
    return _shapes(layer_id, _mtime(geo_file(layer_id), paths.GEO_DIR))


@st.cache_resource(show_spinner=False)
def region_codes() -> dict[str, set[str]]:
    return {lid: set(layer(lid)["code"]) for lid in LAYER_IDS}


@st.cache_resource(show_spinner=False)
def sidecars() -> list[dict]:
    return all_sidecars(paths.DATA_DIR, paths.GEO_DIR)


@st.cache_resource(show_spinner=False)
def _popups(_version: float) -> pd.Series:
    from atlas.sources import SOURCES
    from atlas.themes import theme_labels

    titles = {k: s.title.split(" (")[0] for k, s in SOURCES.items()}
    return popup_column(initiatives(), theme_labels(), titles)


def popups() -> pd.Series:
    """Escaped popup HTML per initiative (index-aligned with `initiatives()`)."""
    return _popups(_mtime(paths.INITIATIVES_FILE))
