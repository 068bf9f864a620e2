"""What every page shares: data loaded, URL state seeded, sidebar, notices, footer, and no
traceback in front of a room.

Each page file calls `shell.run(main)`. The shell is called by the page, not by app.py,
because Streamlit's AppTest reruns a page script directly once a `pages/` folder exists;
this way a page is complete however it is run.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable

import streamlit as st
from streamlit.runtime.pages_manager import PagesManager
from streamlit.runtime.scriptrunner_utils.exceptions import ScriptControlException

from atlas.text import inert_markdown
from ui import data, footer, presenter, sidebar, state

log = logging.getLogger("sse_atlas")


def _leave_file_based_navigation() -> None:
    """Make a direct link such as /region?... run through app.py's navigation.

    With a `pages/` folder, a server process whose first visitor opens a page URL runs that
    page file directly (Streamlit's older file-based multipage mode): narrow layout, raw file
    names in the sidebar. Streamlit only leaves that mode when `st.navigation` runs, so the
    page switches the mode off and reruns; the rerun goes through app.py to the same page.
    """
    # AppTest resets the mode before every run and opens pages directly by design; the test
    # suite says so with ATLAS_APPTEST (browser tests' servers run without it).
    if PagesManager.uses_pages_directory and not os.environ.get("ATLAS_APPTEST"):
        PagesManager.uses_pages_directory = False
        st.rerun()


def run(main: Callable[[], None], prepare: Callable[[], None] | None = None) -> None:
    """Set up the shared parts, run the page body, and always draw the footer.

    `prepare` runs after the URL state is seeded and before any widget is drawn: the one
    place where a page may still set widget values (the story player applies a step there).
    """
    _leave_file_based_navigation()
    try:
        data.initiatives()
        state.start_session(data.facets(), data.region_codes())
    except (FileNotFoundError, ValueError) as exc:
        st.error(f"The atlas data could not be loaded: {inert_markdown(exc, 200)}")
        st.stop()
    if prepare is not None:
        prepare()
    sidebar.render()
    presenter.render_mode()  # ?present=1 / the sidebar toggle: big type, no chrome
    state.show_notices()
    try:
        main()
    except ScriptControlException:  # st.stop() / st.rerun() inside a page: not errors
        raise
    except Exception:  # never a traceback in front of a room
        log.exception("page failed")
        st.error(
            "Something went wrong while drawing this page. The error was logged; try another "
            "view or reset the filters."
        )
    footer.render()
