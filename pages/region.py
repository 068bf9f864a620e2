"""Region profile: one region's figures, following the filters, next to its country and all
data; which sources cover it (so a zero reads as "no data here"); a locator map; its initiatives;
and exports of everything shown. URL: `/region?layer=nuts2&region=ITH5` (+ filters)."""

from __future__ import annotations

import json
from functools import partial

import streamlit as st

from atlas.analysis.compare import (
    RegionRef,
    activity_mix,
    category_table,
    comparison_table,
    format_refs,
    mix_long,
    mix_table,
    theme_bars,
)
from atlas.analysis.context import context_frame, figures_frame, policies_frame
from atlas.analysis.profile import RegionProfile, build_profile
from atlas.ingest.values import clean_url
from atlas.model.classify import fmt_number, fmt_percent
from atlas.model.filters import mask
from atlas.model.layers import EXPORT_REGION_LAYERS, LAYERS
from atlas.model.themes import theme_labels
from atlas.present.exports import (
    SHARE_NOTE,
    initiatives_blocks,
    initiatives_frame,
    regions_geojson,
)
from atlas.text import ECHO_CHARS
from ui import data, exports, shell, state, takeaways, widgets

EUROPE = "Europe (all data)"


def choose(layer: str, code: str) -> None:
    """Search result clicked: show that region (the map shares the selection)."""
    state.set_view(layer=layer, region=code)
    st.session_state["r_query"] = ""


def picker(view) -> None:
    with st.expander("Find another region" if view.region else "Find a region",
                     expanded=not view.region):
        widgets.search_box("r_query", choose, prefer_layer=view.layer)


def headline(p: RegionProfile) -> None:
    year_text = f" ({p.population_year})" if p.population_year else ""
    row = st.container(horizontal=True, gap="large")  # wraps on narrow screens, never truncates
    row.metric("Initiatives", fmt_number(p.initiatives), width="content",
               help="Initiatives in the region that match the filters")
    row.metric("Per 100,000 inhabitants", fmt_number(p.per_100k, 1), width="content",
               help=f"Population{year_text}: {fmt_number(p.population)} (Eurostat; UK "
               "regions 2019). 'no data' when the population is unknown.")
    row.metric("Rank in layer", f"{p.rank_in_layer} of {p.regions_in_layer}",
               width="content",
               help=f"By number of initiatives among all {LAYERS[p.layer].label}")
    row.metric("Rank in country", f"{p.rank_in_country} of {p.regions_in_country}",
               width="content",
               help="By number of initiatives among the regions of the same country and layer")
    row.metric("Share of country", fmt_percent(p.share_of_country), width="content",
               help="Share of the country's initiatives (in this layer) that lie in the region")


def territory(p: RegionProfile) -> dict:
    """Need, policies and official figures next to the region's SSE; returns the tables for
    the profile's downloads. Every fact shows its source; links are the sources' own pages."""
    st.subheader("The territory: need, policies, official SSE figures")
    st.info(widgets.md(p.summary()), icon="🗣️")
    link = {"Source": st.column_config.LinkColumn("Source")}
    ctx, pol, fig = context_frame(p.context), policies_frame(p.policies), figures_frame(
        p.official_figures)
    for table in (pol, fig):  # a link only where it is a plain http(s) address
        table["Source"] = table["Source"].map(clean_url)
    tabs = st.tabs([f"Context ({len(ctx)})", f"Policies ({len(pol)})",
                    f"Official SSE figures ({len(fig)})"])
    with tabs[0]:
        if len(ctx):
            st.dataframe(ctx, hide_index=True)
            st.caption("Eurostat figures (CC BY 4.0). Flags: u low reliability, d definition "
                       "differs, b break in series, p provisional, e estimated. Medians are of "
                       "the regions of this layer, not national figures.")
        else:
            st.caption(f"No Eurostat context indicator for the {LAYERS[p.layer].label} layer: "
                       "they exist for NUTS 2 (labour market, GDP) and NUTS 3 (GDP); the UK is "
                       "in none of the Eurostat files (no data, not 0).")
        if len(p.degurba):
            st.dataframe(p.degurba, hide_index=True)
            st.caption("National figures by degree of urbanisation, 2025 (Eurostat, Urban-rural "
                       "Europe 2026): the country's cities, towns and rural areas, not this "
                       "region's. EU: the EU as a whole.")
    with tabs[1]:
        if len(pol):
            st.dataframe(pol, hide_index=True, column_config=link)
        st.caption("Laws, strategies, plans and registers compiled from official gazettes and "
                   "sector bodies; each row links to the page it was read from and quotes it. "
                   "The compilation is not exhaustive: no row does not mean no policy.")
    with tabs[2]:
        if len(fig):
            st.dataframe(fig, hide_index=True, column_config=link)
        st.caption("As published: years and definitions differ between sources (e.g. ISTAT "
                   "vs RUNTS counts of social co-operatives), so they are listed side by side, "
                   "never added up or ranked as one series.")
    return {"Context": ctx, "By degree of urbanisation": p.degurba, "Policies": pol,
            "Official figures": fig}


