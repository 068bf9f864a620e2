"""SSE Atlas entry point: `streamlit run app.py`.

Shared sidebar and URL state are set up here, once per run, before the chosen page runs.
"""

from __future__ import annotations

import logging

import streamlit as st

st.set_page_config(page_title="SSE Atlas", page_icon="🗺️", layout="wide")

from ui import data, footer, sidebar, state  # noqa: E402  (after set_page_config)

log = logging.getLogger("sse_atlas")

PAGES = [
    st.Page("pages/map.py", title="Map", icon="🗺️", default=True),
]


def main() -> None:
    try:
        df = data.initiatives()
        state.start_session(data.facets(), data.region_codes())
    except (FileNotFoundError, ValueError) as exc:
        st.error(f"The atlas data could not be loaded: {exc}")
        st.stop()
    page = st.navigation(PAGES)
    st.session_state["_atlas_total"] = len(df)
    sidebar.render()
    state.show_notices()
    try:
        page.run()
    except Exception:  # never a traceback in front of a room
        log.exception("page %s failed", page.title)
        st.error(
            "Something went wrong while drawing this page. The error was logged; try another "
            "view or reset the filters."
        )
    footer.render()


main()
