"""SSE Atlas entry point: `streamlit run app.py`.

Pages live in `pages/`; each one draws the shared sidebar and footer through `ui.shell`.
"""

from __future__ import annotations

import streamlit as st

st.set_page_config(page_title="SSE Atlas", page_icon="🗺️", layout="wide")

PAGES = [
    st.Page("pages/map.py", title="Map", icon="🗺️", default=True),
    st.Page("pages/region.py", title="Region profile", icon="📍", url_path="region"),
    st.Page("pages/compare.py", title="Compare regions", icon="⚖️", url_path="compare"),
    st.Page("pages/need.py", title="Need and SSE", icon="🎯", url_path="need"),
    st.Page("pages/directory.py", title="Directory", icon="📇", url_path="directory"),
    st.Page("pages/stories.py", title="Stories", icon="🎬", url_path="stories"),
    st.Page("pages/data.py", title="Your data", icon="📥", url_path="data"),
]

st.navigation(PAGES).run()
