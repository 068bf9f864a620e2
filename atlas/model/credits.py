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


CONTEXT_FILES = (paths.CONTEXT_FILE, paths.TYPOLOGIES_FILE, paths.DEGURBA_FILE,
                 paths.POLICIES_FILE, paths.OFFICIAL_FIGURES_FILE)


def context_credits() -> list[Credit]:
    """The territory's sources (Eurostat context, typologies, the compiled SSE policies and
    official figures), from their sidecars in `data/`; files not shipped are left out."""
    out = []
    for name in CONTEXT_FILES:
        try:
            meta = sidecar(paths.DATA_DIR / name)
        except FileNotFoundError:
            continue
        out.append(Credit(_flat(meta.get("title", name)), _flat(meta.get("license")),
                          _flat(meta.get("attribution"))))
    return out


def context_source(source_id: str) -> Credit:
    """One upstream source of the shipped context (an `Indicator.source`), as the context
    sidecar lists it: what every figure of that indicator is credited with."""
    try:
        sources = sidecar(paths.DATA_DIR / paths.CONTEXT_FILE).get("sources") or []
    except FileNotFoundError:
        sources = []
    for src in sources:
        if src.get("id") == source_id:
            return Credit(_flat(src.get("title")), _flat(src.get("license")),
                          _flat(src.get("attribution")))
    return Credit(source_id, "not recorded", f"Source: {source_id} (no sidecar: rebuild)")


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
    return "Data: " + " · ".join([*(s.attribution for s in SOURCES.values()), *_layer_parts(),
                                  *_parts(c.attribution for c in context_credits())])


def brief_credits(layer_id: str, imported: Sequence[tuple[str, str, str]] = ()) -> list[Credit]:
    """Every source behind a region brief: initiatives (shipped, then `imported` (title,
    licence, attribution)), the layer, and the country outlines (the territory's sources are
    `context_credits`, printed with the brief's territory page)."""
    rows = [*source_credits(), *(Credit(*c) for c in imported), layer_credit(layer_id)]
    if layer_id != "countries":
        rows.append(layer_credit("countries"))
    return rows
