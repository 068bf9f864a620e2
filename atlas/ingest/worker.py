"""What an import child process has and does (see atlas.ingest.sandbox).

The fork server loads the importer and the regional layers with their name and spatial
indexes (`atlas.ingest.preload`) before any child forks, so each child starts with them.
The two jobs a page runs are plain functions of picklable arguments.
"""

from __future__ import annotations

import dataclasses
from functools import lru_cache

from atlas.geo.placement import RegionIndex
from atlas.ingest import columns, importer, reading


@lru_cache(maxsize=1)
def placement() -> tuple[dict, RegionIndex]:
    """Every regional layer and the region index (names, codes, spatial), built once."""
    layers = importer.load_all_layers()
    index = RegionIndex(layers)
    index.spatial()
    return layers, index


def read(data: bytes, name: str, sheet: str | None, limits: importer.Limits,
         encoding: str | None) -> reading.RawTable:
    """`reading.read_bytes` (the page's step 1)."""
    return reading.read_bytes(data, name, sheet, limits, encoding=encoding)


def check(raw: reading.RawTable, mapping: columns.Mapping,
          options: importer.ImportOptions) -> importer.ImportResult:
    """`importer.run_import` (the page's step 3). The result goes back without the file's
    cells (the page has them already: it puts its own `raw` back as `source`)."""
    layers, index = placement()
    result = importer.run_import(raw, mapping, options, layers, index)
    result.source = dataclasses.replace(raw, cells=raw.cells.iloc[:0], lines=raw.lines[:0])
    return result
