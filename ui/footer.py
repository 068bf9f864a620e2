"""Sources, licences and attributions, read from the shipped provenance sidecars."""

from __future__ import annotations

import streamlit as st

from atlas.model import credits
from atlas.model.layers import LAYER_IDS
from atlas.model.sources import SOURCES
from atlas.text import inert_markdown
from ui import data


def render() -> None:
    st.divider()
    lines = [
        f"**{s.title}** — {s.producer}. Licence: [{s.license}]({s.license_url}). "
        f"Attribution: {s.attribution}."
        for s in SOURCES.values()
    ]
    geo_credits = sorted({credits.layer_credit(lid).attribution for lid in LAYER_IDS})
    with st.expander("Sources, licences and attributions", expanded=False):
        st.markdown("Initiatives:\n\n" + "\n".join(f"- {line}" for line in lines))
        for source in data.imported_sources():  # user text: shown as plain text, never markup
            where = source.where
            st.text(f"Imported ({where}): {source.title} — {source.rows:,} rows. "
                    f"Licence: {source.license}. Attribution: {source.attribution}.")
        st.markdown("Boundaries and population:\n\n"  # sidecar text: data, shown as written
                    + "\n".join(f"- {inert_markdown(credit)}" for credit in geo_credits))
        st.markdown("The territory (need, typologies, SSE policies and official figures):\n\n"
                    + "\n".join(f"- {inert_markdown(c.title)}. Licence: "
                                 f"{inert_markdown(c.licence)}. {inert_markdown(c.attribution)}"
                                 for c in credits.context_credits()))
        st.caption(
            "Every shipped file has a `.meta.yaml` sidecar (origin, licence, build steps, "
            "sha256) in `data/` and `geo/`. NUTS boundaries: non-commercial use under the "
            "EuroGeographics licence."
        )
    st.caption(inert_markdown(credits.data_line()))
    imported = data.imported_sources()
    if imported:  # credited on every page, as plain text (names and licences come from users)
        st.text("Imported data: " + " · ".join(f"{s.title} ({s.license})" for s in imported))
