"""Take-aways: the map PNG (size, legend as on the live map, attribution) and the two-page PDF
region brief (pages, page size, attribution text; page 2: the territory, its policies with
clickable sources, official figures, no data for the UK), on the shipped data."""

from __future__ import annotations

import dataclasses
import io
import re

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


def test_region_brief_is_two_a4_pages_with_figures_and_sources(shipped):
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
    assert len(reader.pages) == 2
    for page in reader.pages:
        box = page.mediabox
        assert (round(float(box.width)), round(float(box.height))) == (595, 842)  # A4, points
    text = " ".join(reader.pages[0].extract_text().split())
    assert "South East" in text and "UKJ" in text
    assert f"Initiatives {profile.initiatives}" in text
    assert "Theme mix" in text and "Where" in text
    assert "© EuroGeographics for the administrative boundaries" in text
    assert "Made with Natural Earth" in text
    assert "Co-operatives UK open data (ODC-By 1.0)" in text
    assert "Sources and licences" in text
    assert reader.metadata.title == "Region brief: South East (UKJ)"


# -- page 2: the territory ------------------------------------------------------------------

PUGLIA_LAW_URL = ("https://comune.tricase.le.it/vivere-il-comune/attivita/notizie/item/"
                  "regolamento-regionale-15-11-2017-n-22-iscrizione-e-tenuta-dell-albo-regionale"
                  "-delle-cooperative-di-comunita-della-lr-23-2014-in-attuazione-dell-art-5-della"
                  "-l-r-23-2014?category_id=10103")


@pytest.fixture(scope="module")
def puglia(shipped):
    from atlas.store.context import context_layer_table, load_official_figures, load_policies

    df, layers = shipped
    countries = pd.DataFrame(layers["countries"].drop(columns="geometry"))
    profile = build_profile(df, context_layer_table("nuts2"), "nuts2", "ITF4", Filters(),
                            countries, policies=load_policies(),
                            figures=load_official_figures())
    return profile, load_layer("nuts2"), layers["countries"]


def _brief(profile, regions, outlines) -> PdfReader:
    data = render.region_brief_pdf(profile, regions=regions, outlines=outlines,
                                   filters_text="none")
    return PdfReader(io.BytesIO(data))


def _links(page) -> list[str]:
    return [a.get_object()["/A"]["/URI"] for a in page.get("/Annots", [])]


def test_brief_page_two_shows_the_territory_of_puglia(puglia):
    profile, regions, outlines = puglia
    reader = _brief(profile, regions, outlines)
    assert len(reader.pages) == 2
    text = reader.pages[1].extract_text()
    flat = " ".join(text.split())
    assert "The territory: need, policies, official SSE figures" in flat
    assert "Puglia (ITF4)" in flat
    assert flat.startswith("SSE Atlas · region brief")
    # the summary, then one row per context indicator with its rank, medians and source
    assert " ".join(profile.summary().split()) in flat
    for c in profile.context:
        assert c.label.split(" (")[0] in flat, c.label
    youth = next(c for c in profile.context if c.indicator == "youth_unemployment")
    assert f"24.6 % of the labour force aged 15–29 {youth.rank} of {youth.ranked}" in flat
    labour = credits.context_source("ryb2026_labour").attribution  # from the sidecar
    assert " ".join(labour.split()) in flat
    assert "Source: Eurostat (nama_10r_3gdp)" in flat
    # the regional law, its source printed (wrapped over lines) and clickable
    assert "[this region] · L.R. 23/2014 · law · adopted 2014-05-20 · Disciplina delle " \
        "Cooperative di comunità" in flat
    assert PUGLIA_LAW_URL in "".join(text.split())
    assert PUGLIA_LAW_URL in _links(reader.pages[1])
    # official figures: the caveat, at most 12, the rest counted
    assert "never merged into one series" in flat
    total = len(profile.official_figures)
    assert total > render.BRIEF_MAX_FIGURES
    tail = flat.split(f"Official SSE figures ({total})")[1]
    more = re.search(r"… and (\d+) more: see the region profile\.", tail)
    assert more and 1 <= total - int(more[1]) <= render.BRIEF_MAX_FIGURES
    assert "[this region] · nonprofit institutions · 19,274 institutions · 2022" in tail
    assert reader.metadata.title == "Region brief: Puglia (ITF4)"


