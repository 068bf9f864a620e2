"""What a page costs on a big table, checked without timing: the region page's locator and the
directory detail never escape popups for the whole table, nor send one marker per initiative
beyond the map's marker limit."""

from __future__ import annotations

import pandas as pd
import pytest
import streamlit_folium

from atlas.model.schema import conform
from atlas.present import mapview
from ui import data, widgets


class BigTable:
    """Stands for a table of more rows than the popup cache takes (only its length is read)."""

    def __len__(self) -> int:
        return mapview.POPUP_CACHE_LIMIT + 1


@pytest.fixture
def drawn(monkeypatch):
    maps = []
    monkeypatch.setattr(streamlit_folium, "st_folium", lambda m, **_kw: maps.append(m))
    monkeypatch.setattr(data, "initiatives", BigTable)

    def whole_table_popups():
        raise AssertionError("popups of the whole table were built")

    monkeypatch.setattr(data, "popups", whole_table_popups)
    monkeypatch.setattr(data, "source_titles", lambda: {})
    return maps


def points(n: int) -> pd.DataFrame:
    return conform(pd.DataFrame({
        "id": [f"x:{i}" for i in range(n)], "name": [f"Coop {i}" for i in range(n)],
        "lat": [41.0 + i * 1e-4 for i in range(n)], "lon": [16.5] * n,
        "themes": [[] for _ in range(n)], "source": ["susy"] * n, "source_id": ["1"] * n}))


def test_the_locator_builds_popups_for_its_own_rows_only(drawn):
    widgets.locator("loc", points=points(3))
    html = drawn[0].get_root().render()
    assert "Coop 2" in html  # its rows' popups, made for them


def test_the_locator_sends_cells_not_markers_beyond_the_limit(drawn, monkeypatch):
    monkeypatch.setattr(mapview, "MARKER_LIMIT", 50)
    monkeypatch.setattr(mapview.points_layer, "__kwdefaults__", {"max_markers": 50})
    widgets.locator("loc", points=points(120))
    html = drawn[0].get_root().render()
    assert "atlasCellLayer" in html and "Coop 119" not in html

