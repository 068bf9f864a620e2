"""Bivariate map (SSE presence × one need indicator): the 3 × 3 classes and their words, the
folium layer with its square legend, and the PNG with the same square."""

from __future__ import annotations

import io
import re

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from PIL import Image

from atlas.model.classify import (
    BIVARIATE_NO_DATA_COLOUR,
    BIVARIATE_PALETTE,
    NO_DATA_COLOUR,
    Y_WORDS,
    bivariate_cell_words,
    bivariate_classes,
    ink,
    legend_labels,
    quantile_bounds,
)
from atlas.present import render
from atlas.present.mapview import bivariate_group, bivariate_legend_html, map_shapes

HOSTILE = "<script>alert(1)</script>"
CORNERS = ["few initiatives, high need", "many initiatives, high need",
           "few initiatives, low need", "many initiatives, low need"]

# Nine regions on a 3 × 3 grid, listed out of order: x (initiatives per 100k) 0 / 5 / 9,
# y (youth unemployment, %) 10 / 20 / 30; each region's cell is row * 3 + col.
NINE = pd.DataFrame(
    {"x": [9.0, 0.0, 5.0, 0.0, 9.0, 5.0, 5.0, 0.0, 9.0],
     "y": [30.0, 10.0, 20.0, 30.0, 10.0, 30.0, 10.0, 20.0, 20.0]},
    index=[f"R{i}" for i in range(9)],
)
NINE_CELLS = [8, 0, 4, 6, 2, 7, 1, 3, 5]


def _luminance(colour: str) -> float:
    r, g, b = (int(colour[i:i + 2], 16) for i in (1, 3, 5))
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


# -- classes -------------------------------------------------------------------------------


def test_nine_hand_made_regions_get_their_cells():
    bi = bivariate_classes(NINE["x"], NINE["y"])
    assert bi.cell.tolist() == NINE_CELLS
    assert bi.x.bounds == (0.0, 5.0, 9.0) and bi.y.bounds == (10.0, 20.0, 30.0)
    assert bi.counts() == [1] * 9 and bi.no_data == 0
    assert bi.fills() == [BIVARIATE_PALETTE[c] for c in NINE_CELLS]


def test_a_missing_x_or_y_is_no_data_and_bounds_use_regions_with_both():
    x = pd.concat([NINE["x"], pd.Series([1000.0, np.nan, np.nan])], ignore_index=True)
    y = pd.concat([NINE["y"], pd.Series([np.nan, 99.0, np.nan])], ignore_index=True)
    bi = bivariate_classes(x, y)
    assert bi.cell.tolist() == [*NINE_CELLS, -1, -1, -1]
    assert bi.no_data == 3 and sum(bi.counts()) == 9
    # the x of 1000 and the y of 99 have no partner: they move no bound
    assert bi.x.bounds == (0.0, 5.0, 9.0) and bi.y.bounds == (10.0, 20.0, 30.0)
    assert bi.fills()[9:] == [BIVARIATE_NO_DATA_COLOUR] * 3


def test_zero_initiatives_is_the_lowest_class_not_no_data():
    bi = bivariate_classes(pd.Series([0.0, 0.0, 3.0, 7.0]), pd.Series([1.0, 9.0, 5.0, 5.0]))
    assert bi.no_data == 0
    assert bi.x.index[:2].tolist() == [0, 0] and bi.cell[0] == 0  # few initiatives, low need


def test_many_zeros_give_distinct_non_empty_classes():
    # Plain terciles: 0, 6.67, 30 -> a middle class (0, 6.67] holding no region, labelled
    # like its neighbour. Snapped to the data, the zeros are one class, the rest another.
    x = pd.Series([0.0] * 5 + [10.0, 20.0, 30.0])
    y = pd.Series(np.arange(8, dtype=float))
    assert np.allclose(quantile_bounds(x.to_numpy(), 3), [0.0, 20 / 3, 30.0])
    bi = bivariate_classes(x, y)
    assert bi.x.bounds == (0.0, 30.0)
    assert np.all(np.diff(bi.x.bounds) > 0)
    assert (np.bincount(bi.x.index) > 0).all()
    assert bi.x.index.tolist() == [0] * 5 + [1] * 3
    assert bi.cols == (0, 2)  # two classes: "few" and "many", never a gap in the middle
    labels = legend_labels(bi.x, integer=True)
    assert labels == ["0", "1 – 30"] and len(set(labels)) == len(labels)
    many = pd.Series([0.0] * 12 + [1.0, 2.0, 3.0, 4.0, 5.0, 6.0])
    classes = bivariate_classes(many, pd.Series(np.arange(18.0))).x
    assert len(set(classes.bounds)) == len(classes.bounds) and classes.bounds[0] == 0.0