def test_brief_page_two_prints_text_from_data_as_written(puglia):
    """A policy title with `$x$` (mathtext) and `<b>` (markup) is printed literally; a
    `javascript:` source is printed but never a link."""
    profile, regions, outlines = puglia
    hostile = pd.DataFrame([
        {"scope": "this region", "number": "N. $1$", "title": "Budget $x$ and <b>bold</b>",
         "date_adopted": "2024-01-02", "policy_type": "law", "subject": "social_economy",
         "source_url": "https://example.org/a$b$?q=<b>"},
        {"scope": "national", "number": "X/1", "title": r"$\notacommand$ \n newline",
         "date_adopted": "2020", "policy_type": "plan", "subject": "x",
         "source_url": "javascript:alert(1)"},
    ])
    profile = dataclasses.replace(profile, policies=hostile, name="Puglia $y^2$")
    page = _brief(profile, regions, outlines).pages[1]
    text = page.extract_text()
    flat = " ".join(text.split())
    assert "[this region] · N. $1$ · law · adopted 2024-01-02 · Budget $x$ and <b>bold</b>" \
        in flat
    assert r"$\notacommand$" in flat and "Puglia $y^2$ (ITF4)" in flat
    assert "https://example.org/a$b$?q=<b>" in "".join(text.split())
    assert "javascript:alert(1)" in flat
    links = _links(page)
    assert "https://example.org/a$b$?q=<b>" in links
    assert not any(link.startswith("javascript") for link in links)


def test_brief_page_two_of_a_uk_region_says_no_data(shipped):
    from atlas.store.context import load_official_figures, load_policies

    df, layers = shipped
    countries = pd.DataFrame(layers["countries"].drop(columns="geometry"))
    regions = pd.DataFrame(layers["uk_regions"].drop(columns="geometry"))
    profile = build_profile(df, regions, "uk_regions", "UKM", Filters(), countries,
                            policies=load_policies(), figures=load_official_figures())
    page = _brief(profile, layers["uk_regions"], layers["countries"]).pages[1]
    flat = " ".join(page.extract_text().split())
    assert "No data: Eurostat's regional figures do not cover the UK" in flat
    assert "No data is not zero." in flat
    assert "Policies supporting SSE in force here (0)" in flat
    assert "Official SSE figures (0)" in flat


def test_page_two_keeps_long_text_on_the_page(puglia):
    """Wrapping measures DejaVu Sans: no line of a crowded page leaves the page or runs into
    the footer, even with long titles and URLs."""
    import matplotlib
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    profile, _, _ = puglia
    long = pd.DataFrame([{"scope": "national", "number": "W" * 40, "title": "Wide " * 200,
                          "date_adopted": "2020", "policy_type": "law", "subject": "x",
                          "source_url": "https://example.org/" + "W" * 900}] * 30)
    profile = dataclasses.replace(profile, policies=long)
    with matplotlib.rc_context(render._RC):
        fig = Figure(figsize=render.A4)
        render._territory_page(fig, profile, "stamp")
        renderer = FigureCanvasAgg(fig).get_renderer()
        footer_top = fig.texts[-2].get_window_extent(renderer).y1
        for t in fig.texts[:-2]:
            box = t.get_window_extent(renderer)
            assert box.x0 >= 0 and box.x1 <= fig.bbox.width, t.get_text()[:40]
            assert box.y0 >= footer_top and box.y1 <= fig.bbox.height, t.get_text()[:40]
    flat = " ".join(t.get_text() for t in fig.texts)
    assert "more: see the region profile." in flat


def test_a_long_title_shrinks_to_stay_clear_of_the_date_stamp(shipped):
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    df, layers = shipped
    kwargs, values = _png_args(df, layers)
    kwargs["title"] = ("Initiatives per 100,000 inhabitants against young people neither in "
                       "employment nor in education or training (NEET, 15–29), 2025")
    fig = render.map_figure(layers["uk_regions"], values, **kwargs)
    renderer = FigureCanvasAgg(fig).get_renderer()
    title, stamp = fig.texts[0], fig.texts[-1]
    assert stamp.get_text().startswith("SSE Atlas · ")
    assert title.get_fontsize() < 24 and title.get_text().endswith("…")
    assert title.get_window_extent(renderer).x1 < stamp.get_window_extent(renderer).x0
    short = render.map_figure(layers["uk_regions"], values, **_png_args(df, layers)[0])
    assert short.texts[0].get_fontsize() == 24
