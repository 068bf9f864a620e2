"""Cached loaders: each file is read once per server process, keyed on its path and mtime.

`initiatives()` is the shipped table plus the datasets saved in the workspace (one shared
table per server process) plus this session's own imports (pages/data.py) appended as an
overlay: the shared rows keep their positions and are never copied or dropped per session
(same Arrow dtypes: concatenating shares their text), and what a session adds lives in its
session state only, freed with it. `shipped_initiatives()` is the shipped table alone.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import streamlit as st

from atlas import paths
from atlas.analysis.context import typology_match
from atlas.analysis.directory import sort_order, sort_ranks
from atlas.analysis.indicators import region_table
from atlas.geo.regions import background_outlines, load_layer
from atlas.model.filters import Filters
from atlas.model.layers import LAYER_IDS, geo_file
from atlas.model.provenance import all_sidecars
from atlas.model.themes import theme_labels
from atlas.present.mapview import MapShapes, map_shapes, popup_parts
from atlas.store.catalogue import Catalogue, Dataset
from atlas.store.catalogue import catalogue as make_catalogue
from atlas.store.context import (
    layer_typology,
    load_context,
    load_degurba,
    load_official_figures,
    load_policies,
    load_typologies,
    with_context,
)
from atlas.store.initiatives import facet_values, load_initiatives, prepare


def _mtime(name: str, folder=None) -> float:
    path = (folder or paths.DATA_DIR) / name
    return path.stat().st_mtime if path.exists() else 0.0


@st.cache_resource(show_spinner="Loading initiatives…")
def _initiatives(version: float) -> pd.DataFrame:
    return load_initiatives()


def shipped_initiatives() -> pd.DataFrame:
    """The shipped initiatives (shared, read-only: never mutate the returned frame)."""
    return _initiatives(_mtime(paths.INITIATIVES_FILE))


# ---------------------------------------------------------------- imported datasets

IMPORTS_KEY = "_atlas_imports"  # session state: {dataset id: SessionImport}
_COMBINED_KEY = "_atlas_combined"
_POPUPS_KEY = "_atlas_popups"


@dataclass(frozen=True)
class SessionImport:
    source: Dataset  # kind "session"
    rows: pd.DataFrame  # schema rows, prepared (theme_bits, search_text)
    token: str  # changes with every import, so caches keyed on version() follow


def workspace():
    """The shared workspace (folder from ATLAS_WORKSPACE, read at call time)."""
    from atlas.store.workspace import Workspace

    return Workspace.opened()  # recovers interrupted saves once per process (app start)


@st.cache_resource(show_spinner="Loading saved datasets…", max_entries=4)
def _shipped_and_saved(shipped: float, saved: tuple, root: str):
    from atlas.store.workspace import Workspace

    ws = Workspace(Path(root))
    datasets = tuple(ws.datasets())
    base = shipped_initiatives()
    if not datasets:
        return base, ()
    extra = prepare(ws.load_all())
    combined = pd.concat([base, extra], ignore_index=True)
    sources = tuple(Dataset("saved", d.id, d.title, d.license, d.attribution, d.rows)
                    for d in datasets)
    return combined, sources


def _saved():
    ws = workspace()
    return _shipped_and_saved(_mtime(paths.INITIATIVES_FILE), ws.version(), str(ws.root))


def session_imports() -> dict[str, SessionImport]:
    """This session's imports that were not saved (they vanish with the session)."""
    return st.session_state.setdefault(IMPORTS_KEY, {})


def catalogue() -> Catalogue:
    """Every dataset shown: shipped, saved in the workspace, this session's imports."""
    return make_catalogue(_saved()[1], (v.source for v in session_imports().values()))


def taken_ids() -> set[str]:
    """Source ids in use: shipped sources, saved datasets, this session's imports."""
    return catalogue().ids()


def add_session_import(source: Dataset, rows: pd.DataFrame, token: str) -> None:
    """Add rows to this session under `source.id`, which must name no other source: an
    import never shadows shipped or saved data (pages pick a free id with
    `atlas.ingest.importer.unused_id`). Re-importing under the session's own id replaces it."""
    taken = taken_ids() - set(session_imports())
    if source.id in taken:
        raise ValueError(f"source id {source.id!r} is already used by other data")
    if source.kind != "session":
        raise ValueError(f"{source.ref} is not a session dataset")
    session_imports()[source.id] = SessionImport(source, prepare(rows.copy()), token)


def remove_session_import(dataset_id: str) -> None:
    session_imports().pop(dataset_id, None)


def version() -> tuple:
    """Changes when the shipped data, the workspace or this session's imports change."""
    ws = workspace()
    return (_mtime(paths.INITIATIVES_FILE), ws.version(), str(ws.root),
            tuple(sorted((k, v.token) for k, v in session_imports().items())))


