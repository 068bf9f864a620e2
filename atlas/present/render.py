"""Take-aways that people attach to minutes: a static PNG of the current map and a two-page
PDF region brief (the region's figures, then its territory: need, policies, official SSE
figures). Drawn with matplotlib's object API (no pyplot state: safe in Streamlit threads) and
geopandas, with no network: background outlines come from the shipped geometries.

The PNG uses the same classes, labels and colours as the live map (`legend_classes` mirrors
`atlas.present.mapview.choropleth_group`, `bivariate_legend` mirrors `bivariate_group`; tests
hold them equal). Every output carries its
sources'
attribution as visible text, and in the file's metadata.

Titles, filters and credits can come from story files, URLs and imported datasets, so every text
is drawn as written: matplotlib's mathtext (`$…$`) is off for the whole figure.
"""

from __future__ import annotations

import datetime as dt
import io
import math
import textwrap
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import geopandas as gpd
import numpy as np
import pandas as pd

from atlas.model.classify import (
    BIVARIATE_NO_DATA_COLOUR,
    BIVARIATE_PALETTE,
    NO_DATA_COLOUR,
    PALETTE,
    Bivariate,
    bivariate_classes,
    bivariate_corners,
    bivariate_labels,
    bivariate_words,
    classify,
    colours,
    fmt_number,
    fmt_percent,
    ink,
    legend_labels,
    reversed_labels,
)
from atlas.model.context import INDICATORS
from atlas.model.credits import brief_credits
from atlas.model.layers import LAYERS
from atlas.model.themes import NO_THEME, theme_labels

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

    from atlas.analysis.profile import RegionProfile

SIZES = {"1920x1080": (1920, 1080), "1280x720": (1280, 720)}
#: Figure size in inches: both PNG sizes share one layout, only the resolution differs.
_FIG_W, _FIG_H = 12.8, 7.2
A4 = (8.27, 11.69)
MERCATOR = "EPSG:3857"
_M_PER_PX_Z0 = 156_543.03392  # Web Mercator metres per 256-px tile pixel at zoom 0
#: The live map's size in pixels, so a centre/zoom frames about what the presenter saw.
_LIVE_HEIGHT_PX = 620
DEFAULT_CENTER, DEFAULT_ZOOM = (52.0, 10.0), 4
SEA, LAND, LAND_EDGE = "#e9eff3", "#f4f4f1", "#8c8c8c"
_RC = {"pdf.fonttype": 42, "font.family": "DejaVu Sans", "svg.fonttype": "none",
       "text.parse_math": False}
@dataclass(frozen=True)
class LegendClasses:
    """What the legend shows and which colour each region gets (same as the live map)."""

    labels: list[str]
    fills: list[str]
    index: np.ndarray  # class per value, -1 = no data
    no_data: int

    def fill_of(self, i: int) -> str:
        return self.fills[i] if i >= 0 else NO_DATA_COLOUR


def legend_classes(
    values: pd.Series, scheme: str, percent: bool = False, palette: Sequence[str] = PALETTE
) -> LegendClasses:
    """Classes, labels and colours exactly as `choropleth_group` computes them."""
    values = pd.to_numeric(values, errors="coerce").reset_index(drop=True)
    classes = classify(values, scheme)
    fills = colours(classes, tuple(palette))
    integer = not percent and bool(np.all(np.mod(values.dropna(), 1) == 0))
    labels = legend_labels(classes, percent=percent, integer=integer)
    return LegendClasses(labels, fills, classes.index, int((classes.index < 0).sum()))


def _extent(center: tuple[float, float] | None, zoom: int | None, aspect: float) -> tuple:
    """(xmin, xmax, ymin, ymax) in Web Mercator around a centre at a live-map zoom level."""
    lat, lon = center or DEFAULT_CENTER
    z = DEFAULT_ZOOM if zoom is None else zoom
    lat = max(min(lat, 85.0), -85.0)
    x = math.radians(lon) * 6_378_137.0
    y = math.log(math.tan(math.pi / 4 + math.radians(lat) / 2)) * 6_378_137.0
    half_h = _LIVE_HEIGHT_PX * _M_PER_PX_Z0 / 2**z / 2
    half_w = half_h * aspect
    return x - half_w, x + half_w, y - half_h, y + half_h


def _clip(gdf: gpd.GeoDataFrame, box: tuple) -> gpd.GeoDataFrame:
    xmin, xmax, ymin, ymax = box
    return gdf.cx[xmin:xmax, ymin:ymax]


