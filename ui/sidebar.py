"""The shared sidebar: the same filters on every page, a match counter and a reset button."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from atlas.analysis.indicators import theme_counts
from atlas.model.context import AREAS, TRAIT_BIT, TRAITS, TYPOLOGY_RULE
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
        "areas": df["area"].value_counts(),
        "traits": pd.Series({t: int((df["trait_bits"].to_numpy() & bit != 0).sum())
                             for t, bit in TRAIT_BIT.items()}),
    }


def _label(field: str, value: str) -> str:
    counts = _counts(data.version())[field]
    n = int(counts.get(value, 0))
    if field == "themes":
        name = "No theme" if value == NO_THEME else theme_labels().get(value, value)
    elif field == "sources":
        name = data.source_titles().get(value, value)
    elif field == "areas":
        name = AREAS.get(value, value).capitalize()
    elif field == "traits":
        name = TRAITS.get(value, value).capitalize()
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
    territory = sb.expander("Territory (Eurostat typologies)",
                            expanded=bool(st.session_state.get("f_area")
                                          or st.session_state.get("f_trait")))
    territory.multiselect("Urban or rural", allowed["areas"], key="f_area",
                          format_func=lambda v: _label("areas", v), placeholder="Any",
                          help=TYPOLOGY_RULE)
    territory.multiselect("Coastal, mountain, island…", allowed["traits"], key="f_trait",
                          format_func=lambda v: _label("traits", v), placeholder="Any",
                          help="An initiative matches if its NUTS 3 region has any chosen "
                          "trait. " + TYPOLOGY_RULE)
    filters = current_filters()
    matched = int(mask(df, filters).sum())
    sb.markdown(f"**{matched:,} of {len(df):,} initiatives match**")
    sb.button("Reset filters", on_click=reset_filters, disabled=filters.is_empty(),
              use_container_width=True)
    return filters, matched
