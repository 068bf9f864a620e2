"""Take-away downloads: the current map as a PNG (1920×1080, 1280×720) and the selected
region's two-page PDF brief. Files are drawn only when a button is clicked (callable `data`, run
by Streamlit off the script thread), so the buttons cost nothing on a rerun.

Map page: `takeaways.map_downloads(df, filters, view, table)`.
Region page: `takeaways.region_downloads(layer_id, code, filters)`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import pandas as pd
import streamlit as st

from atlas.analysis.profile import build_profile
from atlas.model import credits
from atlas.model.filters import Filters
from atlas.model.layers import LAYERS
from atlas.model.metrics import METRICS
from atlas.model.themes import theme_labels
from atlas.model.views import MapView
from atlas.present import render
from atlas.store import stories
from ui import data, exports, presenter


def _slug(*parts: str) -> str:
    return stories.slugify("-".join(p for p in parts if p))


def imported_credits() -> list[tuple[str, str, str]]:
    """(title, licence, attribution) of each imported dataset, as the exports cite it: their
    initiatives are in the figures, so the take-aways credit them too."""
    return [exports.source_credit(s.id) for s in data.imported_sources()]


def map_png_maker(filters: Filters, view: MapView, table: pd.DataFrame, size: str,
                  title: str = "", subtitle: str = "") -> Callable[[], bytes]:
    """A no-argument function drawing the PNG of this view (inputs captured now, on the
    script thread; drawing happens later, when the button is clicked). A bivariate view
    (`view.need`) draws the square of SSE presence against need with the live map's titles,
    axis phrases, words and orientation (`presenter.bivariate_options`)."""
    titles = presenter.view_titles(view, filters)
    regions, outlines = data.layer(view.layer), data.layer("countries")
    indexed = table.set_index("code")
    values = indexed[view.metric]
    palette = presenter.palette()
    note = LAYERS[view.layer].note
    attribution = credits.attribution_lines(view.layer) + [
        f"{name}. Licence: {licence}. Attribution: {credit}"
        for name, licence, credit in imported_credits()
    ]
    if view.bivariate:
        options = presenter.bivariate_options(view, filters)
        words = {k: options.pop(k) for k in presenter.BIVARIATE_WORDS}
        need = indexed[view.need]

        def make_bivariate() -> bytes:
            return render.bivariate_png(
                regions, values, need,
                title=title or titles["title"],
                subtitle=subtitle or titles["subtitle"],
                attribution=attribution,
                words=words,
                selected=view.region,
                outlines=outlines,
                center=view.center,
                zoom=view.zoom,
                size=size,
                **options,
            )

        return make_bivariate

    def make() -> bytes:
        return render.map_png(
            regions,
            values,
            title=title or titles["title"],
            subtitle=subtitle or titles["subtitle"],
            legend_title=titles["legend"],
            unit=titles["unit"],
            scheme=view.scheme,
            percent=METRICS[view.metric].percent,
            palette=palette,
            selected=view.region,
            outlines=outlines,
            center=view.center,
            zoom=view.zoom,
            attribution=attribution,
            note=note,
            size=size,
        )

    return make


def brief_maker(layer_id: str, code: str, filters: Filters) -> Callable[[], bytes]:
    """A no-argument function drawing the region brief PDF."""
    df, table = data.initiatives(), data.layer_table(layer_id)
    countries = data.layer_table("countries")
    regions, outlines = data.layer(layer_id), data.layer("countries")
    link = stories.permalink(stories.View(title="", map=MapView(layer=layer_id, region=code),
                                          filters=filters))
    imported, titles = imported_credits(), data.source_titles()
    policies, figures, degurba = data.policies(), data.official_figures(), data.degurba()

    def make() -> bytes:
        profile = build_profile(df, table, layer_id, code, filters, countries, titles,
                                policies=policies, figures=figures, degurba=degurba)
        return render.region_brief_pdf(
            profile,
            regions=regions,
            outlines=outlines,
            filters_text=filters.describe(theme_labels()),
            permalink=link,
            imported=imported,
        )

    return make


def region_downloads(layer_id: str, code: str, filters: Filters, key: str = "region") -> None:
    """The 'Region brief (PDF)' button for a region of a layer (nothing for an unknown code)."""
    if not code or code not in data.region_codes().get(layer_id, set()):
        return
    st.download_button(
        "Region brief (PDF, two pages)",
        data=brief_maker(layer_id, code, filters),
        file_name=f"sse-atlas-brief-{_slug(code)}-{dt.date.today().isoformat()}.pdf",
        mime="application/pdf",
        key=f"{key}_brief_pdf",
        on_click="ignore",
        icon="📄",
        help="Headline figures, theme mix, locator map, sources and licences; then the "
        "territory: need indicators, policies in force, official SSE figures",
    )


def map_downloads(df: pd.DataFrame, filters: Filters, view: MapView, table: pd.DataFrame,
                  key: str = "map", title: str = "", subtitle: str = "") -> None:
    """Take-aways of the current map: PNG at both sizes, and the brief of the selected region."""
    del df  # same signature as the page's other helpers; the table already holds the figures
    with st.expander("Take-aways: map image (PNG) and region brief (PDF)"):
        cols = st.columns(3)
        for col, size in zip(cols, render.SIZES, strict=False):
            col.download_button(
                f"Map PNG {size.replace('x', '×')}",
                data=map_png_maker(filters, view, table, size, title, subtitle),
                file_name=f"sse-atlas-{_slug(view.layer, view.metric)}-"
                f"{dt.date.today().isoformat()}-{size}.png",
                mime="image/png",
                key=f"{key}_png_{size}",
                on_click="ignore",
                icon="🖼️",
                width="stretch",
            )
        with cols[2]:
            if view.region:
                region_downloads(view.layer, view.region, filters, key=key)
            else:
                st.caption("Select a region for its PDF brief.")
