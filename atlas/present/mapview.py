"""Folium map pieces for the atlas: a fixed base map and the layers that change with the view.

The base map (background, attribution) stays identical across reruns, so streamlit-folium keeps
its component and the user's pan/zoom; the choropleth, legend and points are FeatureGroups sent
through `feature_group_to_add`, which the component swaps in place.
Every text that comes from data is HTML-escaped here before it reaches a popup or tooltip.

Speed (issue 3): every element that carries data renders its script once, without branca's
second Jinja pass (`_ScriptElement`), and ships its data as one JSON text made once: region
geometry is serialised once per layer (`MapShapes`, cached by the pages), popups travel as
escaped parts that the browser joins when a popup opens, and the base map loads only Leaflet,
MarkerCluster and the atlas's map script (not folium's jQuery, Bootstrap and icon fonts, which
nothing here uses).

The JavaScript of every map piece lives in `static/atlas-map.js` (one function per piece:
`atlasRegionLayer`, `atlasLegend`, `atlasPointLayer`...); each element's script here is only
the call, with its data as HTML-safe JSON (`js_data` or Jinja's `tojson`). The file is served at
`offline.MAP_JS`, linked by the base map (streamlit-folium loads a map's assets only when the
component is created, before any swapped-in layer) and by every element (standalone pages).
"""

from __future__ import annotations

import html
import math
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

import folium
import numpy as np
import pandas as pd
import shapely
from branca.element import CssLink, Element, JavascriptLink, MacroElement
from folium.elements import JSCSSMixin
from folium.plugins import MarkerCluster
from jinja2 import Template
from jinja2.utils import htmlsafe_json_dumps

from atlas.analysis.aggregate import Cells, point_grid
from atlas.model.classify import (
    BIVARIATE_NO_DATA_COLOUR,
    BIVARIATE_PALETTE,
    NO_DATA_COLOUR,
    PALETTE,
    X_WORDS,
    Y_WORDS,
    bivariate_classes,
    bivariate_corners,
    bivariate_labels,
    bivariate_words,
    classify,
    colours,
    fmt_number,
    fmt_percent,
    ink,
    reversed_labels,
    with_unit,
)
from atlas.model.classify import legend_labels as class_labels
from atlas.model.context import flag_column, flag_words, missing_column
from atlas.model.sources import short_titles
from atlas.model.themes import theme_labels as all_theme_labels
from atlas.present.offline import MAP_JS, MAP_JS_NAME

EUROPE_CENTER = (52.0, 10.0)
EUROPE_ZOOM = 4
MAX_ZOOM = 18
TILES_URL = "https://tile.openstreetmap.org/{z}/{x}/{y}.png"
TILES_ATTRIBUTION = "© OpenStreetMap contributors"


def esc(value: object) -> str:
    """HTML-escaped text ('' for missing values): the one escape used for map text."""
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return ""
    return html.escape(str(value), quote=True)


def safe_link(url: object, label: str = "website") -> str:
    """An <a> for an http(s) URL, escaped, opening in a new tab; '' for anything else."""
    href = safe_url(url)
    if not href:
        return ""
    return f'<a href="{href}" target="_blank" rel="noopener noreferrer nofollow">{esc(label)}</a>'



def js_data(value: object) -> str:
    """JSON that is safe inside a <script> of an exported HTML page (`<`, `>`, `&`, `'`
    escaped), made once per element instead of once per render."""
    return str(htmlsafe_json_dumps(value))


class _Text(Element):
    """Script text already rendered. branca wraps each rendered macro in an `Element`, whose
    constructor compiles it as a Jinja template again: about a second for 4 MB of map data."""

    def __init__(self, text: str):
        super().__init__()
        self.text = text

    def render(self, **kwargs) -> str:
        return self.text


#: The link to the map's functions (static/atlas-map.js), as folium's `default_js` pairs.
ATLAS_MAP_JS = [(MAP_JS_NAME, MAP_JS)]


class _ScriptElement(JSCSSMixin, MacroElement):
    """A MacroElement with only a `script` macro, rendered once (see `_Text`).

    The macro is one call of a function of `static/atlas-map.js`, which the element links
    (`default_js`; the figure keeps one link per name, streamlit-folium one per URL).
    """

    default_js = ATLAS_MAP_JS

    def render(self, **kwargs) -> None:
        figure = self.get_root()
        for name, url in self.default_js:
            figure.header.add_child(JavascriptLink(url), name=name)
        for name, url in self.default_css:
            figure.header.add_child(CssLink(url), name=name)
        script = self._template.module.__dict__["script"]
        figure.script.add_child(_Text(str(script(self, kwargs))), name=self.get_name())
        for child in self._children.values():
            child.render(**kwargs)


