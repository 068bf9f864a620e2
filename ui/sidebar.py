"""The shared sidebar: the same filters on every page, a match counter and a reset button."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from atlas.analysis.indicators import theme_counts
from atlas.model.filters import Filters, mask
from atlas.model.themes import NO_THEME, theme_labels
from ui import data
from ui.state import current_filters, reset_filters


@st.cache_resource(show_spinner=False, max_entries=32)
def _counts(version: tuple) -> dict[str, pd.Series]:
    df = data.initiatives()
    return {
        "themes": theme_counts(df),
        "legal_forms": df["legal_form"].value_counts(),
        "org_structures": df["org_structure"].value_counts(),
        "countries": df["country"].value_counts(),
        "sources": df["source"].value_counts(),
    }


def _label(field: str, value: str) -> str:
    counts = _counts(data.version())[field]
    n = int(counts.get(value, 0))
    if field == "themes":
        name = "No theme" if value == NO_THEME else theme_labels().get(value, value)
    elif field == "sources":
        name = data.source_titles().get(value, value)
    else:
        name = value
    return f"{name} ({n:,})"


def render() -> tuple[Filters, int]:
    """Draw the filters; return the active Filters and how many initiatives match."""
    df = data.initiatives()
    allowed = data.facets()
    sb = st.sidebar
    sb.header("Filters")
    sb.multiselect(
        "Themes",
        allowed["themes"],
        key="f_themes",
        format_func=lambda v: _label("themes", v),
        help="Round-table themes first. An initiative matches if it has any chosen theme.",
        placeholder="All themes",
    )
    sb.text_input("Search name, description, place", key="f_text", placeholder="e.g. repair")
    sb.multiselect("Country", allowed["countries"], key="f_country",
                   format_func=lambda v: _label("countries", v), placeholder="All countries")
    sb.multiselect("Legal form", allowed["legal_forms"], key="f_legal",
                   format_func=lambda v: _label("legal_forms", v), placeholder="Any legal form")
    sb.multiselect("Organisational structure", allowed["org_structures"], key="f_org",
                   format_func=lambda v: _label("org_structures", v), placeholder="Any structure")
    sb.multiselect("Source", allowed["sources"], key="f_source",
                   format_func=lambda v: _label("sources", v), placeholder="All sources")
    filters = current_filters()
    matched = int(mask(df, filters).sum())
    sb.markdown(f"**{matched:,} of {len(df):,} initiatives match**")
    sb.button("Reset filters", on_click=reset_filters, disabled=filters.is_empty(),
              use_container_width=True)
    return filters, matched