def imported_sources() -> list[Dataset]:
    """Saved datasets, then this session's imports."""
    return catalogue().imported()


def _overlay(key: str, shared, build):
    """`shared` with this session's part appended, kept in the session (not in a server
    cache) while its imports do not change: freed with the session."""
    own = session_imports()
    if not own:
        return shared
    stamp = version()
    cached = st.session_state.get(key)
    if cached and cached[0] == stamp:
        return cached[1]
    frame = build(shared, list(own.values()))
    st.session_state[key] = (stamp, frame)
    return frame


def initiatives() -> pd.DataFrame:
    """Shipped + saved + this session's imported initiatives (read-only; index 0..n-1, the
    shared rows first, in the same positions for every session).

    The same object is returned while nothing changes, so caches keyed on version() hold.
    """
    return _overlay(_COMBINED_KEY, _saved()[0], lambda shared, own: pd.concat(
        [shared, *(v.rows for v in own)], ignore_index=True))


def source_titles() -> dict[str, str]:
    """Short title of every source, shipped and imported, by id."""
    return catalogue().titles()


@st.cache_resource(show_spinner=False, max_entries=32)
def _facets(version: tuple) -> dict[str, list[str]]:
    return facet_values(initiatives())


def facets() -> dict[str, list[str]]:
    return _facets(version())


@st.cache_resource(show_spinner="Loading regions…")
def _layer(layer_id: str, version: float):
    return load_layer(layer_id)


def layer(layer_id: str):
    """A regional layer as a GeoDataFrame (shared, read-only)."""
    return _layer(layer_id, _mtime(geo_file(layer_id), paths.GEO_DIR))


@st.cache_resource(show_spinner=False)
def _layer_table(layer_id: str, version: float, context_version: float) -> pd.DataFrame:
    table = pd.DataFrame(layer(layer_id).drop(columns="geometry"))
    return with_context(table, context(), layer_id)


def layer_table(layer_id: str) -> pd.DataFrame:
    """The layer without geometry, with its context indicators (value, flag, why missing),
    for tables and indicators (shared, read-only)."""
    return _layer_table(layer_id, _mtime(geo_file(layer_id), paths.GEO_DIR),
                        _mtime(paths.CONTEXT_FILE))


@st.cache_resource(show_spinner=False)
def _context(version: float) -> pd.DataFrame:
    return load_context()


def context() -> pd.DataFrame:
    """The shipped context indicators, long (see atlas.store.context)."""
    return _context(_mtime(paths.CONTEXT_FILE))


@st.cache_resource(show_spinner=False)
def _policies(version: float) -> pd.DataFrame:
    return load_policies()


def policies() -> pd.DataFrame:
    """SSE policies with their sources (see atlas.store.context)."""
    return _policies(_mtime(paths.POLICIES_FILE))


@st.cache_resource(show_spinner=False)
def _official_figures(version: float) -> pd.DataFrame:
    return load_official_figures()


@st.cache_resource(show_spinner=False)
def _layer_typology(layer_id: str, version: float, geo_version: float) -> pd.DataFrame:
    return layer_typology(layer_id, load_typologies(), layer_table("nuts3"))


def in_territory(layer_id: str, filters: Filters, codes: pd.Series) -> np.ndarray:
    """For each region code, whether its typology passes the territory filters (False for
    codes without a typology: UK, outside NUTS)."""
    typo = _layer_typology(layer_id, _mtime(paths.TYPOLOGIES_FILE),
                           _mtime(geo_file("nuts3"), paths.GEO_DIR))
    return typology_match(typo, filters).reindex(codes, fill_value=False).to_numpy(dtype=bool)


@st.cache_resource(show_spinner=False)
def _degurba(version: float) -> pd.DataFrame:
    return load_degurba()


def degurba() -> pd.DataFrame:
    """Unemployment and poverty by country × degree of urbanisation (atlas.store.context)."""
    return _degurba(_mtime(paths.DEGURBA_FILE))


def region_figures(df: pd.DataFrame, layer_id: str, filters: Filters,
                   theme: str | None = None) -> pd.DataFrame:
    """The layer's region table for the pages (atlas.analysis.indicators.region_table), without
    the regions a territory filter leaves out: they read "no data" on maps and are not ranked
    (a region outside "rural" is not a rural region with 0 initiatives)."""
    table = region_table(df, layer_table(layer_id), layer_id, filters, theme=theme)
    if filters.areas or filters.traits:
        table = table[in_territory(layer_id, filters, table["code"])].reset_index(drop=True)
        table["rank_in_layer"] = table["initiatives"].rank(ascending=False, method="min")
        table["rank_in_country"] = table.groupby("country")["initiatives"].rank(
            ascending=False, method="min")
        table[["rank_in_layer", "rank_in_country"]] = table[
            ["rank_in_layer", "rank_in_country"]].astype(int)
    return table


