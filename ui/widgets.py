"""Widgets the region, compare and directory pages share: the region search box, the small
offline locator map, region and country names, and markdown-safe text from data."""

from __future__ import annotations

from collections.abc import Callable

import folium
import numpy as np
import pandas as pd
import shapely.geometry
import streamlit as st

from atlas.geo.search import RegionSearch
from atlas.model import credits
from atlas.model.layers import LAYERS
from atlas.present import offline
from atlas.present.mapview import POPUP_CACHE_LIMIT, base_map, points_layer
from atlas.text import ECHO_CHARS
from atlas.text import inert_markdown as md
from ui import data, folium_patch

SMALL_PRINT = "<style>.leaflet-control-attribution{font-size:10px;line-height:1.3}</style>"


@st.cache_resource(show_spinner=False)
def search_index() -> RegionSearch:
    """Every region of every layer, searchable by code or any spelling of its name: the same
    name index (`RegionNames`) that places imported rows."""
    return RegionSearch(data.region_index().names)


region_names = data.region_names


def country_name(code: str) -> str:
    """'Italy' for 'IT' (the code itself when the countries layer does not know it)."""
    return region_names("countries").get(code, code) if code else "an unknown country"


def search_box(
    key: str,
    on_pick: Callable[[str, str], None],
    *,
    prefer_layer: str | None = None,
    label: str = "Find a region",
    limit: int = 8,
) -> None:
    """A text box whose matches appear as buttons; a click calls `on_pick(layer, code)`.

    Accents, case and punctuation do not matter; near misses are offered as 'Did you mean'.
    """
    query = st.text_input(
        label,
        key=key,
        placeholder="Name in any spelling or code: Emilia-Romagna, Émilie, ITH5, Bologna",
    )
    if not query.strip():
        return
    matches = search_index().search(query, limit=limit, prefer_layer=prefer_layer)
    if not matches:
        st.info(f"No region matches “{md(query, ECHO_CHARS)}”. Try its code (e.g. ITH5) or "
                "another spelling.")
        return
    if all(m.how == "similar" for m in matches):
        st.caption("No exact match. Did you mean:")
    for m in matches:
        st.button(md(m.label()), key=f"{key}_pick_{m.ref}", on_click=on_pick,
                  args=(m.layer, m.code), width="stretch")


def _region_geometry(layer_id: str, code: str):
    gdf = data.layer(layer_id)
    rows = gdf.loc[gdf["code"] == code, "geometry"]
    return None if rows.empty else rows.iloc[0]


def locator(
    key: str,
    *,
    region: tuple[str, str] | None = None,
    points: pd.DataFrame | None = None,
    height: int = 340,
    max_zoom: int = 11,
) -> None:
    """A small offline map: the region outlined, its initiatives clustered, fitted to them."""
    from streamlit_folium import st_folium  # imported at run time so tests can replace it

    folium_patch.patch_streamlit_folium()
    m = base_map("outline", data.outlines(), list(credits.SMALL_MAP_ATTRIBUTIONS))
    m.get_root().header.add_child(folium.Element(SMALL_PRINT))
    bounds = None
    geometry = _region_geometry(*region) if region else None
    if geometry is not None:
        folium.GeoJson(
            shapely.geometry.mapping(geometry),
            style_function=lambda _f: {"color": "#b2182b", "weight": 2, "fillColor": "#fddbc7",
                                       "fillOpacity": 0.45},
            interactive=False,
            control=False,
        ).add_to(m)
        minx, miny, maxx, maxy = geometry.bounds
        bounds = [[miny, minx], [maxy, maxx]]
    located = (
        points[points["lat"].notna() & points["lon"].notna()] if points is not None else None
    )
    if located is not None and len(located):
        # Bounded like the map: markers with popups up to the marker limit, cells above it;
        # the cached popups of the whole table only while it is small (atlas.present.mapview).
        whole = len(data.initiatives())
        points_layer(located, np.ones(len(located), dtype=bool),
                     data.popups if whole <= POPUP_CACHE_LIMIT else None,
                     data.source_titles()).add_to(m)
        if bounds is None:
            pad = 0.05
            bounds = [[located["lat"].min() - pad, located["lon"].min() - pad],
                      [located["lat"].max() + pad, located["lon"].max() + pad]]
    if bounds is not None:
        m.fit_bounds(bounds, max_zoom=max_zoom)
    st_folium(offline.localise(m), key=key, returned_objects=[], height=height,
              use_container_width=True)


def layer_label(layer_id: str) -> str:
    return LAYERS[layer_id].label