@dataclass(frozen=True)
class MapShapes:
    """A regional layer ready for the map: codes and names in feature order, and the
    geometries as one JSON array text (numbers only), serialised once per layer."""

    codes: tuple[str, ...]
    names: tuple[str, ...]
    geometry_json: str

    def __len__(self) -> int:
        return len(self.codes)


def map_shapes(gdf) -> MapShapes:
    """GeoDataFrame with `code`, `name` and geometry → `MapShapes`."""
    geometries = shapely.to_geojson(np.asarray(gdf.geometry.values, dtype=object))
    return MapShapes(
        codes=tuple(gdf["code"].astype(str)),
        names=tuple(gdf["name"].astype(str)),
        geometry_json="[" + ",".join("null" if g is None else g for g in geometries) + "]",
    )


class _Attribution(_ScriptElement):
    """Adds source attributions to Leaflet's attribution control (text escaped here)."""

    _template = Template(
        """{% macro script(this, kwargs) %}
        atlasAttribution({{ this._parent.get_name() }}, {{ this.texts|tojson }});
        {% endmacro %}"""
    )

    def __init__(self, texts: Sequence[str]):
        super().__init__()
        self._name = "Attribution"
        self.texts = [esc(t) for t in texts]


class _TileFallback(_ScriptElement):
    """Offline outlines in a pane under the tiles, shown as soon as one tile fails to load.

    At a venue without internet every tile errors, so the map falls back to the same outline
    background as the offline basemap instead of a blank grey box. The script is fixed (it
    does not depend on the view), so the base map stays identical across reruns.
    """

    _template = Template(
        """{% macro script(this, kwargs) %}
        atlasTileFallback({{ this._parent.get_name() }}, {{ this.tiles.get_name() }},
            {{ this.outlines.geometry_json }});
        {% endmacro %}"""
    )

    def __init__(self, tiles: folium.TileLayer, outlines: MapShapes):
        super().__init__()
        self._name = "TileFallback"
        self.tiles = tiles
        self.outlines = outlines


class _ClusterAssets(JSCSSMixin, MacroElement):
    """Loads MarkerCluster's JS/CSS with the base map and draws nothing.

    streamlit-folium loads a map's assets once, when the component is created; a points layer
    swapped in later (a story step, the "Show initiatives" toggle) would find no
    L.markerClusterGroup and leave a blank map. With the assets in the fixed base map, the
    links never change across reruns.
    """

    default_js = MarkerCluster.default_js
    default_css = MarkerCluster.default_css
    _template = Template("")

    def __init__(self):
        super().__init__()
        self._name = "ClusterAssets"


class _Outlines(_ScriptElement):
    """The offline background: country outlines, drawn under everything, not clickable."""

    _template = Template(
        """{% macro script(this, kwargs) %}
        atlasOutlines({{ this._parent.get_name() }}, {{ this.shapes.geometry_json }});
        {% endmacro %}"""
    )

    def __init__(self, shapes: MapShapes):
        super().__init__()
        self._name = "Outlines"
        self.shapes = shapes


# folium.Map links jQuery, Bootstrap, awesome-markers and Font Awesome for its own markers and
# popups; nothing on the atlas's maps uses them, and the map iframe loads its scripts one after
# another, so the base map keeps Leaflet only, plus static/atlas-map.js (`ATLAS_MAP_JS`), the
# functions its elements call (MarkerCluster comes with `_ClusterAssets`).
LEAFLET_JS = [pair for pair in folium.Map.default_js if pair[0] == "leaflet"]
LEAFLET_CSS = [pair for pair in folium.Map.default_css if pair[0] == "leaflet_css"]


