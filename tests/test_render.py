"""Take-aways: the map PNG (size, legend as on the live map, attribution) and the one-page PDF
region brief (pages, page size, attribution text), on the shipped data."""

from __future__ import annotations

import io

import pandas as pd
import pytest
from PIL import Image
from pypdf import PdfReader

from atlas.analysis.indicators import region_table
from atlas.analysis.profile import build_profile
from atlas.geo.regions import load_layer
from atlas.model import credits
from atlas.model.classify import PALETTE_HIGH_CONTRAST
from atlas.model.filters import Filters
from atlas.present import render
from atlas.present.mapview import choropleth_group, map_shapes


@pytest.fixture(scope="module")
def shipped():
    from atlas.store.initiatives import load_initiatives

    layers = {lid: load_layer(lid) for lid in ("countries", "uk_regions")}
    return load_initiatives(), layers


def _table(df, layers, layer_id, filters=Filters()):
    regions = pd.DataFrame(layers[layer_id].drop(columns="geometry"))
    return region_table(df, regions, layer_id, filters)


def _png_args(df, layers):
    table = _table(df, layers, "uk_regions", Filters(themes=("employment",)))
    return dict(
        title="Employment and work integration",
        subtitle="UK regions · themes: employment",
        legend_title="Initiatives per 100,000 inhabitants",
        unit="initiatives per 100k inhabitants",
        scheme="quantiles",
        attribution=credits.attribution_lines("uk_regions"),
        palette=PALETTE_HIGH_CONTRAST,
        selected="UKM",
        outlines=layers["countries"],
        center=(54.6, -3.4),
        zoom=5,
    ), table.set_index("code")["per_100k"]


@pytest.mark.parametrize(("size", "pixels"), [("1920x1080", (1920, 1080)),
                                               ("1280x720", (1280, 720))])
def test_map_png_has_the_size_and_carries_the_attribution(shipped, size, pixels):
    df, layers = shipped
    kwargs, values = _png_args(df, layers)
    data = render.map_png(layers["uk_regions"], values, size=size, **kwargs)
    image = Image.open(io.BytesIO(data))
    assert image.format == "PNG" and image.size == pixels
    assert "Made with Natural Earth" in image.text["Copyright"]
    assert "Co-operatives UK" in image.text["Copyright"]
    assert image.text["Title"] == "Employment and work integration"
    colours = {c for _, c in image.convert("RGB").getcolors(1 << 20)}
    assert (0x44, 0x01, 0x54) in colours  # the palette's darkest class is drawn


def test_map_figure_draws_title_legend_and_attribution_text(shipped):
    df, layers = shipped
    kwargs, values = _png_args(df, layers)
    fig = render.map_figure(layers["uk_regions"], values, **kwargs)
    texts = " ".join(t.get_text() for t in fig.texts)
    assert "Employment and work integration" in texts
    assert "© EuroGeographics for the administrative boundaries" in texts
    assert "Made with Natural Earth" in texts and "Co-operatives UK open data" in texts
    legend = fig.axes[0].get_legend()
    labels = [t.get_text() for t in legend.get_texts()]
    assert labels[-1] == "no data (0 regions)"


def test_png_legend_matches_the_live_map(shipped):
    df, layers = shipped
    _, values = _png_args(df, layers)
    shapes = map_shapes(layers["uk_regions"])
    _, summary = choropleth_group(
        shapes, values.to_frame("v"), "v", title="t", unit="u", scheme="quantiles",
        palette=PALETTE_HIGH_CONTRAST,
    )
    codes = list(shapes.codes)
    static = render.legend_classes(values.reindex(codes), "quantiles", False,
                                   PALETTE_HIGH_CONTRAST)
    assert static.labels == summary["labels"]
    assert static.fills == summary["colours"]
    assert static.no_data == summary["no_data"]


def test_region_brief_is_one_a4_page_with_figures_and_sources(shipped):
    df, layers = shipped
    countries = pd.DataFrame(layers["countries"].drop(columns="geometry"))
    regions = pd.DataFrame(layers["uk_regions"].drop(columns="geometry"))
    filters = Filters(themes=("social_services",))
    profile = build_profile(df, regions, "uk_regions", "UKJ", filters, countries)
    data = render.region_brief_pdf(
        profile, regions=layers["uk_regions"], outlines=layers["countries"],
        filters_text="themes: Social and care services",
        permalink="/?layer=uk_regions&region=UKJ",
    )
    assert data.startswith(b"%PDF-")
    reader = PdfReader(io.BytesIO(data))
    assert len(reader.pages) == 1
    box = reader.pages[0].mediabox
    assert (round(float(box.width)), round(float(box.height))) == (595, 842)  # A4 in points
    text = " ".join(reader.pages[0].extract_text().split())
    assert "South East" in text and "UKJ" in text
    assert f"Initiatives {profile.initiatives}" in text
    assert "Theme mix" in text and "Where" in text
    assert "© EuroGeographics for the administrative boundaries" in text
    assert "Made with Natural Earth" in text
    assert "Co-operatives UK open data (ODC-By 1.0)" in text
    assert "Sources and licences" in text
    assert reader.metadata.title == "Region brief: South East (UKJ)"
