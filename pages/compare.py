"""Compare 2 to 6 regions (any layer, any country) side by side, and rank every region of a
layer by any indicator. URL: `/compare?regions=nuts2:ITH5,uk_regions:UKI` (+ filters)."""

from __future__ import annotations

from functools import partial

import streamlit as st

from atlas.analysis.compare import (
    MAX_REGIONS,
    MIN_REGIONS,
    RECORDS_PREFIX,
    SHARE_PREFIX,
    RegionRef,
    comparison_table,
    format_refs,
    layer_indicators,
    mix_long,
    parse_refs,
    ranking,
    region_label,
    region_mixes,
    theme_multiples,
)
from atlas.model.context import TYPOLOGY_RULE
from atlas.model.layers import LAYERS
from atlas.model.themes import load_themes
from atlas.present.exports import SHARE_NOTE, regions_geojson
from atlas.text import inert_markdown as md
from ui import data, exports, shell, state, widgets

SELECTION = "_compare_sel"  # the chosen regions as `layer:code` strings; survives page changes
URL_SEEN = "_compare_url"  # the `regions` URL value last adopted or written
PER_100K = "Initiatives per 100,000 inhabitants"


def column_config(table) -> dict:
    """Shares as percentages, per-capita with one decimal, everything else as is."""
    config = {}
    for column in table.columns:
        if column.startswith(SHARE_PREFIX) or column == "Share of the country's initiatives":
            config[column] = st.column_config.NumberColumn(column, format="percent")
        elif column == PER_100K:
            config[column] = st.column_config.NumberColumn(column, format="%.2f")
        elif column == "Population":
            config[column] = st.column_config.NumberColumn(column, format="localized")
    return config


def selection() -> tuple[list[RegionRef], list[str]]:
    """The regions to compare: from the URL when it brings a new `regions` value (a shared
    link, or the region page's 'Compare' link), else from this session."""
    raw = st.query_params.get_all("regions")
    notices: list[str] = []
    if raw and ",".join(raw) != st.session_state.get(URL_SEEN):
        refs, notices = parse_refs(raw, data.region_codes())
        st.session_state[SELECTION] = [str(r) for r in refs]
    elif SELECTION not in st.session_state:
        view = state.current_view()
        st.session_state[SELECTION] = [f"{view.layer}:{view.region}"] if view.region else []
    refs, _ = parse_refs(st.session_state[SELECTION], data.region_codes())
    return refs, notices


def add(layer: str, code: str) -> None:
    chosen = st.session_state.setdefault(SELECTION, [])
    ref = f"{layer}:{code}"
    if ref not in chosen and len(chosen) < MAX_REGIONS:
        chosen.append(ref)
    st.session_state["c_query"] = ""


def remove(ref: str) -> None:
    st.session_state[SELECTION] = [r for r in st.session_state.get(SELECTION, []) if r != ref]


def picker(refs: list[RegionRef], names: dict[RegionRef, str]) -> None:
    if refs:
        row = st.container(horizontal=True)
        for ref in refs:
            row.button(f"✕ {md(region_label(names[ref], ref.code))}", key=f"c_remove_{ref}",
                       on_click=remove, args=(str(ref),), help="Remove from the comparison")
    if len(refs) < MAX_REGIONS:
        widgets.search_box("c_query", add, label="Add a region (any layer, any country)",
                           prefer_layer=state.current_view().layer)
    else:
        st.caption(f"{MAX_REGIONS} regions chosen: remove one to add another.")