def base_map(
    basemap: str,
    outlines: MapShapes | None,
    attributions: Sequence[str],
    center: tuple[float, float] = EUROPE_CENTER,
    zoom: int = EUROPE_ZOOM,
) -> folium.Map:
    """The fixed part of the map: background (tiles or offline outlines) and attributions.

    With `tiles`, pass `outlines` too: they become the background if tiles cannot load.
    """
    m = folium.Map(
        location=list(center),
        zoom_start=zoom,
        tiles=None,
        maxZoom=MAX_ZOOM,  # needed by MarkerCluster when there is no tile layer
        min_zoom=2,
        control_scale=True,
        prefer_canvas=False,
        # Leaflet's keyboard handler focuses the map on mousedown, which scrolls the page
        # when the map is partly off screen, so the mouseup lands elsewhere and the click on
        # a region is lost. Arrow keys are also needed by the story player.
        keyboard=False,
    )
    m.default_js = [*LEAFLET_JS, *ATLAS_MAP_JS]  # layers swapped in later call atlas-map.js
    m.default_css = list(LEAFLET_CSS)
    if basemap == "tiles":
        tiles = folium.TileLayer(
            tiles=TILES_URL, attr=TILES_ATTRIBUTION, name="OpenStreetMap", max_zoom=MAX_ZOOM
        )
        tiles.add_to(m)
        if outlines is not None:  # no internet at the venue: outlines appear on tileerror
            _TileFallback(tiles, outlines).add_to(m)
    elif outlines is not None:
        _Outlines(outlines).add_to(m)
    _Attribution(attributions).add_to(m)
    _ClusterAssets().add_to(m)
    return m


class _RegionLayer(_ScriptElement):
    """Regions styled from per-feature properties; escaped tooltips; click-able.

    Geometry comes as the layer's cached JSON array and properties as a parallel array, so a
    rerun only serialises the properties. A click reports the feature with its `code`.
    """

    _template = Template(
        """{% macro script(this, kwargs) %}
        var {{ this.get_name() }} = atlasRegionLayer({{ this._parent.get_name() }},
            {{ this.shapes.geometry_json }}, {{ this.props_json }}, {{ this.opacity|tojson }});
        {% endmacro %}"""
    )

    def __init__(self, shapes: MapShapes, props: list[dict], opacity: float = 0.8):
        super().__init__()
        self._name = "RegionLayer"
        self.shapes = shapes
        self.props = props
        self.props_json = js_data(props)
        self.opacity = opacity


class _Legend(_ScriptElement):
    """A Leaflet control that lives and dies with its FeatureGroup (so swaps replace it)."""

    _template = Template(
        """{% macro script(this, kwargs) %}
        atlasLegend({{ this._parent.get_name() }}, {{ this.html|tojson }});
        {% endmacro %}"""
    )

    def __init__(self, html_text: str):
        super().__init__()
        self._name = "Legend"
        self.html = html_text


def legend_html(
    title: str,
    unit: str,
    labels: Sequence[str],
    fills: Sequence[str],
    no_data: int,
    note: str = "",
    large: bool = False,
) -> str:
    """Legend markup: metric title, unit, one row per class, and the 'no data' row."""
    size = "16px" if large else "12px"
    swatch = "22px" if large else "14px"
    rows = [
        f'<div class="atlas-legend-row"><span style="display:inline-block;width:{swatch};'
        f'height:{swatch};background:{fill};border:1px solid #999;margin-right:6px;'
        f'vertical-align:middle"></span>{esc(label)}</div>'
        for label, fill in zip(labels, fills, strict=True)
    ]
    rows.append(
        f'<div class="atlas-legend-row"><span style="display:inline-block;width:{swatch};'
        f"height:{swatch};background:{NO_DATA_COLOUR};border:1px solid #999;margin-right:6px;"
        f'vertical-align:middle"></span>no data ({no_data} regions)</div>'
    )
    note_html = f'<div style="margin-top:4px;color:#555">{esc(note)}</div>' if note else ""
    return (
        f'<div style="background:rgba(255,255,255,0.92);padding:8px 10px;border-radius:4px;'
        f'font:{size}/1.35 sans-serif;box-shadow:0 1px 4px rgba(0,0,0,.3);max-width:280px">'
        f"<b>{esc(title)}</b><br><span style=\"color:#555\">{esc(unit)}</span>"
        + "".join(rows)
        + note_html
        + "</div>"
    )


def _context_notes(table: pd.DataFrame, value_column: str,
                   codes: Sequence[str]) -> tuple[list[str], list[str]]:
    """A context indicator's flag and reason for no data per region ('' when none)."""
    blank = [""] * len(codes)
    flags = table[flag_column(value_column)].reindex(list(codes)).fillna("").astype(str).tolist() \
        if flag_column(value_column) in table else blank
    why = table[missing_column(value_column)].reindex(list(codes)).fillna("").astype(str) \
        .tolist() if missing_column(value_column) in table else blank
    return flags, why