def test_few_distinct_values_give_fewer_classes():
    one = bivariate_classes(pd.Series([2.0, 2.0, 2.0]), pd.Series([1.0, 2.0, 3.0]))
    assert one.x.k == 1 and one.cols == (0,) and one.y.k == 3
    assert one.cell.tolist() == [0, 3, 6]
    two = bivariate_classes(pd.Series([0.0, 1.0, 0.0, 1.0]), pd.Series([1.0, 1.0, 2.0, 2.0]))
    assert two.x.bounds == (0.0, 1.0) and two.rows == (0, 2)
    assert two.cell.tolist() == [0, 2, 6, 8]
    empty = bivariate_classes(pd.Series([np.nan, 1.0]), pd.Series([1.0, np.nan]))
    assert empty.no_data == 2 and empty.counts() == [0] * 9 and empty.x.k == 0


def test_corner_words_and_other_nouns():
    assert bivariate_cell_words(0, 0) == "few initiatives, low need"
    assert bivariate_cell_words(0, 2) == "many initiatives, low need"
    assert bivariate_cell_words(2, 0) == "few initiatives, high need"
    assert bivariate_cell_words(2, 2) == "many initiatives, high need"
    assert bivariate_cell_words(1, 1) == "some initiatives, medium need"
    share = bivariate_cell_words(2, 0, x_words=Y_WORDS, x_noun="share", y_noun="unemployment")
    assert share == "low share, high unemployment"
    assert bivariate_cell_words(-1, 0) == "no data"
    with pytest.raises(ValueError):
        bivariate_cell_words(3, 0)


def test_palette_orientation_and_no_data_colour():
    p = BIVARIATE_PALETTE
    assert len(set(p)) == 9
    assert p[0] == "#e8e8e8"  # low need, few initiatives: light grey
    assert p[2 * 3 + 0] == "#be64ac"  # high need, few initiatives: the strong pink corner
    assert p[2 * 3 + 2] == "#3b4994"  # high need, many initiatives: the darkest
    assert p[2] == "#5ac8c8"  # low need, many initiatives: teal
    assert min(p, key=_luminance) == p[8] and max(p, key=_luminance) == p[0]
    # the choropleth grey would pass for low/low; the bivariate no-data grey does not
    assert abs(_luminance(NO_DATA_COLOUR) - _luminance(p[0])) < 20
    assert abs(_luminance(BIVARIATE_NO_DATA_COLOUR) - _luminance(p[0])) > 80
    assert BIVARIATE_NO_DATA_COLOUR not in p
    assert ink("#3b4994") == "#ffffff" and ink("#e8e8e8") == "#000000"


# -- the folium layer and its legend -------------------------------------------------------


