"""Presenter mode: a page legible from the back of a room on a 1280×720 screen share.

`?present=1` (or the sidebar toggle) hides the sidebar and Streamlit's header/toolbar, enlarges
type, switches maps to the high-contrast colour-blind-safe palette with a large legend, and
puts a title and subtitle on top of each view. A fixed "Exit presenter mode" button (or Esc)
brings the widgets back. Also here: the map of one saved view, drawn by the story player.
"""

from __future__ import annotations

import streamlit as st

from atlas.analysis.need import SHORT_CAVEAT
from atlas.model import credits
from atlas.model.classify import PALETTE, PALETTE_HIGH_CONTRAST, Y_WORDS
from atlas.model.context import INDICATORS
from atlas.model.filters import Filters, mask
from atlas.model.layers import LAYERS
from atlas.model.metrics import METRICS
from atlas.model.themes import theme_labels
from atlas.model.views import MapView, context_note
from atlas.present import offline
from atlas.present.mapview import (
    EUROPE_CENTER,
    EUROPE_ZOOM,
    base_map,
    bivariate_group,
    choropleth_group,
    esc,
    points_layer,
)
from atlas.text import inert_markdown
from ui import data, folium_patch, state

#: Hidden in presenter mode: sidebar (and its open button), header, toolbar, status, footer.
CSS = """
<style>
[data-testid="stSidebar"], [data-testid="stSidebarCollapsedControl"],
[data-testid="stExpandSidebarButton"], [data-testid="stSidebarNav"],
header[data-testid="stHeader"], [data-testid="stToolbar"], [data-testid="stDecoration"],
[data-testid="stStatusWidget"], #MainMenu, footer { display: none !important; }
[data-testid="stMainBlockContainer"], .block-container {
  padding: 0.6rem 1.4rem 0.6rem !important; max-width: 100% !important; }
[data-testid="stMain"] p, [data-testid="stMain"] li { font-size: 1.3rem; line-height: 1.4; }
[data-testid="stMain"] h1 { font-size: 2.3rem !important; padding: 0 0 0.1rem !important; }
[data-testid="stMain"] button p { font-size: 1.2rem; }
[data-testid="stMain"] [data-testid="stCaptionContainer"] p { font-size: 1.0rem; }
.atlas-subtitle { font-size: 1.4rem; color: #333; margin: 0 0 0.3rem; }
/* The Map page's layer/metric/classes row: views are prepared beforehand (or played as a
   story), so the map sits right under its title. */
[data-testid="stHorizontalBlock"]:has(.st-key-v_layer) { display: none !important; }
.st-key-present_exit { position: fixed; top: 0.5rem; right: 1rem; z-index: 999990;
  width: auto !important; }
</style>
"""
MAP_HEIGHT = {True: 470, False: 580}
#: Credits inside the live map (Leaflet's attribution control: always on screen with the map).
def on() -> bool:
    return state.presenting()


def _exit() -> None:
    st.session_state[state.PRESENT_KEY] = False


def render_mode() -> None:
    """Called by the shell on every page: the toggle, and the CSS + exit button when on."""
    st.sidebar.toggle(
        "Presenter mode",
        key=state.PRESENT_KEY,
        help="For a shared screen: large type, no sidebar, high-contrast colours. "
        "Leave with the button at the top right or Esc. URL: add present=1.",
    )
    if not on():
        return
    st.html(CSS)
    st.button("✕ Exit presenter mode", key="present_exit", on_click=_exit, shortcut="Esc",
              help="Back to the sidebar and widgets (Esc)")


def palette() -> tuple[str, ...]:
    """The map palette: high-contrast viridis steps when presenting (both colour-blind safe)."""
    return PALETTE_HIGH_CONTRAST if on() else PALETTE


def header(title: str, subtitle: str = "") -> None:
    """The big title and subtitle of a view, both plain text as written: they may come from a
    story file, a URL's filters or imported data."""
    st.title(inert_markdown(title), anchor=False)
    if subtitle:
        st.html(f'<p class="atlas-subtitle">{esc(subtitle)}</p>')