def choropleth_group(
    shapes: MapShapes,
    table: pd.DataFrame,
    value_column: str,
    *,
    title: str,
    unit: str,
    scheme: str,
    percent: bool = False,
    selected: str = "",
    palette: tuple[str, ...] = PALETTE,
    large_legend: bool = False,
    note: str = "",
) -> tuple[folium.FeatureGroup, dict]:
    """Regions coloured by `table[value_column]` (indexed by region code) plus the legend.

    Returns the group and a summary (classes, labels, colours) that tests and pages can show.
    """
    values = table[value_column].reindex(list(shapes.codes))
    classes = classify(values.reset_index(drop=True), scheme)
    fills = colours(classes, palette)
    fmt = fmt_percent if percent else fmt_number
    label = esc(title)
    flags, why = _context_notes(table, value_column, shapes.codes)
    props = [
        {
            "code": code,
            "fill": fills[cls] if cls >= 0 else NO_DATA_COLOUR,
            "tip": f"<b>{esc(name)}</b> ({esc(code)})<br>{label}: <b>{esc(fmt(value))}</b>"
            + (f" <i>({esc(flag_words(flag))})</i>" if flag else "")
            + (f"<br><i>{esc(reason)}</i>" if reason and value != value else ""),
            "selected": code == selected,
        }
        for code, name, value, cls, flag, reason in zip(
            shapes.codes, shapes.names, values, classes.index, flags, why, strict=True
        )
    ]
    flagged = Counter(f for f in flags if f)
    if flagged:
        note = (note + " " if note else "") + "Flagged values: " + "; ".join(
            f"{flag_words(f)} ({n} regions)" for f, n in flagged.most_common())
    group = folium.FeatureGroup(name="regions", control=False)
    _RegionLayer(shapes, props).add_to(group)
    integer = not percent and bool(np.all(np.mod(values.dropna(), 1) == 0))
    labels = class_labels(classes, percent=percent, integer=integer)
    no_data = int((classes.index < 0).sum())
    _Legend(legend_html(title, unit, labels, fills, no_data, note, large_legend)).add_to(group)
    return group, {"labels": labels, "colours": fills, "no_data": no_data, "k": classes.k}


def bivariate_legend_html(
    x_title: str,
    y_title: str,
    counts: Sequence[int],
    palette: Sequence[str],
    x_labels: Sequence[str],
    y_labels: Sequence[str],
    words: Sequence[str],
    no_data: int,
    note: str = "",
    large: bool = False,
    *,
    cols: Sequence[int] | None = None,
    rows: Sequence[int] | None = None,
    no_data_colour: str = BIVARIATE_NO_DATA_COLOUR,
) -> str:
    """The square legend of a bivariate map, readable on a projector.

    `counts`, `palette` and `words` are per cell of the k × k grid (`row * k + col`); the
    square shows the classes there are (`cols` / `rows`: grid column of each x label, grid
    row of each y label; default all), need rows from high (top) to low. Axis titles get their
    arrows here ('more initiatives per 100k →', '↑ higher youth unemployment'); each swatch
    shows its number of regions and says its words and ranges in a `title` tooltip; the four
    corners are spelled out under the square, then the 'no data' row.
    """
    k = math.isqrt(len(counts))
    if k * k != len(counts) or len(palette) != len(counts) or len(words) != len(counts):
        raise ValueError("counts, palette and words need one entry per cell of a square grid")
    cols = list(range(len(x_labels))) if cols is None else list(cols)
    rows = list(range(len(y_labels))) if rows is None else list(rows)
    size = "16px" if large else "12px"
    small = "14px" if large else "10px"
    cell = "46px" if large else "30px"
    swatch = "22px" if large else "14px"

    def box(fill: str) -> str:
        return (f'<span style="display:inline-block;width:{swatch};height:{swatch};'
                f"background:{esc(fill)};border:1px solid #999;margin-right:6px;"
                'vertical-align:middle"></span>')

    grid = []
    for r, y_label in reversed(list(zip(rows, y_labels, strict=True))):
        tds = [f'<td style="text-align:right;padding-right:6px;white-space:nowrap;'
               f'font-size:{size}">{esc(y_label)}</td>']
        for c, x_label in zip(cols, x_labels, strict=True):
            i = r * k + c
            tip = f"{words[i]}: {counts[i]} regions ({x_label}; {y_label})"
            tds.append(
                f'<td class="atlas-bivariate-cell" title="{esc(tip)}" style="width:{cell};'
                f"height:{cell};background:{esc(palette[i])};color:{ink(palette[i])};"
                f'text-align:center;font-size:{small};border:1px solid #fff">{counts[i]}</td>')
        grid.append("<tr>" + "".join(tds) + "</tr>")
    x_row = "".join(f'<td style="text-align:center;font-size:{small};padding-top:2px">'
                    f"{esc(label)}</td>" for label in x_labels)
    grid.append(f"<tr><td></td>{x_row}</tr>")
    corners = "".join(
        f'<div class="atlas-legend-row" style="margin:2px 0">{box(palette[c])}{esc(text)}</div>'
        for c, text in bivariate_corners(words, cols, rows, k))
    note_html = f'<div style="margin-top:4px;color:#555">{esc(note)}</div>' if note else ""
    return (
        f'<div class="atlas-bivariate" style="background:rgba(255,255,255,0.92);'
        f"padding:8px 10px;border-radius:4px;font:{size}/1.35 sans-serif;"
        f'box-shadow:0 1px 4px rgba(0,0,0,.3);max-width:{"420px" if large else "300px"}">'
        f"<div><b>↑ {esc(y_title)}</b></div>"
        f'<table style="border-collapse:collapse;margin:2px 0">{"".join(grid)}</table>'
        f'<div style="text-align:right"><b>{esc(x_title)} →</b></div>'
        f'<div style="margin-top:4px">{corners}</div>'
        f'<div class="atlas-legend-row" style="margin:2px 0">{box(no_data_colour)}'
        f"no data ({no_data} regions)</div>"
        + note_html
        + "</div>"
    )