def comparison(df, filters, refs: list[RegionRef], names: dict[RegionRef, str]) -> None:
    tables = {layer: data.layer_table(layer) for layer in dict.fromkeys(r.layer for r in refs)}
    table = comparison_table(df, tables, refs, filters, data.source_titles(),
                             policies=data.policies())
    st.subheader("Side by side")
    st.dataframe(table, hide_index=True, column_config=column_config(table))
    labels = [region_label(names[r], r.code) for r in refs]
    long = mix_long(region_mixes(df, refs, names, filters),
                    dict(zip(labels, table["Initiatives"].astype(int), strict=True)))
    st.subheader("Theme mix")
    if int(table["Initiatives"].sum()):
        st.altair_chart(theme_multiples(long, labels, columns=min(3, len(refs))))
        st.caption("Share of each region's initiatives carrying each theme (an initiative can "
                   "have several).")
    else:
        st.caption("None of these regions has an initiative matching the filters.")
    records = [c for c in table.columns if c.startswith(RECORDS_PREFIX)]  # imported names too
    st.info("Counts compare what the sources recorded, not all SSE: Co-ops UK covers UK "
            "co-operatives only (2023), SUSY/TransforMap is a sparse 2016–2018 sample across "
            f"Europe. See the columns {md(', '.join(records))} before comparing countries.",
            icon="ℹ️")
    prov = exports.about(f"Comparison of {', '.join(str(r) for r in refs)}", filters,
                         data.facets()["sources"], notes=[SHARE_NOTE], context=True)
    geometry = [exports.region_geometries(r.layer, [r.code])[0] for r in refs]
    exports.downloads("c_compare", "comparison", {"Comparison": table, "Themes": long}, prov,
                      geojson=partial(regions_geojson, table, geometry, prov))


def ranking_section(df, filters) -> None:
    st.subheader("Ranking of a layer")
    c1, c2, c3 = st.columns([1.3, 1.6, 0.8])
    layer = c1.selectbox("Layer", list(LAYERS), key="c_rank_layer",
                         index=list(LAYERS).index(state.current_view().layer),
                         format_func=widgets.layer_label)
    themes = [t.id for t in load_themes() if t.round_table]
    table = layer_indicators(df, data.layer_table(layer), layer, filters, themes)
    if filters.areas or filters.traits:  # rank the regions of that territory only
        table = table[data.in_territory(layer, filters, table["Code"])].reset_index(drop=True)
        st.caption(md(TYPOLOGY_RULE))
    numeric = [c for c in table.columns if c not in ("Region", "Code", "Country")
               and table[c].dtype.kind in "fiu"]
    sort_by = c2.selectbox("Sort by", numeric, key="c_rank_sort", index=numeric.index(PER_100K))
    ascending = c3.toggle("Lowest first", key="c_rank_asc")
    ranked = ranking(table, sort_by, ascending)
    st.dataframe(ranked, hide_index=True, column_config=column_config(ranked), height=420)
    st.caption("Regions without population or without initiatives show no per-capita figure "
               "or theme share ('None'): no data, listed last. Click a column header to re-sort "
               "the view; downloads keep the order chosen above.")
    prov = exports.about(f"{LAYERS[layer].label} ranked by {sort_by}", filters,
                         data.facets()["sources"], layer=layer, notes=[SHARE_NOTE])
    geometry = exports.region_geometries(layer, ranked["Code"])
    exports.downloads("c_rank", f"{layer} ranking", {"Ranking": ranked}, prov,
                      geojson=partial(regions_geojson, ranked, geometry, prov))


def main() -> None:
    df = data.initiatives()
    filters = state.current_filters()
    st.title("Compare regions")
    st.caption(f"Choose {MIN_REGIONS} to {MAX_REGIONS} regions of any layer and country; the "
               "figures follow the filters in the sidebar.")
    refs, notices = selection()
    for notice in notices:  # plain text quoting the URL
        st.warning(md(notice), icon="⚠️")
    names = {r: widgets.region_names(r.layer).get(r.code, r.code) for r in refs}
    picker(refs, names)
    value = format_refs(refs)
    st.session_state[URL_SEEN] = value
    state.write_url(filters, None, extra={"regions": value})
    if len(refs) < MIN_REGIONS:
        st.info(f"Add {'two regions' if not refs else 'one more region'} to compare (up to "
                f"{MAX_REGIONS}). Example: search for “Emilia-Romagna” and “London”.")
    if refs:
        comparison(df, filters, refs, names)
    st.divider()
    ranking_section(df, filters)


shell.run(main)