def main() -> None:
    df = data.initiatives()
    filters = state.current_filters()
    view = state.current_view()
    st.title("Region profile")
    if view.region and view.region not in data.region_codes()[view.layer]:
        st.warning(f"There is no region “{widgets.md(view.region, ECHO_CHARS)}” in "
                   f"{LAYERS[view.layer].label}. Search for it by name or code below.")
        state.set_view(region="")
        view = state.current_view()
    picker(view)
    state.write_url(filters, view)
    if not view.region:
        st.info("Search for a region above, or click one on the Map page and follow "
                "“Open the region profile”.")
        return
    profile(df, filters, view.layer, view.region)


def profile(df, filters, layer: str, code: str) -> None:
    regions = data.layer_table(layer)
    p = build_profile(df, regions, layer, code, filters, countries=data.layer_table("countries"),
                      titles=data.source_titles(), policies=data.policies(),
                      figures=data.official_figures(), degurba=data.degurba())
    country = widgets.country_name(p.country)
    labels = theme_labels()
    st.header(widgets.md(p.name))
    st.caption(f"{widgets.md(code)} · {LAYERS[layer].label} · {widgets.md(country)} · "
               f"filters: {widgets.md(filters.describe(labels))}")
    headline(p)

    cov, note = p.coverage, p.coverage_note
    (st.warning if p.initiatives == 0 else st.info)(widgets.md(note), icon="ℹ️")
    territory_tables = territory(p)

    keep = mask(df, filters)
    here = df[keep & (df[LAYERS[layer].column] == code).to_numpy()]
    mix = p.theme_mix.rename(columns={"region": p.name, "country": country, "all": EUROPE})
    n_country = p.country_initiatives
    long = mix_long(mix, {p.name: p.initiatives, country: n_country,
                          EUROPE: int(keep.sum())})
    left, right = st.columns([3, 2])
    with left:
        st.subheader("Themes")
        if p.initiatives:
            st.altair_chart(theme_bars(long, [p.name, country, EUROPE]),
                            width="stretch")
            st.caption("Share of initiatives carrying each theme; one initiative can have "
                       "several, so shares add up to more than 100 %.")
        else:
            st.caption("No initiative here matches the filters, so there is no theme mix.")
    with right:
        st.subheader("Where")
        widgets.locator(f"locator_{layer}_{code}", region=(layer, code), points=here)

    legal = category_table(here, "legal_form", "Legal form")
    structures = category_table(here, "org_structure", "Organisational structure")
    activities = mix_table(activity_mix(here), len(here), "Activity")
    names = {lid: widgets.region_names(lid) for lid in EXPORT_REGION_LAYERS}
    listing = initiatives_frame(here, names, labels, data.source_titles())
    headline_row = comparison_table(df, {layer: regions}, [RegionRef(layer, code)], filters,
                                    data.source_titles())
    shares = {"Share": st.column_config.NumberColumn(format="percent")}

    tabs = st.tabs([f"Initiatives ({len(here):,})", "Legal forms and structures", "Activities",
                    "Data sources", "Download the profile"])
    with tabs[0]:
        st.dataframe(listing, hide_index=True,
                     column_config={"Website": st.column_config.LinkColumn("Website")})
        prov = exports.about(f"Initiatives in {p.name} ({code})", filters,
                             here["source"].unique())
        exports.initiatives_downloads(  # `here` keeps the rows' positions in `df`
            "r_list", f"{code} initiatives",
            initiatives_blocks(df, here.index.to_numpy(), names, labels, data.source_titles()),
            prov)
    with tabs[1]:
        a, b = st.columns(2)
        a.dataframe(legal, hide_index=True, column_config=shares)
        b.dataframe(structures, hide_index=True, column_config=shares)
        st.caption("Legal forms and organisational structures are recorded by Co-operatives UK "
                   "only; SUSY records show as 'Not stated'.")
    with tabs[2]:
        st.dataframe(activities, hide_index=True, column_config=shares)
        st.caption("Activities as the sources label them (SUSY tags, ICA activities). A SUSY "
                   "record can have several, so shares can add up to more than 100 %.")
    with tabs[3]:
        st.dataframe(cov, hide_index=True)
    with tabs[4]:
        tables = {"Headline": headline_row, "Themes": long, "Legal forms": legal,
                  "Structures": structures, "Activities": activities, "Sources": cov,
                  **territory_tables}
        prov = exports.about(f"Profile of {p.name} ({code}, {LAYERS[layer].label})", filters,
                             data.facets()["sources"], layer=layer, notes=[SHARE_NOTE, note],
                             context=True)
        st.write("Every table of this profile, with sources, licences and the filters used.")
        geometry = exports.region_geometries(layer, [code])
        exports.downloads("r_profile", f"{code} profile", tables, prov,
                          geojson=partial(regions_geojson, headline_row, geometry, prov))
        takeaways.region_downloads(layer, code, filters, key="r")
        st.download_button(  # the same object as `python -m atlas profile LAYER:CODE --json`
            "Profile (JSON)", data=json.dumps(p.to_json(), ensure_ascii=False, indent=1),
            file_name=f"sse-atlas-profile-{layer}-{code}.json", mime="application/json",
            key="r_profile_json", on_click="ignore")
    peers = st.session_state.get("_compare_sel", [])
    ref = str(RegionRef(layer, code))
    chosen = [r for r in peers if r != ref][:5]
    st.page_link("pages/compare.py", label="Compare this region with others", icon="⚖️",
                 query_params={"regions": format_refs([ref, *chosen])})


shell.run(main)
