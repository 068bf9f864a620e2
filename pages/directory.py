"""Directory: every initiative matching the filters in a searchable, sortable table, with a detail
view (description, website, source and licence, location). URL: `/directory?dq=repair&id=…`."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from atlas.model.filters import Filters, apply
from atlas.model.layers import DETAIL_LAYERS, EXPORT_REGION_LAYERS
from atlas.model.themes import theme_labels
from atlas.present.exports import initiatives_frame
from atlas.present.mapview import safe_link
from atlas.text import ECHO_CHARS, fold_strings
from ui import data, exports, shell, state, widgets

SORTS = ("Name", "Country", "Region", "Source", "Legal form", "Themes")
SELECTED = "_directory_id"  # id of the initiative shown in detail; survives page changes
IDS = "_directory_ids"  # ids of the table rows as last drawn, for the selection callback
URL_SEEN = "_directory_url_id"  # the `id` URL value last adopted or written


def seed_from_url() -> None:
    """On arrival with `?dq=`/`?id=` (a shared link), take them; otherwise keep the session's."""
    params = st.query_params
    if "d_q" not in st.session_state:
        st.session_state["d_q"] = params.get("dq", "")[:200]
    url_id = params.get("id", "")
    if url_id and url_id != st.session_state.get(URL_SEEN):
        st.session_state[SELECTED] = url_id[:200]


def picked() -> None:
    """A row was selected in the table: show that initiative below it."""
    rows = st.session_state["d_table"].selection.rows
    ids = st.session_state.get(IDS, [])
    if rows and rows[0] < len(ids):
        st.session_state[SELECTED] = ids[rows[0]]


def close() -> None:
    st.session_state[SELECTED] = ""


def detail(df, initiative_id: str, shown_ids: set[str]) -> None:
    """One initiative in full. Every text from data goes through md() or a table cell."""
    rows = df[df["id"] == initiative_id]
    if rows.empty:
        st.warning(f"There is no initiative with id “{widgets.md(initiative_id, ECHO_CHARS)}”.",
                   icon="⚠️")
        return
    r = rows.iloc[0]
    st.divider()
    head, button = st.columns([5, 1])
    head.subheader(widgets.md(r["name"]))
    button.button("Close", on_click=close, key="d_close", width="stretch")
    if initiative_id not in shown_ids:
        st.caption("This initiative does not match the current filters or search.")
    labels = theme_labels()
    left, right = st.columns([3, 2])
    with left:
        themes = "; ".join(labels.get(t, t) for t in r["themes"]) or "no theme"
        facts = [
            ("Themes", themes),
            ("Activity", r["activity"]),
            ("Legal form", r["legal_form"]),
            ("Organisational structure", r["org_structure"]),
            ("Locality", r["locality"]),
            ("Country", widgets.country_name(r["country"]) if r["country"] else None),
        ]
        for layer in DETAIL_LAYERS:
            code = r[f"code_{layer}"]
            if isinstance(code, str) and code:
                name = widgets.region_names(layer).get(code, code)
                facts.append((widgets.layer_label(layer), f"{name} ({code})"))
        st.markdown("\n".join(f"- **{k}:** {widgets.md(v)}" for k, v in facts
                              if isinstance(v, str) and v))
        st.markdown("**Description**")
        description = r["description"]
        if isinstance(description, str) and description.strip():
            st.text(description)  # plain text: never markdown, never HTML
        else:
            st.caption("No description in the source.")
        if safe_link(r["website"]):
            st.link_button("Website ↗", r["website"])
        title, licence, attribution = exports.source_credit(r["source"])
        st.caption(f"Source: {widgets.md(title)}. Licence: {widgets.md(licence)}. "
                   f"Attribution: {widgets.md(attribution)}. "
                   f"Record id: {widgets.md(r['source_id'])}.")
    with right:
        if r["lat"] == r["lat"] and r["lon"] == r["lon"]:
            widgets.locator(f"d_map_{initiative_id}", points=rows, height=300, max_zoom=12)
        else:
            issue = r["location_issue"] if isinstance(r["location_issue"], str) else "unknown"
            st.caption(f"No usable location for this record ({widgets.md(issue)}).")


def main() -> None:
    df = data.initiatives()
    filters = state.current_filters()
    seed_from_url()
    st.title("Directory of initiatives")
    c1, c2, c3 = st.columns([2.5, 1, 0.7])
    query = c1.text_input("Search names and descriptions", key="d_q",
                          placeholder="e.g. repair, cooperativa, énergie (accents optional)")
    sort_by = c2.selectbox("Sort by", SORTS, key="d_sort")
    descending = c3.toggle("Descending", key="d_desc")
    search = Filters(text=query)  # the sidebar's accent-insensitive search, on top of it
    rows = apply(apply(df, filters), search)
    names = {lid: widgets.region_names(lid) for lid in EXPORT_REGION_LAYERS}
    table = initiatives_frame(rows, names, theme_labels(), data.source_titles())
    order = table.sort_values([sort_by, "Name"], ascending=[not descending, True],
                              na_position="last", kind="stable", key=_sort_key).index
    table, rows = table.loc[order].reset_index(drop=True), rows.iloc[order]
    st.session_state[IDS] = table["ID"].tolist()
    selected = st.session_state.get(SELECTED, "")
    st.session_state[URL_SEEN] = selected
    state.write_url(filters, None, extra={"dq": query.strip(), "id": selected})

    st.caption(f"{len(table):,} initiatives match the filters"
               + (f" and the search “{widgets.md(query, ECHO_CHARS)}”" if query.strip() else "")
               + ". Select a row to see it in full.")
    st.dataframe(table, hide_index=True, key="d_table", on_select=picked,
                 selection_mode="single-row", height=420,
                 column_config={"Website": st.column_config.LinkColumn("Website"),
                                "ID": st.column_config.TextColumn("ID", width="small")})
    extra = f'directory search: "{query.strip()}"' if query.strip() else ""
    prov = exports.about("Directory of SSE initiatives", filters, rows["source"].unique(),
                         extra_filter=extra)
    exports.initiatives_downloads("d_list", "directory", table, rows, prov)
    if selected:
        detail(df, selected, set(st.session_state[IDS]))


def _sort_key(column):
    """Sort text as people read it: case- and accent-insensitive, missing values last."""
    if pd.api.types.is_numeric_dtype(column):
        return column
    return fold_strings(column).where(column.notna())  # vectorised: not name by name


shell.run(main)
