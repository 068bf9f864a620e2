"""Credits and attributions: every line of the app that credits a source is built here.

Layer credits come from the shipped provenance sidecars (`geo/<layer>.parquet.meta.yaml`), the
initiatives line from `data/initiatives.parquet.meta.yaml` (which the build writes from
`atlas.model.sources.SOURCES`), so a new source or layer is credited on maps, PNGs, the PDF
brief, exports and the footer without editing any of them.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from functools import lru_cache
from pathlib import Path
from typing import Any, NamedTuple

from atlas import paths
from atlas.model.layers import LAYER_IDS, geo_file
from atlas.model.provenance import read_sidecar, sidecar_path
from atlas.model.sources import SOURCES

# Abbreviated for small maps (locators), which have little room; the footer on every page
# gives the full credits of `map_attributions()`.
SMALL_MAP_ATTRIBUTIONS = (
    "© EuroGeographics for the administrative boundaries",
    "Eurostat – GISCO",
    "Natural Earth",
    "SUSY/TransforMap, Co-operatives UK (ODC-By 1.0)",
)


class Credit(NamedTuple):
    title: str
    licence: str
    attribution: str


def _flat(value: Any) -> str:
    """Sidecar text on one line (YAML folds long strings)."""
    return " ".join(str(value or "").split())


@lru_cache(maxsize=64)
def _sidecar(path: str, mtime: float) -> dict[str, Any]:
    return read_sidecar(Path(path))


def sidecar(path: Path) -> dict[str, Any]:
    """A shipped file's sidecar, read once while the file is unchanged."""
    side = sidecar_path(path)
    return _sidecar(str(path), side.stat().st_mtime if side.exists() else 0.0)


def layer_credit(layer_id: str) -> Credit:
    """(title, licence, attribution) of a regional layer, from its shipped sidecar."""
    meta = sidecar(paths.GEO_DIR / geo_file(layer_id))
    return Credit(_flat(meta.get("title", layer_id)), _flat(meta.get("license")),
                  _flat(meta.get("attribution")))


def source_credits() -> list[Credit]:
    """The shipped initiative sources."""
    return [Credit(s.title, s.license, s.attribution) for s in SOURCES.values()]


def initiatives_line() -> str:
    """One line crediting the shipped initiatives (from their sidecar)."""
    try:
        text = _flat(sidecar(paths.DATA_DIR / paths.INITIATIVES_FILE).get("attribution"))
    except FileNotFoundError:
        text = ""
    return "Initiatives: " + (text or "; ".join(s.attribution for s in SOURCES.values()))


def _parts(texts: Iterable[str]) -> list[str]:
    """Sentences of attribution texts, each once, in order of appearance."""
    seen: list[str] = []
    for text in texts:
        for part in (p.strip().rstrip(".") for p in text.replace(". ", ".|").split("|")):
            if part and part not in seen:
                seen.append(part)
    return seen


def attribution_lines(layer_id: str) -> list[str]:
    """What a map of one layer prints: its boundaries and population, the background country
    outlines, then the initiatives (PNG exports)."""
    layers = [layer_id] if layer_id == "countries" else [layer_id, "countries"]
    return [" · ".join(_parts(layer_credit(lid).attribution for lid in layers)),
            initiatives_line()]


def _layer_parts(layer_ids: Sequence[str] = LAYER_IDS) -> list[str]:
    """The credits of every layer in `layer_ids`, each sentence once."""
    return _parts(layer_credit(lid).attribution for lid in layer_ids)


def map_attributions(layer_ids: Sequence[str] = LAYER_IDS) -> list[str]:
    """The live map's attribution control: every layer it can show (it stays the same while
    the user switches layers, so the map is not redrawn), then the initiatives."""
    return [*_layer_parts(layer_ids), initiatives_line()]


def data_line() -> str:
    """Every source on one line, initiatives first: the footer of every page."""
    return "Data: " + " · ".join([*(s.attribution for s in SOURCES.values()), *_layer_parts()])


def brief_credits(layer_id: str, imported: Sequence[tuple[str, str, str]] = ()) -> list[Credit]:
    """Every source behind a region brief: initiatives (shipped, then `imported` (title,
    licence, attribution)), the layer, and the country outlines."""
    rows = [*source_credits(), *(Credit(*c) for c in imported), layer_credit(layer_id)]
    if layer_id != "countries":
        rows.append(layer_credit("countries"))
    return rows