def bivariate_group(
    shapes: MapShapes,
    table: pd.DataFrame,
    x_column: str,
    y_column: str,
    *,
    x_title: str,
    y_title: str,
    x_percent: bool = False,
    y_percent: bool = False,
    y_unit: str = "",
    x_axis: str = "",
    y_axis: str = "",
    x_words: Sequence[str] = X_WORDS,
    y_words: Sequence[str] = Y_WORDS,
    x_noun: str = "initiatives",
    y_noun: str = "need",
    selected: str = "",
    palette: Sequence[str] = BIVARIATE_PALETTE,
    no_data_colour: str = BIVARIATE_NO_DATA_COLOUR,
    large_legend: bool = False,
    note: str = "",
    y_reverse: bool = False,
) -> tuple[folium.FeatureGroup, dict]:
    """Regions coloured by SSE presence (`x_column`, few → many) against a need (`y_column`,
    low → high) in a 3 × 3 square, plus its legend; `table` is indexed by region code.

    The same `_RegionLayer` properties as `choropleth_group`; the tooltip gives both values and
    the cell in words. `x_axis` / `y_axis` are the legend's axis phrases (default 'more
    <x_title>', 'higher <y_title>'). Returns the group and a summary (cells' counts, words,
    colours, no data, bounds, labels, each region's cell) for tests and pages.
    """
    codes = list(shapes.codes)
    xs = table[x_column].reindex(codes).reset_index(drop=True)
    ys = table[y_column].reindex(codes).reset_index(drop=True)
    yc = -ys if y_reverse else ys  # a low value is the high need (employment rate, GDP)
    bi = bivariate_classes(xs, yc, k=math.isqrt(len(palette)))
    fills = bi.fills(palette, no_data_colour)
    words = bivariate_words(bi, x_words=x_words, y_words=y_words, x_noun=x_noun, y_noun=y_noun)
    x_fmt = fmt_percent if x_percent else fmt_number

    def y_fmt(value: float) -> str:
        return with_unit(fmt_percent(value) if y_percent else fmt_number(value), y_unit)

    x_label, y_label = esc(x_title), esc(y_title)
    props = [
        {
            "code": code,
            "fill": fill,
            "tip": (f"<b>{esc(name)}</b> ({esc(code)})<br>{x_label}: <b>{esc(x_fmt(x))}</b>"
                    f"<br>{y_label}: <b>{esc(y_fmt(y))}</b><br><i>"
                    + (esc(words[cell]) if cell >= 0 else "no data: a value is missing")
                    + "</i>"),
            "selected": code == selected,
        }
        for code, name, x, y, cell, fill in zip(
            shapes.codes, shapes.names, xs, ys, bi.cell, fills, strict=True
        )
    ]
    group = folium.FeatureGroup(name="regions", control=False)
    _RegionLayer(shapes, props).add_to(group)
    x_labels, y_labels = bivariate_labels(bi, xs, yc, x_percent=x_percent, y_percent=y_percent,
                                          y_unit=y_unit)
    if y_reverse:
        y_labels = reversed_labels(bi.y, fmt_percent if y_percent else fmt_number, y_unit)
    counts = bi.counts()
    _Legend(bivariate_legend_html(
        x_axis or f"more {x_title}", y_axis or f"higher {y_title}", counts, palette, x_labels,
        y_labels, words, bi.no_data, note, large_legend, cols=bi.cols, rows=bi.rows,
        no_data_colour=no_data_colour,
    )).add_to(group)
    return group, {
        "counts": counts,
        "words": words,
        "colours": list(palette),
        "no_data": bi.no_data,
        "no_data_colour": no_data_colour,
        "x_bounds": bi.x.bounds,
        "y_bounds": bi.y.bounds,
        "x_labels": x_labels,
        "y_labels": y_labels,
        "cols": bi.cols,
        "rows": bi.rows,
        "cells": dict(zip(codes, bi.cell.tolist(), strict=True)),
        "k": bi.k,
    }