def _squares(n: int) -> list[shapely.Polygon]:
    return [shapely.box(10 + i % 3, 45 + i // 3, 10.9 + i % 3, 45.9 + i // 3) for i in range(n)]


def _gdf() -> gpd.GeoDataFrame:
    """The nine regions plus R9 (hostile name, x only) and R10 (y only)."""
    codes = [*NINE.index, "R9", "R10"]
    names = [f"Region {i}" for i in range(9)] + [HOSTILE, "Ten"]
    return gpd.GeoDataFrame({"code": codes, "name": names}, geometry=_squares(11),
                            crs="EPSG:4326")


def _table() -> pd.DataFrame:
    extra = pd.DataFrame({"x": [4.0, np.nan], "y": [np.nan, 25.0]}, index=["R9", "R10"])
    return pd.concat([NINE, extra])


def _group(**kwargs):
    return bivariate_group(map_shapes(_gdf()), _table(), "x", "y",
                           x_title="initiatives per 100k", y_title="youth unemployment",
                           y_unit="%", **kwargs)


def _children(group):
    layer = next(c for c in group._children.values() if hasattr(c, "props"))
    legend = next(c for c in group._children.values() if hasattr(c, "html"))
    return {p["code"]: p for p in layer.props}, legend.html


def test_each_region_gets_the_colour_of_its_cell():
    group, summary = _group(selected="R4")
    props, _ = _children(group)
    for code, cell in zip(NINE.index, NINE_CELLS, strict=True):
        assert props[code]["fill"] == BIVARIATE_PALETTE[cell], code
        assert summary["cells"][code] == cell
    assert props["R9"]["fill"] == props["R10"]["fill"] == BIVARIATE_NO_DATA_COLOUR
    assert set(props["R0"]) == {"code", "fill", "tip", "selected"}
    assert props["R4"]["selected"] and not props["R0"]["selected"]
    assert summary["counts"] == [1] * 9 and summary["no_data"] == 2
    assert summary["x_bounds"] == (0.0, 5.0, 9.0) and summary["y_bounds"] == (10.0, 20.0, 30.0)
    assert summary["words"][6] == "few initiatives, high need"
    assert summary["colours"] == list(BIVARIATE_PALETTE)


def test_tooltips_show_both_values_and_words_and_escape_names():
    props, _ = _children(_group()[0])
    tip = props["R0"]["tip"]  # x 9, y 30
    assert "initiatives per 100k: <b>9</b>" in tip and "youth unemployment: <b>30%</b>" in tip
    assert "many initiatives, high need" in tip
    hostile = props["R9"]["tip"]
    assert "<script>" not in hostile and "&lt;script&gt;alert(1)&lt;/script&gt;" in hostile
    assert "youth unemployment: <b>no data</b>" in hostile and "no data" in hostile.split("<i>")[1]
    assert "initiatives per 100k: <b>no data</b>" in props["R10"]["tip"]


def test_titles_and_words_from_outside_are_escaped():
    group, _ = _group(x_noun="<b>x</b>", note=HOSTILE, x_axis=HOSTILE)
    props, html = _children(group)
    assert "<b>x</b>" not in html and "&lt;b&gt;x&lt;/b&gt;" in html
    assert "<script>" not in html and "<b>x</b>" not in props["R0"]["tip"]


SWATCH = re.compile(r'<td class="atlas-bivariate-cell" title="([^"]*)" style="[^"]*'
                    r'background:(#[0-9a-f]{6});[^"]*">(\d+)</td>')


def test_legend_has_nine_swatches_high_need_on_top_corner_words_counts_and_no_data():
    # uneven counts (the terciles stay as they are): a second region in the cells of
    # few / high, some / medium and many / low
    more = pd.DataFrame({"x": [0.0, 5.0, 9.0], "y": [30.0, 20.0, 10.0]},
                        index=["R11", "R12", "R13"])
    table = pd.concat([_table(), more])
    gdf = gpd.GeoDataFrame({"code": list(table.index), "name": list(table.index)},
                           geometry=_squares(14), crs="EPSG:4326")
    group, summary = bivariate_group(map_shapes(gdf), table, "x", "y",
                                     x_title="initiatives per 100k", y_title="youth unemployment")
    _, html = _children(group)
    swatches = SWATCH.findall(html)
    assert len(swatches) == 9
    colours = [c for _, c, _ in swatches]
    assert colours == [*BIVARIATE_PALETTE[6:9], *BIVARIATE_PALETTE[3:6], *BIVARIATE_PALETTE[0:3]]
    counts = {c: int(n) for _, c, n in swatches}
    assert counts == dict(zip(BIVARIATE_PALETTE, summary["counts"], strict=True))
    assert summary["counts"] == [1, 1, 2, 1, 2, 1, 2, 1, 1]
    assert swatches[0][0] == "few initiatives, high need: 2 regions (0; 21 – 30)"
    assert swatches[1][0] == "some initiatives, high need: 1 regions (1 – 5; 21 – 30)"
    for words in CORNERS:
        assert words in html
    assert "more initiatives per 100k →" in html and "↑ higher youth unemployment" in html
    assert "no data (2 regions)" in html and BIVARIATE_NO_DATA_COLOUR in html
    for label in summary["x_labels"] + summary["y_labels"]:
        assert f">{label}<" in html


def test_large_legend_has_larger_text_and_swatches():
    args = ("x →", "y", [1] * 9, BIVARIATE_PALETTE, ["a", "b", "c"], ["d", "e", "f"],
            [f"w{i}" for i in range(9)], 0)
    small, large = bivariate_legend_html(*args), bivariate_legend_html(*args, large=True)
    assert "font:12px" in small and "font:16px" in large
    assert "width:30px" in small and "width:46px" in large
    with pytest.raises(ValueError):
        bivariate_legend_html("x", "y", [1] * 8, BIVARIATE_PALETTE[:8], ["a"], ["b"],
                              ["w"] * 8, 0)


def test_an_axis_with_two_classes_shows_two_columns_and_their_corners():
    table = pd.DataFrame({"x": [0.0, 0.0, 0.0, 4.0, 4.0, 4.0], "y": [1.0, 2.0, 3.0] * 2},
                         index=[f"R{i}" for i in range(6)])
    gdf = gpd.GeoDataFrame({"code": list(table.index), "name": list(table.index)},
                           geometry=_squares(6), crs="EPSG:4326")
    group, summary = bivariate_group(map_shapes(gdf), table, "x", "y", x_title="a",
                                     y_title="b")
    _, html = _children(group)
    assert summary["cols"] == (0, 2) and len(SWATCH.findall(html)) == 6
    assert "some initiatives" not in html and all(words in html for words in CORNERS)


# -- the PNG -------------------------------------------------------------------------------


def _png_kwargs() -> dict:
    return dict(title="SSE and youth unemployment", subtitle="synthetic regions",
                x_title="initiatives per 100k", y_title="youth unemployment", y_unit="%",
                attribution=["synthetic test regions"], selected="R4", center=(46.5, 11.5),
                zoom=6)


def _values() -> tuple[pd.Series, pd.Series]:
    table = _table()
    return table["x"], table["y"]


def test_bivariate_png_is_a_png_of_the_size_with_the_palette_drawn():
    x, y = _values()
    data = render.bivariate_png(_gdf(), x, y, size="1280x720", **_png_kwargs())
    assert data.startswith(b"\x89PNG\r\n\x1a\n")
    image = Image.open(io.BytesIO(data))
    assert image.size == (1280, 720) and image.text["Title"] == "SSE and youth unemployment"
    assert image.text["Copyright"] == "synthetic test regions"
    drawn = {c for _, c in image.convert("RGB").getcolors(1 << 20)}
    for colour in ("#be64ac", "#3b4994", "#5ac8c8", BIVARIATE_NO_DATA_COLOUR):
        assert tuple(int(colour[i:i + 2], 16) for i in (1, 3, 5)) in drawn, colour


def test_bivariate_figure_draws_the_square_legend_in_words():
    from matplotlib.patches import Rectangle
    from matplotlib.text import Text

    x, y = _values()
    fig = render.bivariate_figure(_gdf(), x, y, **_png_kwargs())
    texts = [t.get_text() for t in fig.findobj(Text)]
    assert "↑ higher youth unemployment" in texts and "more initiatives per 100k →" in texts
    for words in CORNERS:
        assert words in texts
    assert "no data (2 regions)" in texts
    assert texts.count("1") >= 9  # each swatch's number of regions
    assert "21 – 30%" in texts and "6 –\n9" in texts  # class ranges of both axes
    assert "synthetic test regions" in " ".join(texts)
    panel = fig.axes[-1]
    swatches = [p for p in panel.patches if isinstance(p, Rectangle)
                and p.get_width() == pytest.approx(render._BI_CELL)]
    fills = sorted("#{:02x}{:02x}{:02x}".format(*(round(v * 255) for v in p.get_facecolor()[:3]))
                   for p in swatches)
    assert fills == sorted(BIVARIATE_PALETTE)
    # the legend is large enough to read on a projector: no text under 10 pt
    assert min(t.get_fontsize() for t in panel.texts) >= 10


def test_png_square_matches_the_live_map():
    x, y = _values()
    gdf = _gdf()
    _, summary = bivariate_group(map_shapes(gdf), _table(), "x", "y", x_title="a",
                                 y_title="b", y_unit="%")
    codes = gdf["code"].to_numpy()
    static = render.bivariate_legend(x.reindex(codes), y.reindex(codes), y_unit="%")
    assert static.counts == summary["counts"] and static.words == summary["words"]
    assert static.x_labels == summary["x_labels"] and static.y_labels == summary["y_labels"]
    assert static.bi.no_data == summary["no_data"]
    assert static.bi.cell.tolist() == list(summary["cells"].values())


# -- a need read from a low value (employment rate, GDP): classes on -y, same on both ------


def test_png_square_matches_the_live_map_for_a_reversed_need():
    x, y = _values()
    gdf = _gdf()
    _, summary = bivariate_group(map_shapes(gdf), _table(), "x", "y", x_title="a",
                                 y_title="b", y_unit="%", y_reverse=True)
    codes = gdf["code"].to_numpy()
    static = render.bivariate_legend(x.reindex(codes), y.reindex(codes), y_unit="%",
                                     y_reverse=True)
    assert static.bi.cell.tolist() == list(summary["cells"].values())
    assert static.counts == summary["counts"] and static.y_labels == summary["y_labels"]
    # in y's own units, low need (the highest values) first, the unit once per range
    assert static.y_labels == ["30%", "20 – 30%", "10 – 20%"]
    # the lowest y (10) is now the high-need row: R1 (x 0, y 10) is few / high
    assert summary["cells"]["R1"] == 6 and summary["words"][6] == "few initiatives, high need"


@pytest.fixture(scope="module")
def employment_view():
    """The map page's table of NUTS 2 regions with their context, and a bivariate view of
    initiatives per 100k against the employment rate, centred on southern Italy."""
    from atlas.analysis.indicators import region_table
    from atlas.model.context import INDICATORS
    from atlas.model.filters import Filters
    from atlas.model.views import MapView
    from atlas.store.context import context_layer_table
    from atlas.store.initiatives import load_initiatives

    assert INDICATORS["employment_rate"].need == "low"
    view = MapView(layer="nuts2", metric="per_100k", need="employment_rate", region="ITF4",
                   lat=40.6, lon=15.8, zoom=7)
    assert view.bivariate
    table = region_table(load_initiatives(), context_layer_table("nuts2"), "nuts2", Filters())
    return view, Filters(), table


def test_png_take_away_of_a_low_need_view_colours_regions_as_the_live_map(
        employment_view, monkeypatch):
    """The take-away PNG of a bivariate view with need == 'low' draws each region in the cell
    the live map gives it (`bivariate_group(...)[1]['cells']`), checked on the drawn pixels,
    with the live map's need labels and axis phrase."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.text import Text

    from ui import presenter, takeaways

    view, filters, table = employment_view
    _, live = presenter.regions_group(view, filters, table)
    drawn = {}

    def capture(*args, size, **kwargs):
        drawn["args"] = args
        drawn["fig"] = render.bivariate_figure(*args, **kwargs)
        return b""

    monkeypatch.setattr(render, "bivariate_png", capture)
    takeaways.map_png_maker(filters, view, table, "1280x720")()
    fig, (regions, x, y) = drawn["fig"], drawn["args"]
    # the reversal matters here: unreversed, Puglia (55.2 % employed) would be low need
    codes = regions["code"].to_numpy()
    plain = bivariate_classes(x.reindex(codes), y.reindex(codes)).cell
    puglia = list(codes).index("ITF4")
    assert live["cells"]["ITF4"] // 3 == 2 and plain[puglia] // 3 == 0

    texts = [" ".join(t.get_text().split("\n")) for t in fig.findobj(Text)]
    joined = " ".join(texts)  # axis titles and need ranges wrap over lines
    assert "↑ lower employment rate (20–64), 2025" in joined
    assert "few initiatives, high need" in texts and "many initiatives, low need" in texts
    assert live["y_labels"][0].endswith("%")  # the unit's symbol, once
    for label in live["y_labels"]:
        assert label in texts

    canvas = FigureCanvasAgg(fig)
    canvas.draw()
    pixels = np.asarray(canvas.buffer_rgba())
    ax = fig.axes[0]
    checked = 0
    for code in ("ITF4", "ITF3", "ITF5", "ITF6", "ITF2"):
        shape = regions[regions["code"] == code]
        point = shape.representative_point().to_crs("EPSG:3857").iloc[0]
        px, py = ax.transData.transform((point.x, point.y))
        rgb = pixels[round(fig.bbox.height - py), round(px), :3]
        colour = "#{:02x}{:02x}{:02x}".format(*rgb)
        cell = live["cells"][code]
        assert colour == (BIVARIATE_PALETTE[cell] if cell >= 0 else BIVARIATE_NO_DATA_COLOUR), code
        checked += 1
    assert checked == 5