def view_titles(view: MapView, filters: Filters) -> dict[str, str]:
    """Title (what is coloured), legend title, unit and a default subtitle (where, which
    filters) of a map view, the same words on the live map, the PNG and the presenter header."""
    labels = theme_labels()
    metric = METRICS[view.metric]
    legend = metric.title(labels.get(view.theme, view.theme) if view.metric_theme else None)
    unit = metric.unit
    title = legend
    if view.bivariate:  # one line on a 1280×720 screen
        need = INDICATORS[view.need]
        short = "SSE initiatives per 100k" if view.metric == "per_100k" else legend
        title = f"{short} against {need.words}, {need.year}"
    parts = [LAYERS[view.layer].label]
    if not filters.is_empty():
        parts.append(filters.describe(labels))
    return {"title": title, "legend": legend, "unit": unit, "subtitle": " · ".join(parts)}


def regions_group(view: MapView, filters: Filters, table) -> tuple:
    """The regions' layer of a view and its summary: a choropleth of the metric, or with
    `need` the bivariate map of SSE presence against it (same words live, in stories, PNG)."""
    titles = view_titles(view, filters)
    shapes, indexed = data.shapes(view.layer), table.set_index("code")
    if not view.bivariate:
        return choropleth_group(
            shapes, indexed, view.metric, title=titles["legend"], unit=titles["unit"],
            scheme=view.scheme, percent=METRICS[view.metric].percent, selected=view.region,
            palette=palette(), large_legend=on(), note=view.legend_note)
    return bivariate_group(shapes, indexed, view.metric, view.need, selected=view.region,
                           large_legend=on(), **bivariate_options(view, filters))


#: The words of a bivariate map's cells that `render.bivariate_figure` takes as `words`.
BIVARIATE_WORDS = ("x_words", "y_words", "x_noun", "y_noun")


def bivariate_options(view: MapView, filters: Filters) -> dict:
    """Titles, axis phrases, cell words, orientation and note of a bivariate view: the keyword
    arguments of `mapview.bivariate_group`, which the PNG (`render.bivariate_figure`, with
    the BIVARIATE_WORDS as its `words`) takes too, so both say and class the same.

    A theme share reads 'low / medium / high share'; a need read from a low value
    (`need == "low"`: employment rate, GDP) is 'lower <indicator>' and classed reversed."""
    titles = view_titles(view, filters)
    need = INDICATORS[view.need]
    share = METRICS[view.metric].percent
    return dict(
        x_title=titles["legend"], y_title=need.title(), x_percent=share, y_unit=need.symbol,
        x_axis=("higher " if share else "more ") + titles["legend"].lower(),
        y_axis=("lower " if need.need == "low" else "higher ") + need.title().lower(),
        x_words=("low", "medium", "high") if share else ("few", "some", "many"),
        y_words=Y_WORDS, x_noun="share" if share else "initiatives", y_noun="need",
        y_reverse=need.need == "low",
        note=f"{SHORT_CAVEAT} {context_note(view.need)}")


def view_map(filters: Filters, view: MapView, table, *, key: str = "story_map") -> dict:
    """The map of one saved view for the story player: same layers as the map page, but it
    never reruns on pan/click and moves to the view's centre/zoom (Europe when none).

    Returns the choropleth summary (classes, labels, colours) for tests and take-aways.
    """
    from streamlit_folium import st_folium  # imported at run time so tests can replace it

    folium_patch.patch_streamlit_folium()
    choropleth, summary = regions_group(view, filters, table)
    groups = [choropleth]
    if view.points:
        df = data.initiatives()
        groups.append(points_layer(df, mask(df, filters), data.popups, data.source_titles()))
    m = offline.localise(base_map(view.basemap, data.outlines(), credits.map_attributions()))
    st_folium(
        m,
        key=f"{key}_{view.basemap}",
        feature_group_to_add=groups,
        center=view.center or EUROPE_CENTER,
        zoom=view.zoom if view.zoom is not None else EUROPE_ZOOM,
        returned_objects=[],
        use_container_width=True,
        height=MAP_HEIGHT[on()],
    )
    return summary
