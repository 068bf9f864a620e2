"""Directory: every initiative matching the filters in a searchable, sortable table, one page
at a time, with a detail view (description, website, source and licence, location).
URL: `/directory?dq=repair&dsort=Country&ddesc=1&dpage=3&dsize=100&id=…`.

At any size only the visible page is built and sent: the order comes from
`data.directory_order` (sorted once per server), the filters are a mask, the detail is a
lookup by id, and the downloads write every matching row block by block when clicked.
"""

from __future__ import annotations

import streamlit as st

from atlas.analysis.directory import PAGE_SIZES, SORTS, matching, page_bounds
from atlas.model.filters import Filters, mask
from atlas.model.layers import DETAIL_LAYERS, EXPORT_REGION_LAYERS
from atlas.model.themes import theme_labels
from atlas.present.exports import initiatives_blocks, initiatives_frame
from atlas.present.mapview import safe_link
from atlas.text import ECHO_CHARS
from ui import data, exports, shell, state, widgets

SELECTED = "_directory_id"  # id of the initiative shown in detail; survives page changes
IDS = "_directory_ids"  # ids of the table rows as last drawn, for the selection callback
URL_SEEN = "_directory_url_id"  # the `id` URL value last adopted or written
ASKED = "_directory_asked"  # filters, search, sort and page size the page number belongs to
DEFAULT_SIZE = 50


def _int_param(value: str, default: int) -> int:
    return int(value) if value.isdigit() and len(value) < 10 else default


def seed_from_url() -> None:
    """On arrival with `?dq=`, `?dsort=`, `?dpage=`… or `?id=` (a shared link), take them;
    otherwise keep the session's."""
    params = st.query_params
    seed = st.session_state
    if "d_q" not in seed:
        seed["d_q"] = params.get("dq", "")[:200]
    if "d_sort" not in seed:
        seed["d_sort"] = params.get("dsort", "") if params.get("dsort", "") in SORTS else "Name"
    if "d_desc" not in seed:
        seed["d_desc"] = params.get("ddesc", "") == "1"
    if "d_size" not in seed:
        size = _int_param(params.get("dsize", ""), DEFAULT_SIZE)
        seed["d_size"] = size if size in PAGE_SIZES else DEFAULT_SIZE
    if "d_page" not in seed:
        seed["d_page"] = max(1, _int_param(params.get("dpage", ""), 1))
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


def turn(step: int) -> None:
    st.session_state["d_page"] = max(1, int(st.session_state.get("d_page", 1)) + step)


def detail(df, initiative_id: str, keep) -> None:
    """One initiative in full, found by id (`data.position_of`). Every text from data goes
    through md() or a table cell."""
    position = data.position_of(initiative_id)
    if position is None:
        st.warning(f"There is no initiative with id “{widgets.md(initiative_id, ECHO_CHARS)}”.",
                   icon="⚠️")
        return
    rows = df.iloc[[position]]
    r = rows.iloc[0]
    st.divider()
    head, button = st.columns([5, 1])
    head.subheader(widgets.md(r["name"]))
    button.button("Close", on_click=close, key="d_close", width="stretch")
    if not keep[position]:
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
    sort_by = c2.selectbox("Sort by", SORTS, key="d_sort",
                           help="Sorts every matching initiative, not only this page")
    descending = c3.toggle("Descending", key="d_desc")
    # The sidebar's filters, then this page's accent-insensitive search on top of them.
    keep = mask(df, filters) & mask(df, Filters(text=query))
    hits = matching(data.directory_order(sort_by, descending), keep)
    size = st.session_state["d_size"]
    asked = (tuple(sorted(filters.to_params().items())), query.strip(), sort_by, descending,
             size)
    if st.session_state.get(ASKED, asked) != asked:  # a new question starts at page 1
        st.session_state["d_page"] = 1
    st.session_state[ASKED] = asked
    page, first, stop, pages = page_bounds(len(hits), st.session_state["d_page"], size)
    st.session_state["d_page"] = page
    names = {lid: widgets.region_names(lid) for lid in EXPORT_REGION_LAYERS}
    labels, titles = theme_labels(), data.source_titles()
    table = initiatives_frame(df.iloc[hits[first:stop]], names, labels, titles)
    st.session_state[IDS] = table["ID"].tolist()
    selected = st.session_state.get(SELECTED, "")
    st.session_state[URL_SEEN] = selected
    state.write_url(filters, None, extra={
        "dq": query.strip(), "id": selected, "dsort": "" if sort_by == "Name" else sort_by,
        "ddesc": "1" if descending else "", "dpage": "" if page == 1 else str(page),
        "dsize": "" if size == DEFAULT_SIZE else str(size)})

    shown = f"rows {first + 1:,}–{stop:,}" if len(hits) else "no rows"
    st.caption(f"{len(hits):,} initiatives match the filters"
               + (f" and the search “{widgets.md(query, ECHO_CHARS)}”" if query.strip() else "")
               + f". Showing {shown}, sorted by {sort_by.lower()}"
               + (" (descending)" if descending else "") + ". Select a row to see it in full.")
    st.dataframe(table, hide_index=True, key="d_table", on_select=picked,
                 selection_mode="single-row", height=min(420, 38 + 35 * max(1, len(table))),
                 column_config={"Website": st.column_config.LinkColumn("Website"),
                                "ID": st.column_config.TextColumn("ID", width="small")})
    n1, n2, n3, n4, n5 = st.columns([1, 1, 1, 1.2, 3], vertical_alignment="bottom")
    n1.button("‹ Previous", key="d_prev", on_click=turn, args=(-1,), disabled=page <= 1,
              width="stretch")
    n2.number_input("Page", min_value=1, max_value=pages, step=1, key="d_page")
    n3.button("Next ›", key="d_next", on_click=turn, args=(1,), disabled=page >= pages,
              width="stretch")
    n4.selectbox("Rows per page", PAGE_SIZES, key="d_size")
    n5.caption(f"Page {page:,} of {pages:,}. Clicking a column header sorts this page only; "
               "“Sort by” sorts them all.")
    extra = f'directory search: "{query.strip()}"' if query.strip() else ""
    prov = exports.about("Directory of SSE initiatives", filters,
                         df["source"][keep].unique(), extra_filter=extra)
    exports.initiatives_downloads("d_list", "directory",
                                  initiatives_blocks(df, hits, names, labels, titles), prov)
    if selected:
        detail(df, selected, keep)


shell.run(main)
