"""Folium map pieces for the atlas: a fixed base map and the layers that change with the view.

The base map (background, attribution) stays identical across reruns, so streamlit-folium keeps
its component and the user's pan/zoom; the choropleth, legend and points are FeatureGroups sent
through `feature_group_to_add`, which the component swaps in place.
Every text that comes from data is HTML-escaped here before it reaches a popup or tooltip.
"""

from __future__ import annotations

import html
import json
from collections.abc import Callable, Mapping, Sequence

import folium
import numpy as np
import pandas as pd
from branca.element import MacroElement
from folium.elements import JSCSSMixin
from folium.plugins import FastMarkerCluster, MarkerCluster
from jinja2 import Template

from atlas.aggregate import Cells, point_grid
from atlas.classify import NO_DATA_COLOUR, PALETTE, classify, colours, fmt_number, fmt_percent
from atlas.classify import legend_labels as class_labels
from atlas.sources import short_titles
from atlas.themes import theme_labels as all_theme_labels

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
    if not isinstance(url, str) or not url.lower().startswith(("http://", "https://")):
        return ""
    return (
        f'<a href="{esc(url)}" target="_blank" rel="noopener noreferrer nofollow">'
        f"{esc(label)}</a>"
    )


class _Attribution(MacroElement):
    """Adds source attributions to Leaflet's attribution control (text escaped here)."""

    _template = Template(
        """{% macro script(this, kwargs) %}
        {{ this._parent.get_name() }}.attributionControl.setPrefix(false);
        {% for text in this.texts %}
        {{ this._parent.get_name() }}.attributionControl.addAttribution({{ text|tojson }});
        {% endfor %}
        {% endmacro %}"""
    )

    def __init__(self, texts: Sequence[str]):
        super().__init__()
        self._name = "Attribution"
        self.texts = [esc(t) for t in texts]


class _TileFallback(MacroElement):
    """Offline outlines in a pane under the tiles, shown as soon as one tile fails to load.

    At a venue without internet every tile errors, so the map falls back to the same outline
    background as the offline basemap instead of a blank grey box. The script is fixed (it
    does not depend on the view), so the base map stays identical across reruns.
    """

    _template = Template(
        """{% macro script(this, kwargs) %}
        (function () {
            var map = {{ this._parent.get_name() }};
            var tiles = {{ this.tiles.get_name() }};
            var pane = map.createPane("atlasFallback");
            pane.style.zIndex = 150;  /* under the tile pane (200) */
            pane.style.display = "none";
            L.geoJSON({{ this.outlines|tojson }}, {
                pane: "atlasFallback", interactive: false,
                style: {color: "#8c8c8c", weight: 0.6, fillColor: "#f4f4f1", fillOpacity: 1}
            }).addTo(map);
            var shown = false;
            tiles.on("tileerror", function () {
                if (shown) { return; }
                shown = true;
                pane.style.display = "";
                map.getContainer().classList.add("atlas-tiles-failed");
                var note = L.control({position: "topright"});
                note.onAdd = function () {
                    var div = L.DomUtil.create("div", "atlas-tiles-note");
                    div.style.cssText = "background:rgba(255,255,255,.9);padding:4px 8px;" +
                        "border-radius:4px;font:13px sans-serif";
                    div.textContent = "Map tiles unavailable: showing offline outlines";
                    return div;
                };
                note.addTo(map);
            });
        })();
        {% endmacro %}"""
    )

    def __init__(self, tiles: folium.TileLayer, outlines: Mapping):
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


