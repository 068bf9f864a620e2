"""The naive baseline as a Streamlit page, for the browser benchmark only.

`streamlit run benchmarks/naive_app/app.py` (ATLAS_DATA_DIR = the table): the table loaded
the pre-issue-7 way, the whole NUTS 3 layer as GeoJSON and one folium Marker per initiative
in a MarkerCluster, rendered on every run like any folium map would be. `static/` here links
to the app's vendored assets so the page works offline like the app.
"""

from __future__ import annotations

import pandas as pd
import streamlit as st
from streamlit_folium import st_folium

from atlas import paths
from atlas.geo.regions import load_layer
from atlas.model.filters import Filters
from atlas.model.sources import short_titles as source_titles
from atlas.model.themes import theme_labels
from atlas.present import offline
from benchmarks import baseline
from ui import folium_patch

st.set_page_config(page_title="Naive map (benchmark baseline)", layout="wide")


@st.cache_resource
def table() -> pd.DataFrame:
    return baseline.load(paths.DATA_DIR)


df = table()
sources = ", ".join(sorted(df["source"].astype(str).unique()))
st.caption(f"Benchmark baseline (naive map). Data source: {sources}.")  # 'synthetic' when it is
layer = load_layer("nuts3")
regions = baseline.region_table(df, pd.DataFrame(layer.drop(columns="geometry")), "nuts3",
                                Filters(), None)
groups = baseline.map_groups(df, layer, regions, theme_labels(), source_titles())
folium_patch.patch_streamlit_folium()
m = offline.localise(baseline.base_map(load_layer("countries")))
st_folium(m, key="naive", feature_group_to_add=groups, returned_objects=[],
          use_container_width=True, height=620)