def official_figures() -> pd.DataFrame:
    """Official SSE figures with their sources (see atlas.store.context)."""
    return _official_figures(_mtime(paths.OFFICIAL_FIGURES_FILE))


@st.cache_resource(show_spinner=False)
def _shapes(layer_id: str, version: float, background: bool) -> MapShapes:
    gdf = layer(layer_id)
    return map_shapes(background_outlines(gdf) if background else gdf)


def shapes(layer_id: str) -> MapShapes:
    """A layer's polygons for the map, serialised once per layer."""
    return _shapes(layer_id, _mtime(geo_file(layer_id), paths.GEO_DIR), False)


def outlines() -> MapShapes:
    """The map's background: country outlines, simplified further (regions.OUTLINE_SIMPLIFY)."""
    return _shapes("countries", _mtime(geo_file("countries"), paths.GEO_DIR), True)


def all_layers() -> dict:
    """Every regional layer by id (what placing imported rows needs)."""
    return {lid: layer(lid) for lid in LAYER_IDS}


@st.cache_resource(show_spinner="Indexing region names…", max_entries=2)
def _region_index(version: tuple):
    from atlas.geo.placement import RegionIndex

    return RegionIndex(all_layers())


def region_index():
    """Codes and names of every region, for placing imported rows by the region they name."""
    return _region_index(tuple(_mtime(geo_file(lid), paths.GEO_DIR) for lid in LAYER_IDS))


@st.cache_resource(show_spinner=False)
def region_codes() -> dict[str, set[str]]:
    return {lid: set(layer(lid)["code"]) for lid in LAYER_IDS}


@st.cache_resource(show_spinner=False)
def sidecars() -> list[dict]:
    return all_sidecars(paths.DATA_DIR, paths.GEO_DIR)


def _popup_parts(df: pd.DataFrame) -> pd.DataFrame:
    from atlas.ingest.report import approximate_notes
    from atlas.model.themes import theme_labels

    return popup_parts(df, theme_labels(), source_titles(), approximate_notes(df))


@st.cache_resource(show_spinner=False, max_entries=2)
def _shared_popups(shipped: float, saved: tuple, root: str) -> pd.DataFrame:
    return _popup_parts(_saved()[0])


def popups() -> pd.DataFrame:
    """Escaped popup parts per initiative (`mapview.popup_parts`, indexed by initiative id, for
    `initiatives()`); imported rows placed at a region's label point say so. The shared
    rows' parts are made once per server; a session's own rows' parts live in its state."""
    ws = workspace()
    shared = _shared_popups(_mtime(paths.INITIATIVES_FILE), ws.version(), str(ws.root))

    def build(shared: pd.DataFrame, own: list[SessionImport]) -> pd.DataFrame:
        rows = initiatives().iloc[len(shared):]
        return pd.concat([shared, _popup_parts(rows)])

    return _overlay(_POPUPS_KEY, shared, build)


@st.cache_resource(show_spinner=False)
def region_names(layer_id: str) -> dict[str, str]:
    """Region name by code, for one layer."""
    table = layer_table(layer_id)
    return dict(zip(table["code"], table["name"], strict=True))


# ---------------------------------------------------------------- the directory at any size


@st.cache_resource(show_spinner="Sorting the directory…", max_entries=8)
def _directory_ranks(version: tuple, sort_by: str) -> np.ndarray:
    from atlas.model.layers import EXPORT_REGION_LAYERS

    names = {lid: region_names(lid) for lid in EXPORT_REGION_LAYERS}
    ranks = sort_ranks(initiatives(), sort_by, names, theme_labels(), source_titles())
    ranks.flags.writeable = False  # shared by every session
    return ranks


@st.cache_resource(show_spinner="Sorting the directory…", max_entries=8)
def _directory_order(version: tuple, sort_by: str, descending: bool) -> np.ndarray:
    names = _directory_ranks(version, "Name")
    key = names if sort_by == "Name" else _directory_ranks(version, sort_by)
    order = sort_order(key, names, descending)
    order.flags.writeable = False
    return order


def directory_order(sort_by: str, descending: bool) -> np.ndarray:
    """Positions of every row of `initiatives()` in the directory's order for `sort_by`:
    computed once per table and server (a million rows: about a second), then shared."""
    return _directory_order(version(), sort_by, descending)


@st.cache_resource(show_spinner=False, max_entries=4)
def _id_index(version: tuple) -> pd.Index:
    return pd.Index(initiatives()["id"])


def position_of(initiative_id: str) -> int | None:
    """Row position of an initiative in `initiatives()` by id (a hash lookup, not a scan);
    None if there is none."""
    index = _id_index(version())
    if index.is_unique:
        found = int(index.get_indexer([initiative_id])[0])
        return found if found >= 0 else None
    hits = np.flatnonzero(index == initiative_id)
    return int(hits[0]) if len(hits) else None
