"""Download buttons shared by the pages. Whatever table a page shows can be taken away as CSV
(a ZIP with data.csv + README.txt), XLSX (with an 'About' sheet) and, where it has a place on a
map, GeoJSON (with a `metadata` member): each with sources, licences, filters and build date.

Files are only generated when a button is clicked (callable `data`), so big tables cost nothing
until someone wants them.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Mapping, Sequence
from functools import partial

import pandas as pd
import streamlit as st

from atlas.analysis.compare import SHARE_PREFIX, display
from atlas.model import credits
from atlas.model.context import indicators_for
from atlas.model.filters import Filters
from atlas.model.layers import LAYERS, geo_file
from atlas.model.themes import theme_labels
from atlas.present.exports import (
    SHARE_NOTE,
    XLSX_MAX_ROWS,
    Blocks,
    Provenance,
    Table,
    csv_zip_bytes,
    points_geojson,
    provenance,
    regions_geojson,
    xlsx_bytes,
    xlsx_fits,
)
from ui import data


def about(
    title: str,
    filters: Filters,
    source_ids: Iterable[str],
    *,
    layer: str | None = None,
    extra_filter: str = "",
    notes: Sequence[str] = (),
    context: bool = False,
) -> Provenance:
    """Provenance of a page's export: its filters in words, the sources it draws on, the
    layer's boundary/population credits for regional tables, and the territory's sources
    (Eurostat context, policies, official figures) for a layer that has context indicators
    or with `context`."""
    described = filters.describe(theme_labels())
    if extra_filter:
        described = f"{described}; {extra_filter}"
    imported = {s.id: (f"{s.title} (imported)", s.license, s.attribution)
                for s in data.imported_sources()}
    return provenance(
        title,
        described,
        source_ids,
        data.sidecars(),
        layer_file=geo_file(layer) if layer else None,
        notes=notes,
        imported=imported,
        data_files=credits.CONTEXT_FILES if context or (layer and indicators_for(layer)) else (),
    )


def source_credit(source_id: str) -> tuple[str, str, str]:
    """(title, licence, attribution) of one source, shipped or imported, as exports cite it."""
    return about("", Filters(), [source_id]).sources[0]


def _stem(name: str) -> str:
    slug = "-".join("".join(c if c.isalnum() else " " for c in name.lower()).split())
    return f"sse-atlas-{slug}-{dt.date.today().isoformat()}"


def downloads(
    key: str,
    name: str,
    tables: Mapping[str, Table],
    prov: Provenance,
    geojson: Callable[[], bytes] | None = None,
) -> None:
    """CSV-in-ZIP, XLSX and (optionally) GeoJSON buttons for `tables` (sheet name → table)."""
    stem = _stem(name)
    tables = dict(tables)
    cols = st.columns(3)
    cols[0].download_button(
        "CSV + README (.zip)", data=partial(csv_zip_bytes, tables, prov),
        file_name=f"{stem}.zip", mime="application/zip", key=f"{key}_csv", on_click="ignore",
        icon=":material/download:", help="data.csv plus README.txt (sources, licences, filters)",
    )
    fits = xlsx_fits(tables)
    cols[1].download_button(
        "Excel (.xlsx)", data=partial(xlsx_bytes, tables, prov.items()) if fits else b"",
        file_name=f"{stem}.xlsx", key=f"{key}_xlsx", on_click="ignore", disabled=not fits,
        mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        icon=":material/download:",
        help="One sheet per table plus an 'About' sheet" if fits else
        f"Excel holds at most {XLSX_MAX_ROWS - 1:,} rows per sheet: take the CSV",
    )
    if geojson is not None:
        cols[2].download_button(
            "GeoJSON", data=geojson, file_name=f"{stem}.geojson", mime="application/geo+json",
            key=f"{key}_geojson", on_click="ignore", icon=":material/download:",
            help="For GIS tools; provenance in the top-level 'metadata' member",
        )


def initiatives_downloads(key: str, name: str, table: Blocks, prov: Provenance) -> None:
    """Downloads of an initiatives table given in blocks (`exports.initiatives_blocks`): each
    file is written block by block when its button is clicked, whatever the table's size."""
    rows = f"all {table.rows:,} rows" if table.rows != 1 else "the one row"
    st.caption(f"Downloads hold {rows}, in the order shown; a large file takes a while to "
               "prepare (its button spins until the download starts).")
    downloads(key, name, {"Initiatives": table}, prov,
              geojson=partial(points_geojson, table, None, None, prov))


def region_geometries(layer_id: str, codes: Iterable[str]) -> list:
    """Shapely geometries of a layer's regions, in the order of `codes` (None if unknown)."""
    by_code = data.layer(layer_id).set_index("code")["geometry"]
    return [by_code.get(code) for code in codes]


def layer_table_frame(table: pd.DataFrame, theme: str | None = None) -> pd.DataFrame:
    """The map's region_table as shown to people (theme_share named after its theme)."""
    frame = table.copy()
    if theme and "theme_share" in frame:
        frame = frame.rename(columns={"theme_share": SHARE_PREFIX + theme_labels()[theme]})
    return display(frame.drop(columns=["theme_share"], errors="ignore"), reasons=True)


def layer_downloads(
    key: str, layer_id: str, table: pd.DataFrame, filters: Filters, theme: str | None = None
) -> None:
    """Downloads of a layer's indicator table (the map page's choropleth figures)."""
    frame = layer_table_frame(table, theme)
    name = f"{LAYERS[layer_id].label} indicators"
    sources = filters.sources or data.facets()["sources"]
    prov = about(name, filters, sources, layer=layer_id, notes=[SHARE_NOTE])
    geometry = region_geometries(layer_id, frame["Code"])
    downloads(key, name, {"Indicators": frame}, prov,
              geojson=partial(regions_geojson, frame, geometry, prov))