def base_map(
    basemap: str,
    outlines: Mapping | None,
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
    if basemap == "tiles":
        tiles = folium.TileLayer(
            tiles=TILES_URL, attr=TILES_ATTRIBUTION, name="OpenStreetMap", max_zoom=MAX_ZOOM
        )
        tiles.add_to(m)
        if outlines is not None:  # no internet at the venue: outlines appear on tileerror
            _TileFallback(tiles, outlines).add_to(m)
    elif outlines is not None:
        folium.GeoJson(
            outlines,
            name="country outlines",
            style_function=lambda _f: {
                "color": "#8c8c8c",
                "weight": 0.6,
                "fillColor": "#f4f4f1",
                "fillOpacity": 1.0,
            },
            interactive=False,
            control=False,
        ).add_to(m)
    _Attribution(attributions).add_to(m)
    _ClusterAssets().add_to(m)
    return m


class _RegionLayer(MacroElement):
    """L.geoJSON of regions styled from precomputed properties; escaped tooltips; click-able."""

    _template = Template(
        """{% macro script(this, kwargs) %}
        var {{ this.get_name() }} = L.geoJSON({{ this.data|tojson }}, {
            style: function (f) { return {
                fillColor: f.properties.fill, fillOpacity: {{ this.opacity }},
                color: f.properties.selected ? "#000000" : "#ffffff",
                weight: f.properties.selected ? 3 : 0.6 }; },
            onEachFeature: function (f, layer) {
                layer.bindTooltip(f.properties.tip, {sticky: true});
                layer.on("mouseover", function () { layer.setStyle({weight: 2, color: "#333"}); });
                layer.on("mouseout", function () { {{ this.get_name() }}.resetStyle(layer); });
            }
        }).addTo({{ this._parent.get_name() }});
        {{ this.get_name() }}.eachLayer(function (l) {
            if (l.feature.properties.selected) { l.bringToFront(); }
        });
        {% endmacro %}"""
    )

    def __init__(self, data: dict, opacity: float = 0.8):
        super().__init__()
        self._name = "RegionLayer"
        self.data = data
        self.opacity = opacity


class _Legend(MacroElement):
    """A Leaflet control that lives and dies with its FeatureGroup (so swaps replace it)."""

    _template = Template(
        """{% macro script(this, kwargs) %}
        (function () {
            var group = {{ this._parent.get_name() }};
            var control = L.control({position: "bottomright"});
            control.onAdd = function () {
                var div = L.DomUtil.create("div", "atlas-legend");
                div.innerHTML = {{ this.html|tojson }};
                L.DomEvent.disableClickPropagation(div);
                return div;
            };
            group.on("add", function () { if (group._map) { control.addTo(group._map); } });
            group.on("remove", function () { control.remove(); });
            if (group._map) { control.addTo(group._map); }
        })();
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


def choropleth_group(
    shapes: Mapping,
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

    `shapes` is a GeoJSON FeatureCollection whose features carry `code` and `name`.
    Returns the group and a summary (classes, labels, colours) that tests and pages can show.
    """
    values = table[value_column].reindex([f["properties"]["code"] for f in shapes["features"]])
    classes = classify(values.reset_index(drop=True), scheme)
    fills = colours(classes, palette)
    fmt = fmt_percent if percent else fmt_number
    features = []
    for feature, value, cls in zip(shapes["features"], values, classes.index, strict=True):
        props = feature["properties"]
        fill = fills[cls] if cls >= 0 else NO_DATA_COLOUR
        tip = (
            f"<b>{esc(props['name'])}</b> ({esc(props['code'])})<br>"
            f"{esc(title)}: <b>{esc(fmt(value))}</b>"
        )
        features.append(
            {
                "type": "Feature",
                "geometry": feature["geometry"],
                "properties": {
                    "code": props["code"],
                    "fill": fill,
                    "tip": tip,
                    "selected": props["code"] == selected,
                },
            }
        )
    group = folium.FeatureGroup(name="regions", control=False)
    _RegionLayer({"type": "FeatureCollection", "features": features}).add_to(group)
    integer = not percent and bool(np.all(np.mod(values.dropna(), 1) == 0))
    labels = class_labels(classes, percent=percent, integer=integer)
    no_data = int((classes.index < 0).sum())
    _Legend(legend_html(title, unit, labels, fills, no_data, note, large_legend)).add_to(group)
    return group, {"labels": labels, "colours": fills, "no_data": no_data, "k": classes.k}


POINT_CALLBACK = """
function (row) {
    var marker = L.circleMarker(new L.LatLng(row[0], row[1]), {
        radius: 5, weight: 1, color: "#ffffff", fillColor: "#b2182b", fillOpacity: 0.9});
    marker.bindPopup(row[2], {maxWidth: 320});
    return marker;
}
"""


def popup_html(row: Mapping, theme_labels: Mapping[str, str], source_titles: Mapping) -> str:
    """Popup of one initiative; every value escaped, website only as a safe link."""
    themes = ", ".join(theme_labels.get(t, t) for t in (row.get("themes") or [])) or "no theme"
    parts = [f"<b>{esc(row.get('name'))}</b>", f"Themes: {esc(themes)}"]
    if row.get("legal_form"):
        parts.append(f"Legal form: {esc(row['legal_form'])}")
    if row.get("locality"):
        parts.append(esc(row["locality"]))
    parts.append(f"Source: {esc(source_titles.get(row.get('source'), row.get('source')))}")
    link = safe_link(row.get("website"))
    if link:
        parts.append(link)
    return "<br>".join(parts)


def popup_column(
    df: pd.DataFrame, theme_labels: Mapping[str, str], source_titles: Mapping[str, str]
) -> pd.Series:
    """Escaped popup HTML of every initiative, computed once and sliced per filter."""
    cols = ["name", "themes", "legal_form", "locality", "source", "website"]
    html_rows = [popup_html(r, theme_labels, source_titles) for r in df[cols].to_dict("records")]
    return pd.Series(html_rows, index=df.index, dtype=object)


def points_group(df: pd.DataFrame, popups: pd.Series) -> folium.FeatureGroup:
    """Initiatives with a point as one client-side cluster layer (never one Marker each).

    `popups` is `popup_column()` of the full table; rows are looked up by index.
    """
    group = folium.FeatureGroup(name="initiatives", control=False)
    located = df[df["lat"].notna() & df["lon"].notna()]
    data = list(
        zip(
            located["lat"].round(5).tolist(),
            located["lon"].round(5).tolist(),
            popups.reindex(located.index).tolist(),
            strict=True,
        )
    )
    FastMarkerCluster(
        data, callback=POINT_CALLBACK, name="initiatives", options={"maxClusterRadius": 50}
    ).add_to(group)
    return group


# Above this many located initiatives (after filters) the map gets counts per grid cell
# (atlas.aggregate) instead of one marker each: 10,000 markers with popups are about 3.7 MB.
MARKER_LIMIT = 10_000
# Up to this table size the page's cached popup column of every row is worth keeping; above
# it, popups are built for the shown rows only (a column of 3 million popups is ~1 GB).
POPUP_CACHE_LIMIT = 200_000


class _CellLayer(JSCSSMixin, MacroElement):
    """Counts per grid cell drawn as cluster bubbles; a click zooms in.

    Ships one grid per zoom level; only the current level's cells inside the viewport become
    markers (redrawn on every move), so a few hundred DOM nodes at most whatever N is.
    """

    default_css = MarkerCluster.default_css  # the bubbles look like the client-side clusters
    _template = Template(
        """{% macro script(this, kwargs) %}
        (function () {
            var group = {{ this._parent.get_name() }};
            var levels = {{ this.levels|tojson }};
            var shown = L.layerGroup().addTo(group);
            var note = L.control({position: "bottomleft"});
            note.onAdd = function () {
                var div = L.DomUtil.create("div", "atlas-cells-note");
                div.style.cssText = "background:rgba(255,255,255,.9);padding:4px 8px;" +
                    "border-radius:4px;font:12px sans-serif;max-width:260px";
                div.innerHTML = {{ this.note|tojson }};
                return div;
            };
            var map = null;
            function label(n) {
                if (n >= 999500) { return (n / 1e6).toFixed(1).replace(/[.]0$/, "") + "M"; }
                if (n >= 10000) { return Math.round(n / 1000) + "k"; }
                return String(n);
            }
            function zoomIn(e) {
                map.setView(e.latlng, Math.min(map.getZoom() + 2, map.getMaxZoom()));
            }
            function draw() {
                if (!map || !levels.length) { return; }
                var zoom = map.getZoom(), level = levels[0];
                for (var i = 0; i < levels.length; i++) {
                    if (levels[i].z <= zoom) { level = levels[i]; }
                }
                var view = map.getBounds().pad(0.25), cells = level.cells;
                shown.clearLayers();
                for (var j = 0; j < cells.length; j += 3) {
                    var at = L.latLng(cells[j], cells[j + 1]), n = cells[j + 2];
                    if (!view.contains(at)) { continue; }
                    var size = n < 10 ? "small" : (n < 100 ? "medium" : "large");
                    var marker = L.marker(at, {keyboard: false,
                        title: n.toLocaleString("en") + " initiatives: click to zoom in",
                        icon: L.divIcon({html: "<div><span>" + label(n) + "</span></div>",
                            className: "marker-cluster marker-cluster-" + size + " atlas-cell",
                            iconSize: L.point(40, 40)})});
                    marker.on("click", zoomIn);
                    shown.addLayer(marker);
                }
            }
            function start() {
                if (map) { return; }
                map = group._map;
                map.on("moveend", draw);
                note.addTo(map);
                draw();
            }
            group.on("add", start);
            group.on("remove", function () {
                if (map) { map.off("moveend", draw); }
                note.remove();
                map = null;
            });
            if (group._map) { start(); }
        })();
        {% endmacro %}"""
    )

    def __init__(self, levels: list[dict], note: str):
        super().__init__()
        self._name = "CellLayer"
        self.levels = levels
        self.note = note


def cells_group(
    levels: Sequence[Cells], shown: int, limit: int = MARKER_LIMIT
) -> folium.FeatureGroup:
    """Initiatives as counts per grid cell (one grid per zoom level, see atlas.aggregate)."""
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
    popups: Callable[[], pd.Series] | None = None,
    titles: Mapping[str, str] | None = None,
    *,
    max_markers: int = MARKER_LIMIT,
) -> folium.FeatureGroup:
    """The initiatives passing `keep`, with a payload bounded whatever the table's size.

    Up to `max_markers` with a point: one marker each with its escaped popup (`points_group`).
    More: counts per grid cell computed here (`cells_group`). `popups()` gives the cached popup
    column of the whole table; it is only used for tables up to POPUP_CACHE_LIMIT rows, else
    popups are built for the shown rows only, naming sources by `titles` (default: shipped).
    """
    located = keep & df["lat"].notna().to_numpy() & df["lon"].notna().to_numpy()
    shown = int(located.sum())
    if shown > max_markers:
        return cells_group(point_grid(df).levels(located), shown, max_markers)
    rows = df[located]
    if popups is not None and len(df) <= POPUP_CACHE_LIMIT:
        column = popups()
    else:
        column = popup_column(rows, all_theme_labels(), titles or short_titles())
    return points_group(rows, column)


def to_geojson_dict(gdf) -> dict:
    """GeoDataFrame (code, name, geometry) → GeoJSON dict with only what the map needs."""
    return json.loads(gdf[["code", "name", "geometry"]].to_json(drop_id=True))