# How each popup line wraps its (already escaped) text; the one definition of popup markup,
# used by `popup_html` here and by the map's script, which gets these pieces as data.
POPUP_LINES: dict[str, str] = {
    "name": "<b>{}</b>",
    "themes": "Themes: {}",
    "legal_form": "Legal form: {}",
    "locality": "{}",
    "source": "Source: {}",
    "link": '<a href="{}" target="_blank" rel="noopener noreferrer nofollow">website</a>',
    "note": "<i>{}</i>",
}


def safe_url(url: object) -> str:
    """The escaped URL if it is http(s), else '' (so `javascript:` never becomes a link)."""
    if not isinstance(url, str) or not url.lower().startswith(("http://", "https://")):
        return ""
    return esc(url)


def popup_parts(
    df: pd.DataFrame,
    theme_labels: Mapping[str, str],
    source_titles: Mapping[str, str],
    notes: pd.Series | None = None,
) -> pd.DataFrame:
    """The escaped text of each popup line of every initiative ('' when absent), one column
    per `POPUP_LINES` key: made once per table, sliced per filter, joined only when shown."""

    def themes(codes) -> str:
        codes = [] if codes is None else list(codes)
        return esc(", ".join(theme_labels.get(t, t) for t in codes) or "no theme")

    def text(column: str) -> list[str]:
        return [esc(v) if isinstance(v, str) else "" for v in df[column]]

    return pd.DataFrame(
        {
            "name": text("name"),
            "themes": [themes(t) for t in df["themes"]],
            "legal_form": text("legal_form"),
            "locality": text("locality"),
            "source": [esc(source_titles.get(v, v)) for v in df["source"]],
            "link": [safe_url(v) for v in df["website"]],
            "note": [esc(v) for v in notes.reindex(df.index)] if notes is not None else "",
        },
        index=pd.Index(df["id"], name="id"),
        columns=list(POPUP_LINES),
    )


def popup_html(parts: Mapping[str, str]) -> str:
    """One popup from its escaped parts (a row of `popup_parts`), as the map's script joins it."""
    return "<br>".join(POPUP_LINES[k].format(parts[k]) for k in POPUP_LINES if parts.get(k))


class _PointLayer(_ScriptElement):
    """Initiatives as circle markers in one MarkerCluster group; popups joined on opening.

    Each row is [lat, lon, part...]; a part repeated across rows (themes, source...) travels
    once in `lookup` and rows hold its index. Nothing is decoded as HTML but the escaped parts.
    """

    _template = Template(
        """{% macro script(this, kwargs) %}
        atlasPointLayer({{ this._parent.get_name() }}, {{ this.data_json }});
        {% endmacro %}"""
    )

    def __init__(self, lat: np.ndarray, lon: np.ndarray, parts: pd.DataFrame):
        super().__init__()
        self._name = "PointLayer"
        columns, lookup = [], []
        for key in POPUP_LINES:
            values = parts[key]
            codes, uniques = pd.factorize(values)
            if len(uniques) <= len(values) // 2:  # repeated: send each text once
                columns.append(codes.tolist())
                lookup.append(uniques.tolist())
            else:
                columns.append(values.tolist())
                lookup.append([])
        rows = [list(r) for r in zip(np.round(lat, 5).tolist(), np.round(lon, 5).tolist(),
                                     *columns, strict=True)]
        wrap = [POPUP_LINES[k].split("{}") for k in POPUP_LINES]
        self.count = len(rows)
        self.data_json = js_data({"rows": rows, "lookup": lookup, "wrap": wrap})