def _to_mercator(gdf: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Web Mercator without the poles (where it is infinite)."""
    from shapely.geometry import box

    cut = gdf.clip(box(-180, -85, 180, 85))
    return cut[~cut.geometry.is_empty].to_crs(MERCATOR)


def map_figure(
    regions: gpd.GeoDataFrame,
    values: pd.Series,
    *,
    title: str,
    subtitle: str,
    legend_title: str,
    unit: str,
    scheme: str,
    attribution: Sequence[str],
    percent: bool = False,
    palette: Sequence[str] = PALETTE,
    selected: str = "",
    outlines: gpd.GeoDataFrame | None = None,
    center: tuple[float, float] | None = None,
    zoom: int | None = None,
    note: str = "",
) -> Figure:
    """A 16:9 map: title, subtitle, choropleth with legend, attribution and date.

    `regions` has `code` and geometry (EPSG:4326); `values` is indexed by region code.
    """
    import matplotlib  # here, not at the top: the pages import this module, rarely draw
    from matplotlib.patches import Patch

    with matplotlib.rc_context(_RC):
        ordered = values.reindex(regions["code"].to_numpy())
        legend = legend_classes(ordered, scheme, percent, palette)
        fills = [legend.fill_of(int(i)) for i in legend.index]
        fig, ax = _map_axes(regions, fills, selected, outlines, center, zoom)
        handles = [Patch(facecolor=f, edgecolor="#999999", label=lab)
                   for lab, f in zip(legend.labels, legend.fills, strict=True)]
        handles.append(Patch(facecolor=NO_DATA_COLOUR, edgecolor="#999999",
                             label=f"no data ({legend.no_data} regions)"))
        same = unit.strip().lower() == legend_title.strip().lower()
        leg_title = f"{legend_title}\n{unit}" if unit and not same else legend_title
        ax.legend(handles=handles, title=leg_title, loc="lower right", fontsize=12,
                  title_fontsize=12, framealpha=0.93, alignment="left")
        _frame_texts(fig, title, subtitle, attribution, note)
    return fig


def _map_axes(
    regions: gpd.GeoDataFrame,
    fills: Sequence[str],
    selected: str,
    outlines: gpd.GeoDataFrame | None,
    center: tuple[float, float] | None,
    zoom: int | None,
) -> tuple[Figure, Axes]:
    """The 16:9 figure and its map axes: background outlines, regions in `fills` (one per row
    of `regions`), the selected region outlined, framed as the live map at `center`/`zoom`."""
    from matplotlib.figure import Figure

    fig = Figure(figsize=(_FIG_W, _FIG_H), facecolor="white")
    ax = fig.add_axes((0.01, 0.085, 0.98, 0.775))
    aspect = (0.98 * _FIG_W) / (0.775 * _FIG_H)
    box = _extent(center, zoom, aspect)
    ax.set_facecolor(SEA)
    shapes = regions[["code", "geometry"]].copy()
    shapes["fill"] = list(fills)
    shapes = _clip(_to_mercator(shapes), box)
    if outlines is not None:
        land = _clip(_to_mercator(outlines[["geometry"]]), box)
        land.plot(ax=ax, color=LAND, edgecolor=LAND_EDGE, linewidth=0.4, zorder=1)
    if len(shapes):
        shapes.plot(ax=ax, color=shapes["fill"].tolist(), edgecolor="white",
                    linewidth=0.35, zorder=2)
        chosen = shapes[shapes["code"] == selected]
        if len(chosen):
            chosen.plot(ax=ax, facecolor="none", edgecolor="black", linewidth=2.2, zorder=3)
    ax.set_xlim(box[0], box[1])
    ax.set_ylim(box[2], box[3])
    ax.set_aspect("equal")
    _bare(ax)
    for spine in ax.spines.values():
        spine.set_edgecolor("#bbbbbb")
    return fig, ax


_TITLE_SIZES = (24, 15)  # points: a long title (a bivariate view's) shrinks to fit, then is cut
_FOOT_SIZE = 8.5


def _frame_texts(fig: Figure, title: str, subtitle: str, attribution: Sequence[str],
                 note: str) -> float:
    """Title, subtitle, the attribution footer (after the layer's note) and the date stamp.
    Returns the top of the footer, as a fraction of the figure's height."""
    stamp = f"SSE Atlas · {dt.date.today().isoformat()}"
    room = 0.976 * _FIG_W - _width(stamp, 10) - 0.3
    size = _TITLE_SIZES[0]
    while size > _TITLE_SIZES[1] and _width(title, size * _BOLD) > room:
        size -= 1
    shown = _wrap(title, room, size, 1, bold=True)[0] if title else title
    fig.text(0.012, 0.955, shown, fontsize=size, fontweight="bold", va="top")
    fig.text(0.012, 0.895, subtitle, fontsize=14, color="#333333", va="top")
    foot = list(attribution)
    if note:
        foot.insert(0, note)
    footer = "\n".join(textwrap.fill(t, 170) for t in foot)
    fig.text(0.012, 0.012, footer, fontsize=_FOOT_SIZE, color="#333333", va="bottom")
    fig.text(0.988, 0.955, stamp, fontsize=10, color="#555555", ha="right", va="top")
    lines = footer.count("\n") + 1 if footer else 0
    return 0.012 + lines * _FOOT_SIZE * 1.2 / 72 / _FIG_H


@dataclass(frozen=True)
class BivariateLegend:
    """What the square legend shows and each region's colour (same as the live map)."""

    bi: Bivariate
    fills: list[str]
    palette: tuple[str, ...]
    words: list[str]
    x_labels: list[str]
    y_labels: list[str]
    no_data_colour: str

    @property
    def counts(self) -> list[int]:
        return self.bi.counts()


def bivariate_legend(
    x: pd.Series,
    y: pd.Series,
    *,
    x_percent: bool = False,
    y_percent: bool = False,
    y_unit: str = "",
    palette: Sequence[str] = BIVARIATE_PALETTE,
    no_data_colour: str = BIVARIATE_NO_DATA_COLOUR,
    words: dict | None = None,
    y_reverse: bool = False,
) -> BivariateLegend:
    """Cells, labels, words and colours exactly as `mapview.bivariate_group` computes them
    (`words`: x_words, y_words, x_noun, y_noun passed to `bivariate_cell_words`). With
    `y_reverse` (an indicator whose need is a LOW value: employment rate, GDP) the need
    classes are computed on -y, so the lowest values are the high-need row, and labelled in
    y's own units, as on the live map."""
    x = pd.to_numeric(x, errors="coerce").reset_index(drop=True)
    y = pd.to_numeric(y, errors="coerce").reset_index(drop=True)
    yc = -y if y_reverse else y
    bi = bivariate_classes(x, yc, k=math.isqrt(len(palette)))
    x_labels, y_labels = bivariate_labels(bi, x, yc, x_percent=x_percent, y_percent=y_percent,
                                          y_unit=y_unit)
    if y_reverse:
        y_labels = reversed_labels(bi.y, fmt_percent if y_percent else fmt_number, y_unit)
    return BivariateLegend(bi, bi.fills(palette, no_data_colour), tuple(palette),
                           bivariate_words(bi, **(words or {})), x_labels, y_labels,
                           no_data_colour)


#: The square legend's panel, in inches of the 12.8 × 7.2 in figure (the 1920 px PNG is the
#: same figure at 19.2 × 10.8 in, where the panel is relatively smaller but never crowded).
_BI_W, _BI_CELL, _BI_PAD = 3.7, 0.6, 0.14
_BI_FONT = 12


def _bivariate_square(fig: Figure, legend: BivariateLegend, x_axis: str, y_axis: str,
                      bottom: float = 0.10) -> Axes:
    """Draws the square legend in a white panel at the lower right of the map, its lower edge
    at `bottom` (a fraction of the figure's height, above the footer): need rows high at the
    top, counts in the swatches, class ranges on both axes (a long need range, with its unit,
    on up to three lines), arrowed axis titles, the four corners in words and the 'no data'
    row. Returns the panel's axes (in inches)."""
    from matplotlib.patches import FancyBboxPatch, Rectangle

    bi = legend.bi
    k, cell, pad, font = bi.k, _BI_CELL, _BI_PAD, _BI_FONT
    cols, rows = bi.cols, bi.rows
    line = font / 72 * 1.45  # one text line, inches
    y_title = textwrap.wrap(f"↑ {y_axis}", 34) or [""]
    x_title = textwrap.wrap(f"{x_axis} →", 34) or [""]
    x_labels = _two_lines(legend.x_labels)
    x_label_lines = max((label.count("\n") + 1 for label in x_labels), default=1)
    corners = bivariate_corners(legend.words, cols, rows, k)
    width = _BI_W
    height = (2 * pad + line * len(y_title) + 0.04 + cell * len(rows) + 0.06
              + line * 0.85 * x_label_lines + line * len(x_title) + 0.1
              + line * (len(corners) + 1))
    panel = fig.add_axes((1 - 0.014 - width / _FIG_W, bottom, width / _FIG_W,
                          height / _FIG_H), zorder=5)
    panel.set_xlim(0, width)
    panel.set_ylim(0, height)
    panel.set_axis_off()
    panel.add_patch(FancyBboxPatch((0, 0), width, height,
                                   boxstyle="round,pad=0,rounding_size=0.08",
                                   facecolor="white", edgecolor="#bbbbbb", alpha=0.93,
                                   clip_on=False))
    top = height - pad
    for i, text in enumerate(y_title):
        panel.text(pad, top - i * line, text, fontsize=font, fontweight="bold", va="top")
    top -= line * len(y_title) + 0.04
    left = width - pad - cell * len(cols)
    for j, (r, y_label) in enumerate(reversed(list(zip(rows, legend.y_labels, strict=True)))):
        y0 = top - (j + 1) * cell
        label = "\n".join(_wrap(y_label, left - 0.08 - pad, font - 1, 3))
        panel.text(left - 0.08, y0 + cell / 2, label, fontsize=font - 1, ha="right",
                   va="center", linespacing=1.05)
        for m, c in enumerate(cols):
            fill = legend.palette[r * k + c]
            panel.add_patch(Rectangle((left + m * cell, y0), cell, cell, facecolor=fill,
                                      edgecolor="white", linewidth=1.2))
            panel.text(left + (m + 0.5) * cell, y0 + cell / 2, str(legend.counts[r * k + c]),
                       fontsize=font - 1, ha="center", va="center", color=ink(fill))
    top -= cell * len(rows) + 0.06
    for m, label in enumerate(x_labels):
        panel.text(left + (m + 0.5) * cell, top, label, fontsize=font - 2, ha="center",
                   va="top", linespacing=1.0)
    top -= line * 0.85 * x_label_lines
    for i, text in enumerate(x_title):
        panel.text(width - pad, top - i * line, text, fontsize=font, fontweight="bold",
                   ha="right", va="top")
    top -= line * len(x_title) + 0.1
    keyed = [(legend.palette[c], text) for c, text in corners]
    keyed.append((legend.no_data_colour, f"no data ({bi.no_data} regions)"))
    box = line * 0.7
    for i, (fill, text) in enumerate(keyed):
        y0 = top - (i + 0.5) * line
        panel.add_patch(Rectangle((pad, y0 - box / 2), box, box, facecolor=fill,
                                  edgecolor="#999999", linewidth=0.8))
        panel.text(pad + box + 0.1, y0, text, fontsize=font, va="center")
    return panel


def _two_lines(labels: Sequence[str]) -> list[str]:
    """'12.5 – 25.3' → '12.5 –\n25.3': x ranges fit under a swatch."""
    return [label.replace(" – ", " –\n") for label in labels]


def bivariate_figure(
    regions: gpd.GeoDataFrame,
    x: pd.Series,
    y: pd.Series,
    *,
    title: str,
    subtitle: str,
    x_title: str,
    y_title: str,
    attribution: Sequence[str],
    x_percent: bool = False,
    y_percent: bool = False,
    y_unit: str = "",
    x_axis: str = "",
    y_axis: str = "",
    words: dict | None = None,
    palette: Sequence[str] = BIVARIATE_PALETTE,
    no_data_colour: str = BIVARIATE_NO_DATA_COLOUR,
    selected: str = "",
    outlines: gpd.GeoDataFrame | None = None,
    center: tuple[float, float] | None = None,
    zoom: int | None = None,
    note: str = "",
    y_reverse: bool = False,
) -> Figure:
    """A 16:9 bivariate map: SSE presence `x` against a need `y` (both indexed by region code)
    in 3 × 3 classes, with the square legend, title, attribution and date, as `map_figure`.

    `x_axis` / `y_axis` are the legend's axis phrases (default 'more <x_title>', 'higher
    <y_title>'); `words` the x_words, y_words, x_noun, y_noun of `bivariate_cell_words`;
    `y_reverse` for a need read from a low value (see `bivariate_legend`).
    """
    import matplotlib

    codes = regions["code"].to_numpy()
    with matplotlib.rc_context(_RC):
        legend = bivariate_legend(x.reindex(codes), y.reindex(codes), x_percent=x_percent,
                                  y_percent=y_percent, y_unit=y_unit, palette=palette,
                                  no_data_colour=no_data_colour, words=words,
                                  y_reverse=y_reverse)
        fig, _ = _map_axes(regions, legend.fills, selected, outlines, center, zoom)
        footer = _frame_texts(fig, title, subtitle, attribution, note)
        _bivariate_square(fig, legend, x_axis or f"more {x_title}", y_axis or f"higher {y_title}",
                          bottom=max(0.10, footer + 0.012))
    return fig


def map_png(*args, size: str | tuple[int, int] = "1920x1080", **kwargs) -> bytes:
    """`map_figure(...)` as PNG bytes at 1920×1080 or 1280×720, attribution in metadata."""
    return figure_png(map_figure(*args, **kwargs), size, kwargs)


def bivariate_png(*args, size: str | tuple[int, int] = "1920x1080", **kwargs) -> bytes:
    """`bivariate_figure(...)` as PNG bytes, as `map_png`."""
    return figure_png(bivariate_figure(*args, **kwargs), size, kwargs)


def figure_png(fig: Figure, size: str | tuple[int, int], kwargs: dict) -> bytes:
    """A map figure as PNG bytes at `size`, with the title, subtitle and attribution of
    `kwargs` (the figure function's) in the file's metadata."""
    width, height = SIZES[size] if isinstance(size, str) else size
    buf = io.BytesIO()
    metadata = {
        "Title": kwargs.get("title", ""),
        "Description": kwargs.get("subtitle", ""),
        "Copyright": " | ".join(kwargs.get("attribution", ())),
        "Software": "SSE Atlas",
    }
    fig.set_size_inches(width / 100, height / 100)
    fig.savefig(buf, format="png", dpi=100, metadata=metadata)
    return buf.getvalue()


def _theme_chart(ax, mix: pd.DataFrame, region_label: str, country_label: str) -> None:
    labels = {**theme_labels(), NO_THEME: "No theme"}
    data = mix.fillna(0.0)
    names = [textwrap.shorten(labels.get(t, t), 34, placeholder="…") for t in data.index]
    y = np.arange(len(data))[::-1]
    height = 0.27
    series = [("region", region_label, "#2c7fb8"), ("country", country_label, "#a1dab4"),
              ("all", "All initiatives (with filters)", "#bdbdbd")]
    for offset, (column, label, colour) in zip((height, 0, -height), series, strict=True):
        if column in data:
            ax.barh(y + offset, data[column].to_numpy() * 100, height=height, color=colour,
                    label=label)
    ax.set_yticks(y, names, fontsize=7.5)
    ax.set_xlabel("% of initiatives with the theme (an initiative can have several)",
                  fontsize=7.5)
    ax.tick_params(axis="x", labelsize=7.5)
    ax.legend(fontsize=7.5, loc="lower left", bbox_to_anchor=(0, 1.0), ncol=3, frameon=False)
    ax.spines[["top", "right"]].set_visible(False)
    ax.set_title("Theme mix", fontsize=11, loc="left", fontweight="bold", pad=20)


def _locator(ax, regions: gpd.GeoDataFrame, code: str, outlines: gpd.GeoDataFrame | None,
             country: str) -> None:
    region = regions[regions["code"] == code]
    same = regions[regions["country"] == country] if "country" in regions else regions
    frame = same if len(same) else region
    xmin, ymin, xmax, ymax = frame.total_bounds
    pad = max(xmax - xmin, ymax - ymin) * 0.15 + 0.5
    ax.set_facecolor(SEA)
    if outlines is not None:
        outlines.plot(ax=ax, color=LAND, edgecolor=LAND_EDGE, linewidth=0.4)
    same.plot(ax=ax, color="#dddddd", edgecolor="white", linewidth=0.4)
    region.plot(ax=ax, color="#d7301f", edgecolor="black", linewidth=0.8)
    ax.set_xlim(xmin - pad, xmax + pad)
    ax.set_ylim(ymin - pad, ymax + pad)
    mid = math.radians((ymin + ymax) / 2)
    ax.set_aspect(1 / max(math.cos(mid), 0.2))
    _bare(ax)
    ax.set_title("Where", fontsize=11, loc="left", fontweight="bold")


def _bare(ax) -> None:
    """No ticks nor the CRS axis labels geopandas adds: a map, not a chart."""
    ax.set_xticks([])
    ax.set_yticks([])
    ax.set_xlabel("")
    ax.set_ylabel("")


def region_brief_pdf(
    profile: RegionProfile,
    *,
    regions: gpd.GeoDataFrame,
    outlines: gpd.GeoDataFrame | None,
    filters_text: str,
    permalink: str = "",
    today: dt.date | None = None,
    imported: Sequence[tuple[str, str, str]] = (),
) -> bytes:
    """Two A4 pages. Page 1: headline figures, theme mix, locator map, sources and licences.
    Page 2, the territory: the profile's summary, the context panel, the policies in force
    and the official SSE figures, each with its source (links clickable).

    `profile` is the region's `atlas.analysis.profile.RegionProfile` (the object the region page
    shows); `regions` the layer with geometry; `imported` the (title, licence, attribution) of
    imported datasets in the figures.
    """
    import matplotlib
    from matplotlib.backends.backend_pdf import PdfPages
    from matplotlib.figure import Figure

    today = today or dt.date.today()
    stamp = f"Generated {today.isoformat()} by SSE Atlas"
    if permalink:
        stamp += f" · view: {permalink}"
    stamp = textwrap.shorten(stamp, 160)
    buf = io.BytesIO()
    with matplotlib.rc_context(_RC):
        first = Figure(figsize=A4, facecolor="white")
        _headline_page(first, profile, regions, outlines, filters_text, imported, stamp)
        second = Figure(figsize=A4, facecolor="white")
        _territory_page(second, profile, stamp)
        with PdfPages(buf, metadata={
            "Title": f"Region brief: {profile.name} ({profile.code})",
            "Subject": "SSE Atlas region brief",
            "Creator": "SSE Atlas",
            "Keywords": "social and solidarity economy",
        }) as pdf:
            pdf.savefig(first)
            pdf.savefig(second)
    return buf.getvalue()


def _headline_page(fig: Figure, profile: RegionProfile, regions: gpd.GeoDataFrame,
                   outlines: gpd.GeoDataFrame | None, filters_text: str,
                   imported: Sequence[tuple[str, str, str]], stamp: str) -> None:
    """Page 1: headline figures, theme mix, locator map, sources and licences."""
    layer_id = profile.layer
    country_name = profile.country_name
    fig.text(0.06, 0.965, "SSE Atlas · region brief", fontsize=9, color="#555555")
    fig.text(0.06, 0.94, profile.name, fontsize=20, fontweight="bold", va="top")
    fig.text(0.06, 0.905, f"{profile.code} · {LAYERS[layer_id].label} · {country_name}",
             fontsize=11, color="#333333", va="top")
    fig.text(0.06, 0.885, textwrap.fill(f"Filters: {filters_text}", 110), fontsize=8.5,
             color="#333333", va="top")
    fig.text(0.06, 0.845, "Headline figures", fontsize=11, fontweight="bold", va="top")
    for i, (label, value) in enumerate(profile.figures()):
        y = 0.815 - i * 0.026
        fig.text(0.06, y, label, fontsize=9.5, va="top")
        fig.text(0.47, y, value, fontsize=9.5, fontweight="bold", ha="right", va="top")
    loc = fig.add_axes((0.53, 0.585, 0.41, 0.27))
    _locator(loc, regions, profile.code, outlines, profile.country)
    chart = fig.add_axes((0.36, 0.235, 0.58, 0.29))
    _theme_chart(chart, profile.theme_mix, profile.name, country_name)
    lines = ["Sources and licences"]
    for title, licence, attribution in brief_credits(layer_id, imported):
        lines.append(textwrap.fill(f"• {title}. Licence: {licence}. Attribution: "
                                   f"{attribution}", 135, subsequent_indent="   "))
    lines.append(textwrap.fill(
        "Coverage: Co-operatives UK lists every UK co-operative; SUSY is a sample of "
        "initiatives collected by partner NGOs (2016–2018). Outside the UK, figures are "
        "known SUSY initiatives, not the size of the local SSE.", 135))
    fig.text(0.06, 0.03 + 0.0, "\n".join(lines), fontsize=7, va="bottom", color="#222222",
             linespacing=1.35)
    fig.text(0.06, 0.012, stamp, fontsize=6.5, color="#555555")


# -- page 2 of the brief: the territory, in text measured in DejaVu Sans ----------------------

_LEADING = 1.2
_BODY, _URL = 8.0, 7.0  # points: every line of the context panel is at least _BODY
_LINK, _GREY = "#1f5fa8", "#555555"
_GAP = 0.03  # inches between two entries
#: At most this many official figures on the page; the rest are counted.
BRIEF_MAX_FIGURES = 12
_SCOPE_ORDER = {"this region": 0, "wider region": 1, "part of this region": 2, "national": 3,
                "EU": 4}
FIGURES_CAVEAT = ("Years, definitions and publishers differ: each figure is listed as "
                  "published, never merged into one series.")


def _plain(value: object, limit: int = 600) -> str:
    """A value from data as one line of plain text: '' for None/NaN, control characters and
    runs of whitespace as one space, at most `limit` characters. Drawn as written (mathtext
    is off in `_RC`): `$x$` and `<b>` stay literal."""
    if value is None:
        return ""
    try:
        if pd.isna(value):
            return ""
    except (TypeError, ValueError):
        pass
    text = " ".join("".join(c if c.isprintable() else " " for c in str(value)).split())
    return text if len(text) <= limit else text[:limit - 1] + "…"


_ADVANCE: dict[str, float] = {}
_FONT: list = []  # DejaVu Sans as an FT2Font, loaded on first use
_FONT_LOCK = threading.Lock()
_UNKNOWN_ADVANCE = 1.0  # em: a glyph DejaVu Sans lacks (drawn as a box)
_BOLD = 1.1  # DejaVu Sans Bold is about this much wider
_SLACK = 1.04  # hinted raster text (a PNG of the page) runs up to 3 % wider than the font says


def _advance(ch: str) -> float:
    """Advance width of one character of DejaVu Sans, in em (read from the font once)."""
    width = _ADVANCE.get(ch)
    if width is not None:
        return width
    from matplotlib import font_manager, ft2font

    with _FONT_LOCK:  # one FT2Font, never used by two threads at once
        if not _FONT:
            font = ft2font.FT2Font(font_manager.findfont("DejaVu Sans"))
            font.set_size(72, 72)  # 72 px per em: an advance in px / 72 is in em
            _FONT.append(font)
        font = _FONT[0]
        width = _UNKNOWN_ADVANCE
        if font.get_char_index(ord(ch)):
            glyph = font.load_char(ord(ch), flags=ft2font.LoadFlags.NO_HINTING)
            width = glyph.linearHoriAdvance / 65536 / 72
        _ADVANCE[ch] = width
    return width


def _line_height(size: float) -> float:
    """Inches from one line of `size` pt to the next."""
    return size * _LEADING / 72


def _width(text: str, size: float) -> float:
    """Width of `text` at `size` pt in DejaVu Sans, in inches (kerning ignored)."""
    return sum(_advance(c) for c in text) * size / 72 * _SLACK


def _wrap(text: str, width_in: float, size: float, max_lines: int | None = None,
          bold: bool = False) -> list[str]:
    """Greedy word wrap to `width_in` inches at `size` pt (a word longer than a line is cut);
    with `max_lines`, the last line ends with ' …' when text is left over."""
    size = size * (_BOLD if bold else 1.0)
    space = _width(" ", size)
    lines: list[str] = []
    line, used = "", 0.0
    for word in text.split(" "):
        w = _width(word, size)
        if line and used + space + w <= width_in:
            line, used = f"{line} {word}", used + space + w
            continue
        if line:
            lines.append(line)
        while w > width_in:  # a long word (a URL, a code): cut it
            head = _cut(word, width_in, size)
            lines.append(head)
            word = word[len(head):]
            w = _width(word, size)
        line, used = word, w
    lines.append(line)
    if max_lines is not None and len(lines) > max_lines:
        lines = lines[:max_lines]
        last = lines[-1]
        while last and _width(last + " …", size) > width_in:
            last = last[:-1]
        lines[-1] = last.rstrip() + " …"
    return lines


def _cut(word: str, width_in: float, size: float) -> str:
    """The longest start of `word` that fits (at least one character)."""
    used = 0.0
    for i, ch in enumerate(word):
        used += _advance(ch) * size / 72 * _SLACK
        if used > width_in:
            return word[:max(i, 1)]
    return word


def _wrap_url(url: str, width_in: float, size: float, max_lines: int = 3) -> list[str]:
    """A URL cut into lines of the width (it has no spaces to wrap at)."""
    lines = []
    while url:
        head = _cut(url, width_in, size)
        lines.append(head)
        url = url[len(head):]
    if len(lines) > max_lines:
        lines = lines[:max_lines]
        lines[-1] = lines[-1][:-1] + "…"
    return lines or [""]


def _link(url: str) -> str | None:
    """The URL a link may point to: http(s) only (never `javascript:` or a file)."""
    return url if url.lower().startswith(("http://", "https://")) else None


@dataclass(frozen=True)
class _Lines:
    """Lines of one style, drawn one under the other at `indent` inches from the margin."""

    lines: list[str]
    size: float
    indent: float = 0.0
    style: tuple[tuple[str, object], ...] = ()

    @property
    def height(self) -> float:
        return len(self.lines) * _line_height(self.size)


def _entry_height(entry: Sequence[_Lines]) -> float:
    return sum(part.height for part in entry) + _GAP


class _Sheet:
    """A top-down cursor on an A4 figure, in inches from the top-left corner."""

    def __init__(self, fig: Figure, *, left: float = 0.5, right: float = 0.45,
                 top: float = 0.36, bottom: float = 0.6):
        self.fig, self.left, self.y = fig, left, top
        self.width = A4[0] - left - right
        self.bottom = A4[1] - bottom

    @property
    def room(self) -> float:
        return self.bottom - self.y

    def text(self, x_in: float, y_in: float, text: str, size: float, **style):
        return self.fig.text(x_in / A4[0], 1 - y_in / A4[1], text, fontsize=size, va="top",
                             **style)

    def draw(self, entry: Sequence[_Lines], gap: float = _GAP) -> None:
        for part in entry:
            for line in part.lines:
                self.text(self.left + part.indent, self.y, line, part.size, **dict(part.style))
                self.y += _line_height(part.size)
        self.y += gap

    def para(self, text: str, size: float = _BODY, *, gap: float = _GAP,
             max_lines: int | None = None, **style) -> None:
        bold = style.get("fontweight") == "bold"
        self.draw([_Lines(_wrap(text, self.width, size, max_lines, bold), size, 0.0,
                          tuple(style.items()))], gap)

    def heading(self, text: str) -> None:
        self.y += _HEADING_ABOVE
        self.para(text, _HEADING, gap=0.02, fontweight="bold")


_HEADING, _HEADING_ABOVE = 10.5, 0.07
_HEADING_H = _HEADING_ABOVE + _line_height(_HEADING) + 0.02


def _fmt(value: float | None, symbol: str) -> str:
    if value is None:
        return "no data"
    return fmt_number(value, 1) + (f" {symbol}" if symbol else "")


def _value_with_unit(c) -> str:
    """'10.0 % of the labour force (u: low reliability)'; 'no data: <why>' without a value."""
    if c.value is None:
        return c.value_text()
    unit = _plain(c.unit)
    text = fmt_number(c.value, 1) + (f" {unit}" if unit else "")
    return text + (f" ({c.flag_meaning})" if c.flag else "")


def _context_panel(s: _Sheet, profile: RegionProfile) -> None:
    """One row per indicator: label, year, value with its unit and its flag in words (or why
    there is none), rank, medians of the country's and of EU regions; the source credit
    heads each run of indicators from the same source."""
    s.heading("Need and crisis context (Eurostat regional figures)")
    if not profile.context:
        uk = profile.country in ("UK", "GB") or profile.layer == "uk_regions"
        why = ("Eurostat's regional figures do not cover the UK (it is in none of them)"
               if uk else "Eurostat's regional figures are for NUTS 2 and NUTS 3 regions")
        s.para(f"No data: {why}, so this layer ({LAYERS[profile.layer].label}) has no "
               "context figures. No data is not zero.", 9)
        return
    size, h = _BODY, _line_height(_BODY)
    country = _plain(profile.country_name, 40)
    cols = [("Indicator", 2.45), ("Year", 0.4), ("Value", 2.15), ("Rank (1 = highest)", 0.74),
            (f"Median, {country}'s regions", 0.8), ("Median, EU regions", 0.78)]
    xs = [s.left + sum(w for _, w in cols[:i]) for i in range(len(cols))]

    def row(cells: Sequence[str], **style) -> None:
        bold = style.get("fontweight") == "bold"
        wrapped = [_wrap(text, w - 0.07, size, 3, bold) for text, (_, w) in
                   zip(cells, cols, strict=True)]
        for x, lines in zip(xs, wrapped, strict=True):
            for i, line in enumerate(lines):
                s.text(x, s.y + i * h, line, size, **style)
        s.y += max(len(lines) for lines in wrapped) * h

    row([name for name, _ in cols], fontweight="bold", color="#333333")
    source = None
    for c in profile.context:
        if c.source != source:
            source = c.source
            s.y += 0.03
            s.text(s.left, s.y, _plain(source), size, color=_GREY)
            s.y += h
        symbol = INDICATORS[c.indicator].symbol if c.indicator in INDICATORS else ""
        row([_plain(c.label), str(c.year), _plain(_value_with_unit(c)),
             f"{c.rank} of {c.ranked}" if c.rank else "",
             _fmt(c.country_median, symbol), _fmt(c.eu_median, symbol)])
        s.y += 0.012
    s.y += 0.02
    s.para("Rank among the layer's regions with a value. Medians are of regions, not national "
           "or EU figures.", size, gap=0.0, color=_GREY)


def _head(parts: Sequence[str], width: float) -> _Lines:
    return _Lines(_wrap(" · ".join(p for p in parts if p), width, _BODY, 2), _BODY)


def _policy_entry(row: pd.Series, width: float) -> list[_Lines]:
    """'[this region] · L.R. 23/2014 · law · adopted 2014-05-20 · <title>' (the title last,
    so a long one is what gets shortened) and its source URL."""
    date = _plain(row.get("date_adopted"))[:10]
    return [_head([f"[{_plain(row.get('scope'))}]", _plain(row.get("number")),
                   _plain(row.get("policy_type")), f"adopted {date}" if date else "",
                   _plain(row.get("title"))], width),
            _source_lines(row, width)]


def _figure_entry(row: pd.Series, width: float) -> list[_Lines]:
    """'[national] · social cooperatives · 14,343 <unit> · 2023 · <publisher>' and its URL."""
    value = pd.to_numeric(pd.Series([row.get("value")]), errors="coerce").iloc[0]
    return [_head([f"[{_plain(row.get('scope'))}]",
                   _plain(row.get("indicator")).replace("_", " "),
                   f"{fmt_number(value)} {_plain(row.get('unit'))}".strip(),
                   _plain(row.get("year")), _plain(row.get("publisher"))], width),
            _source_lines(row, width)]


def _source_lines(row: pd.Series, width: float) -> _Lines:
    """The row's source URL in link colour, clickable when it is http(s)."""
    url = _plain(row.get("source_url"), 2000)
    if not url:
        return _Lines(["source: not given"], _URL, 0.15, (("color", _GREY),))
    style: tuple = (("color", _LINK),)
    if _link(url):
        style += (("url", url),)
    return _Lines(_wrap_url(url, width - 0.15, _URL), _URL, 0.15, style)


_MORE_H = _line_height(_BODY) + _GAP


def _fit(entries: list[list[_Lines]], room: float, total: int) -> int:
    """How many of `total` entries (the first of which are `entries`) fit in `room` inches,
    keeping a line for '… and N more' when not all are shown."""
    heights = [_entry_height(e) for e in entries]
    if len(entries) == total and sum(heights) <= room:
        return total
    used, n = _MORE_H, 0
    for height in heights:
        if used + height > room:
            break
        used, n = used + height, n + 1
    return n


def _by_scope(frame: pd.DataFrame) -> pd.DataFrame:
    """The region's own rows first, then wider, national, EU (stable within a scope)."""
    if "scope" not in frame or frame.empty:
        return frame
    order = frame["scope"].map(_SCOPE_ORDER).fillna(len(_SCOPE_ORDER))
    return frame.iloc[np.argsort(order.to_numpy(), kind="stable")]


def _listing(s: _Sheet, entries: list[list[_Lines]], total: int, room: float) -> None:
    """As many entries as fit in `room`, then '… and N more' for the rest of `total`."""
    n = _fit(entries, room, total)
    for entry in entries[:n]:
        s.draw(entry)
    if n < total:
        s.para(f"… and {total - n} more: see the region profile.", color=_GREY)


def _territory_page(fig: Figure, profile: RegionProfile, stamp: str) -> None:
    """Page 2: summary, context panel, policies in force, official SSE figures. The policies
    get the room they need, the official figures at least 35 % of what is left."""
    s = _Sheet(fig)
    s.para("SSE Atlas · region brief", 9, gap=0.04, color=_GREY)
    s.para("The territory: need, policies, official SSE figures", 16, gap=0.02,
           fontweight="bold")
    s.para(f"{_plain(profile.name)} ({_plain(profile.code)}) · {LAYERS[profile.layer].label} · "
           f"{_plain(profile.country_name)}", 10.5, gap=0.0, color="#333333")
    s.heading("In short")
    s.para(_plain(profile.summary(), 3000), 8.5, gap=0.0)
    _context_panel(s, profile)

    width = s.width
    policies, figures = _by_scope(profile.policies), _by_scope(profile.official_figures)
    pol = [_policy_entry(r, width) for _, r in policies.iterrows()]
    shown = [_figure_entry(r, width) for _, r in figures.head(BRIEF_MAX_FIGURES).iterrows()]
    caveat = _Lines(_wrap(FIGURES_CAVEAT, width, _BODY), _BODY, 0.0, (("color", _GREY),))
    none_h = _line_height(9) * 2 + _GAP
    pol_need = _HEADING_H + (sum(map(_entry_height, pol)) if pol else none_h)
    fig_need = (_HEADING_H + caveat.height + _GAP
                + (sum(map(_entry_height, shown)) if shown else none_h)
                + (_MORE_H if len(figures) > len(shown) else 0.0))
    room = s.room
    fig_room = min(fig_need, max(0.35 * room, room - pol_need))

    s.heading(f"Policies supporting SSE in force here ({len(pol)})")
    if pol:
        _listing(s, pol, len(pol), room - fig_room - _HEADING_H)
    else:
        s.para("No SSE policy is recorded for this region or its country in the atlas's "
               "compilation (which may be incomplete).", 9)
    s.heading(f"Official SSE figures ({len(figures)})")
    s.draw([caveat])
    if shown:
        _listing(s, shown, len(figures), s.room)
    else:
        s.para("No official SSE figure is recorded for this region or its country in the "
               "atlas's compilation.", 9)

    fig.text(0.06, 0.03, textwrap.fill(
        "Context figures: Eurostat, as credited above each group of indicators, with "
        "Eurostat's flags in words; no data is never shown as 0. Policies and official figures: "
        "compiled by SSE Atlas from the sources linked above; the compilation may be "
        "incomplete.", 140), fontsize=7, color="#222222", va="bottom", linespacing=1.35)
    fig.text(0.06, 0.012, stamp, fontsize=6.5, color=_GREY)
