"""Map page: choropleth of a regional layer by a metric, clustered initiatives, click to select."""

from __future__ import annotations

import streamlit as st

from atlas.analysis.context import context_figures
from atlas.model import credits
from atlas.model.classify import SCHEMES, fmt_number, fmt_percent
from atlas.model.context import INDICATORS, need_indicators
from atlas.model.filters import mask
from atlas.model.layers import DEFAULT_LAYER, LAYERS
from atlas.model.metrics import DEFAULT_METRIC, METRICS, metrics_for
from atlas.model.themes import theme_labels
from atlas.model.views import BASEMAPS
from atlas.present import offline
from atlas.present.mapview import base_map, points_layer
from atlas.text import inert_markdown as md
from ui import data, exports, folium_patch, presenter, shell, state, takeaways


def header(df, filters) -> None:
    if presenter.on():  # a title and subtitle that say what the map shows, in large type
        titles = presenter.view_titles(state.current_view(), filters)
        presenter.header(titles["title"], titles["subtitle"])
        return
    n_countries = df.loc[df["lat"].notna(), "country"].nunique()
    st.title("SSE Atlas")
    st.markdown(
        f"Where **{len(df):,} social and solidarity economy initiatives** — co-operatives, "
        f"social enterprises, associations, mutuals — are located across {n_countries} "
        "countries, and what they do for employment, proximity circuits and social services. "
        "Data: the SUSY/TransforMap map of SSE initiatives in Europe (2016–2018) and "
        "Co-operatives UK open data (2023), joined to Eurostat NUTS 2024 regions and population."
    )


def controls():
    labels = theme_labels()
    c1, c2, c3, c4 = st.columns([1.2, 1.4, 1.2, 1.2])
    c1.selectbox("Regions", list(LAYERS), key="v_layer", format_func=lambda v: LAYERS[v].label)
    c2.selectbox("Colour regions by", metrics_for(st.session_state.get("v_layer", DEFAULT_LAYER)),
                 key="v_metric", format_func=lambda v: METRICS[v].label)
    metric = METRICS[st.session_state.get("v_metric", DEFAULT_METRIC)]
    if metric.needs_theme:
        c2.selectbox("Theme", list(labels), key="v_theme", format_func=labels.get)
    needs = need_indicators(st.session_state.get("v_layer", DEFAULT_LAYER))
    if st.session_state.get("v_need") and (st.session_state["v_need"] not in needs
                                           or metric.indicator):
        st.session_state["v_need"] = ""  # a new layer without it, or a context metric
    if needs and not metric.indicator:
        c2.selectbox("Against need (bivariate map)", ["", *needs], key="v_need",
                     format_func=lambda v: INDICATORS[v].title() if v else "— none —",
                     help="SSE presence against a need indicator, 3 × 3 classes: the "
                     "corner 'few initiatives, high need' is where known SSE is thin and need "
                     "is high. Known initiatives are a sample outside the UK.")
    c3.selectbox("Classes", list(SCHEMES), key="v_scheme", format_func=SCHEMES.get)
    c4.radio("Background", list(BASEMAPS), key="v_basemap", format_func=BASEMAPS.get,
             horizontal=False)
    c4.toggle("Show initiatives", key="v_points")


def draw_map(df, filters, view, table):
    from streamlit_folium import st_folium  # imported at run time so tests can replace it

    folium_patch.patch_streamlit_folium()
    choropleth, summary = presenter.regions_group(view, filters, table)
    groups = [choropleth]
    if view.points:
        groups.append(points_layer(df, mask(df, filters), data.popups, data.source_titles()))
    # the background, or the fallback when tiles fail
    m = offline.localise(base_map(view.basemap, data.outlines(), credits.map_attributions()))
    result = st_folium(
        m,
        key=f"atlas_map_{view.basemap}",
        feature_group_to_add=groups,
        returned_objects=["last_active_drawing"],
        center=view.center,
        zoom=view.zoom,
        use_container_width=True,
        height=620,
    )
    return result, summary


def handle_click(result, view) -> None:
    """A click on a region selects it (or unselects it on a second click)."""
    feature = (result or {}).get("last_active_drawing") or {}
    code = (feature.get("properties") or {}).get("code")
    last = st.session_state.get("_last_click")
    if code and feature != last:
        st.session_state["_last_click"] = feature
        state.set_view(region="" if code == view.region else code)
        st.rerun()


def side_panel(view, table) -> None:
    if not view.region:
        st.info("Click a region on the map to see its figures here.")
        return
    rows = table[table["code"] == view.region]
    if rows.empty:
        known = view.region in data.region_codes()[view.layer]
        st.warning(f"Region {md(view.region)} is outside the territory filter." if known else
                   f"Region {md(view.region)} is not in the {LAYERS[view.layer].label} layer.")
        return
    r = rows.iloc[0]  # names and codes are data: shown as written, never as markup
    st.subheader(md(r["name"]))
    st.caption(f"{md(r['code'])} · {LAYERS[view.layer].label} · {md(r['country'])}")
    st.metric("Initiatives (with filters)", fmt_number(r["initiatives"]))
    year = f" ({int(r['population_year'])})" if r["population_year"] == r["population_year"] \
        and r["population_year"] is not None else ""
    st.metric("Per 100,000 inhabitants", fmt_number(r["per_100k"], 1))
    st.metric(f"Population{year}", fmt_number(r["population"]))
    st.metric("Rank in layer", f"{int(r['rank_in_layer'])} of {len(table)}")
    st.metric("Share of the country's initiatives", fmt_percent(r["share_of_country"]))
    for ind in dict.fromkeys(i for i in (METRICS[view.metric].indicator, view.need) if i):
        fig = next((c for c in context_figures(table, view.layer, view.region)
                    if c.indicator == ind), None)
        if fig is not None:
            st.metric(f"{fig.label}, {fig.year}", fig.value_text(), help=fig.source)
    st.page_link("pages/region.py", label="Open the region profile", icon="📍")
    if st.button("Clear selection"):
        state.set_view(region="")
        st.rerun()


def main() -> None:
    df = data.initiatives()
    filters = state.current_filters()
    header(df, filters)
    controls()
    view = state.current_view()
    if view.region and view.region not in data.region_codes()[view.layer]:
        state.set_view(region="")
        view = state.current_view()
    table = data.region_figures(df, view.layer, filters, theme=view.metric_theme)
    state.write_url(filters, view)
    left, right = st.columns([3, 1])
    with left:
        result, _summary = draw_map(df, filters, view, table)
        with st.expander("Download these regional figures (CSV, Excel, GeoJSON)"):
            exports.layer_downloads("m_layer", view.layer, table, filters,
                                    theme=view.metric_theme)
    with right:
        side_panel(view, table)
    takeaways.map_downloads(df, filters, view, table)
    handle_click(result, view)


shell.run(main)
