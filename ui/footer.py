"""Sources, licences and attributions, read from the shipped provenance sidecars."""

from __future__ import annotations

import streamlit as st

from atlas.sources import SOURCES
from ui import data


def render() -> None:
    st.divider()
    lines = [
        f"**{s.title}** — {s.producer}. Licence: [{s.license}]({s.license_url}). "
        f"Attribution: {s.attribution}."
        for s in SOURCES.values()
    ]
    geo_credits = sorted(
        {m["attribution"] for m in data.sidecars() if m.get("file", "").endswith(".parquet")
         and m["file"] != "initiatives.parquet"}
    )
    with st.expander("Sources, licences and attributions", expanded=False):
        st.markdown("Initiatives:\n\n" + "\n".join(f"- {line}" for line in lines))
        st.markdown("Boundaries and population:\n\n"
                    + "\n".join(f"- {credit}" for credit in geo_credits))
        st.caption(
            "Every shipped file has a `.meta.yaml` sidecar (origin, licence, build steps, "
            "sha256) in `data/` and `geo/`. NUTS boundaries: non-commercial use under the "
            "EuroGeographics licence."
        )
    st.caption(
        "Data: SUSY / TransforMap (public domain) · Co-operatives UK open data (ODC-By 1.0) · "
        "© EuroGeographics for the administrative boundaries · Source: Eurostat – GISCO · "
        "Made with Natural Earth"
    )
