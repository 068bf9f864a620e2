"""Need and SSE: where need is high and known SSE is low. A ranked table and a scatter plot of
SSE presence against one need indicator, in the bivariate map's classes, following the
filters (typology included). URL: `/need?layer=nuts2&need=youth_unemployment` (+ filters)."""

from __future__ import annotations

import altair as alt
import pandas as pd
import streamlit as st

from atlas.analysis.need import CAVEAT, GAP, missing_summary, need_table
from atlas.model.classify import BIVARIATE_PALETTE
from atlas.model.context import INDICATORS, TYPOLOGY_RULE, need_indicators
from atlas.model.layers import LAYERS
from atlas.model.metrics import METRICS
from atlas.model.themes import theme_labels
from atlas.text import inert_markdown as md
from ui import data, exports, presenter, shell, state

DEFAULT_NEED = "youth_unemployment"
SSE_METRICS = ("per_100k", "theme_share")
LAYER_CHOICES = [lid for lid in LAYERS if need_indicators(lid)]


def controls(view) -> None:
    if view.layer not in LAYER_CHOICES:
        state.set_view(layer=LAYER_CHOICES[0])
    layer = st.session_state.get("v_layer", LAYER_CHOICES[0])
    if st.session_state.get("v_need") not in need_indicators(layer):
        state.set_view(need=DEFAULT_NEED if DEFAULT_NEED in need_indicators(layer)
                       else need_indicators(layer)[0])
    if st.session_state.get("v_metric") not in SSE_METRICS:
        state.set_view(metric="per_100k")
    c1, c2, c3 = st.columns([1, 2, 1.4])
    c1.selectbox("Regions", LAYER_CHOICES, key="v_layer", format_func=lambda v: LAYERS[v].label)
    c2.selectbox("Need indicator", need_indicators(layer), key="v_need",
                 format_func=lambda v: INDICATORS[v].title())
    c3.selectbox("Known SSE", SSE_METRICS, key="v_metric",
                 format_func=lambda v: METRICS[v].label)
    if st.session_state.get("v_metric") == "theme_share":
        labels = theme_labels()
        c3.selectbox("Theme", list(labels), key="v_theme", format_func=labels.get)


def scatter(rows: pd.DataFrame, need: str, sse: str, sse_title: str, selected: str):
    """SSE against need, one dot per region coloured by its bivariate cell; the selected
    region's country drawn larger. Returns the chart's selection event."""
    country = rows.loc[rows["code"] == selected, "country"]
    home = country.iloc[0] if len(country) else ""
    plot = rows.assign(home=rows["country"] == home, chosen=rows["code"] == selected)
    pick = alt.selection_point(name="region", fields=["code"], on="click")
    chart = (
        alt.Chart(plot)
        .mark_circle(opacity=0.85, stroke="#222")
        .encode(
            x=alt.X(f"{sse}:Q", title=sse_title),
            y=alt.Y(f"{need}:Q", title=INDICATORS[need].title(),
                    scale=alt.Scale(zero=False, reverse=INDICATORS[need].need == "low")),
            color=alt.Color("cell:O", scale=alt.Scale(domain=list(range(9)),
                                                      range=list(BIVARIATE_PALETTE)),
                            legend=None),
            size=alt.condition("datum.home", alt.value(140), alt.value(45)),
            strokeWidth=alt.condition("datum.chosen", alt.value(3), alt.value(0.3)),
            tooltip=[alt.Tooltip("name:N", title="Region"), alt.Tooltip("code:N"),
                     alt.Tooltip(f"{sse}:Q", title=sse_title, format=".1f"),
                     alt.Tooltip(f"{need}:Q", title=INDICATORS[need].label, format=".1f"),
                     alt.Tooltip("class:N", title="Class")],
        )
        .add_params(pick)
        .properties(height=420)
    )
    if presenter.on():  # readable from the back of the room
        chart = chart.configure_axis(labelFontSize=16, titleFontSize=18)
    return st.altair_chart(chart, on_select="rerun", selection_mode="region", key="need_scatter",
                           width="stretch")


def shown(rows: pd.DataFrame, need: str, sse: str, sse_title: str) -> pd.DataFrame:
    """The table as people read it (and download it)."""
    ind = INDICATORS[need]
    return pd.DataFrame({
        "Region": rows["name"], "Code": rows["code"], "Country": rows["country"],
        ind.title(): rows[need], "Flag": rows["flag_meaning"],
        "Need rank (1 = highest need)": rows["rank_need"],
        sse_title: rows[sse], "Known initiatives": rows["initiatives"],
        "Class": rows["class"], GAP: rows["gap"].map({True: "yes", False: ""}),
    })


def main() -> None:
    df = data.initiatives()
    filters = state.current_filters()
    st.title("Where need is high and known SSE is low")
    controls(state.current_view())
    view = state.current_view()
    need, sse = view.need, view.metric
    table = data.region_figures(df, view.layer, filters, theme=view.metric_theme)
    labels = theme_labels()
    sse_title = METRICS[sse].title(labels.get(view.theme) if view.metric_theme else None)
    rows = need_table(table, need, sse)
    state.write_url(filters, view)
    st.warning(md(CAVEAT), icon="⚠️")
    left, right = st.columns([3, 2])
    with left:
        event = scatter(rows, need, sse, sse_title, view.region)
        picked = ((event or {}).get("selection") or {}).get("region") or []
        if picked and picked[0].get("code") and picked[0]["code"] != view.region:
            state.set_view(region=picked[0]["code"])
            st.rerun()
        st.caption("Colours are the bivariate map's 3 × 3 classes (terciles of the regions "
                   "shown). Larger dots: the selected region's country. Click a dot to select "
                   "the region.")
    gap = rows[rows["gap"]]
    with right:
        st.metric(GAP, f"{len(gap):,} of {len(rows):,} regions")
        if view.region:
            st.page_link("pages/region.py", label="Open the selected region's profile",
                         icon="📍")
        left_out = missing_summary(table, need, sse)
        if left_out:
            st.caption("Left out (no data, never counted as 0): " + md("; ".join(
                f"{reason} ({n})" for reason, n in left_out.items())))
        if filters.areas or filters.traits:
            st.caption(md(TYPOLOGY_RULE))
    frame = shown(rows, need, sse, sse_title)
    st.dataframe(frame, hide_index=True)
    prov = exports.about(f"Need and SSE: {INDICATORS[need].title()} against {sse_title}",
                         filters, data.facets()["sources"], layer=view.layer,
                         notes=[CAVEAT, METRICS[need].legend_note])
    exports.downloads("need", f"need-{need}-{view.layer}", {"Regions": frame}, prov)


shell.run(main)