def points_group(df: pd.DataFrame, parts: pd.DataFrame) -> folium.FeatureGroup:
    """Initiatives with a point as one client-side cluster layer (never one Marker each).

    `parts` is `popup_parts()` of the table (or a superset), indexed by initiative id: each
    marker takes the popup of the row it draws, whatever the order or filtering of `df`.
    """
    group = folium.FeatureGroup(name="initiatives", control=False)
    located = df[df["lat"].notna() & df["lon"].notna()]
    _PointLayer(
        located["lat"].to_numpy(dtype=float),
        located["lon"].to_numpy(dtype=float),
        parts.reindex(located["id"].to_numpy()).fillna(""),
    ).add_to(group)
    return group


# Above this many located initiatives (after filters) the map gets counts per grid cell
# (atlas.analysis.aggregate) instead of one marker each: 10,000 markers with popups are about 1.3
# MB.
MARKER_LIMIT = 10_000
# Up to this table size the page's cached popup parts of every row are worth keeping; above
# them, popups are built for the shown rows only (3 million rows of parts are ~1 GB).
POPUP_CACHE_LIMIT = 200_000


class _CellLayer(_ScriptElement):
    """Counts per grid cell drawn as cluster bubbles; a click zooms in.

    Ships one grid per zoom level; only the current level's cells inside the viewport become
    markers (redrawn on every move), so a few hundred DOM nodes at most whatever N is.
    """

    default_css = MarkerCluster.default_css  # the bubbles look like the client-side clusters
    _template = Template(
        """{% macro script(this, kwargs) %}
        atlasCellLayer({{ this._parent.get_name() }}, {{ this.levels_json }},
            {{ this.note|tojson }});
        {% endmacro %}"""
    )

    def __init__(self, levels: list[dict], note: str):
        super().__init__()
        self._name = "CellLayer"
        self.levels = levels
        self.levels_json = js_data(levels)
        self.note = note


def cells_group(
    levels: Sequence[Cells], shown: int, limit: int = MARKER_LIMIT
) -> folium.FeatureGroup:
    """Initiatives as counts per grid cell, one grid per zoom level (atlas.analysis.aggregate)."""
    group = folium.FeatureGroup(name="initiatives", control=False)
    note = (
        f"<b>{shown:,}</b> initiatives, grouped: click a group to zoom in. Filter to fewer "
        f"than {limit:,} to see each one with its details."
    )
    _CellLayer([{"z": c.zoom, "cells": c.flat()} for c in levels], note).add_to(group)
    return group


def points_layer(
    df: pd.DataFrame,
    keep: np.ndarray,
    popups: Callable[[], pd.DataFrame] | None = None,
    titles: Mapping[str, str] | None = None,
    *,
    max_markers: int = MARKER_LIMIT,
) -> folium.FeatureGroup:
    """The initiatives passing `keep`, with a payload bounded whatever the table's size.

    Up to `max_markers` with a point: one marker each with its escaped popup (`points_group`).
    More: counts per grid cell computed here (`cells_group`). `popups()` gives the cached
    `popup_parts` of the whole table; it is only used for tables up to POPUP_CACHE_LIMIT rows,
    else popups are built for the shown rows only, naming sources by `titles` (default: shipped).
    """
    located = keep & df["lat"].notna().to_numpy() & df["lon"].notna().to_numpy()
    shown = int(located.sum())
    if shown > max_markers:
        return cells_group(point_grid(df).levels(located), shown, max_markers)
    rows = df[located]
    if popups is not None and len(df) <= POPUP_CACHE_LIMIT:
        column = popups()
    else:
        column = popup_parts(rows, all_theme_labels(), titles or short_titles())
    return points_group(rows, column)
